"""The ONS 2021 ethnic group classification, held in one module for surveys and analysis."""

from collections import Counter

from surveys import classifications as c


def test_nineteen_groups_in_five_high_level_groups():
    assert len(c.ETHNIC_GROUPS) == 19
    assert len(c.HIGH_LEVEL_GROUPS) == 5
    assert Counter(g.high_level for g in c.ETHNIC_GROUPS) == {
        "white": 5,
        "mixed": 4,
        "asian": 5,
        "black": 3,
        "other": 2,
    }


def test_questionnaire_order_and_labels():
    assert [h.label for h in c.HIGH_LEVEL_GROUPS] == [
        "White",
        "Mixed or Multiple ethnic groups",
        "Asian, Asian British or Asian Welsh",
        "Black, Black British, Black Welsh, Caribbean or African",
        "Other ethnic group",
    ]
    assert [g.label for g in c.ETHNIC_GROUPS if g.high_level == "white"] == [
        "English, Welsh, Scottish, Northern Irish or British",
        "Irish",
        "Gypsy or Irish Traveller",
        "Roma",
        "Any other White background",
    ]
    assert [g.label for g in c.ETHNIC_GROUPS if g.high_level == "asian"] == [
        "Indian",
        "Pakistani",
        "Bangladeshi",
        "Chinese",
        "Any other Asian background",
    ]


def test_prefer_not_to_say_is_its_own_last_choice():
    choices = c.ethnicity_choices()
    assert choices[-1] == ("Prefer not to say", [("prefer_not_to_say", "Prefer not to say")])
    assert c.high_level_of(c.PREFER_NOT_TO_SAY) is None
    assert c.is_ethnic_minority(c.PREFER_NOT_TO_SAY) is None
    assert len(c.valid_ethnicity_codes()) == 20


def test_ethnic_minorities_are_everyone_but_the_white_groups():
    assert c.is_ethnic_minority("white_irish") is False
    assert c.is_ethnic_minority("white_roma") is False
    assert c.is_ethnic_minority("mixed_white_asian") is True
    assert c.is_ethnic_minority("other_arab") is True
    assert c.is_ethnic_minority("not-a-code") is None


def test_no_bame_or_non_white_anywhere():
    words = [
        c.ETHNIC_MINORITIES_LABEL,
        *[g.label for g in c.ETHNIC_GROUPS],
        *[h.label for h in c.HIGH_LEVEL_GROUPS],
    ]
    for word in words:
        assert "BAME" not in word and "non-White" not in word.replace("Non", "non")


def test_presentation_order_is_alphabetical_with_other_last():
    labels = ["White", "Other ethnic group", "Asian", "Black", "Mixed"]
    assert c.presentation_order(labels, other_last=("Other ethnic group",)) == [
        "Asian",
        "Black",
        "Mixed",
        "White",
        "Other ethnic group",
    ]
