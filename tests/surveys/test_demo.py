"""The surveys demo: three years of staff survey with a narrowing gap, and the board evaluation."""

from __future__ import annotations

import inspect
import io
import re

import pytest

from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone

from wagtail.models import GroupPagePermission

from cms import roles
from cms.models import HomePage
from surveys import classifications, demo, selectors
from surveys.models import (
    AnnualSummaryPage,
    Answer,
    EqualityDataIndexPage,
    FreeTextAnswer,
    Measure,
    Question,
    Response,
    SurveyInvitation,
    Wave,
)
from tests.board.factories import MembershipFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SIZE = 300


@pytest.fixture
def built():
    # The demo board member, as the board's demo makes them, and two other current members.
    member = UserFactory(email=demo.BOARD_DEMO_EMAIL)
    MembershipFactory(member=member)
    MembershipFactory()
    MembershipFactory()
    out = io.StringIO()
    lines = demo.build(stdout=out, responses_per_wave=SIZE)
    return lines


def _percent_positive_by_group(wave: Wave) -> dict[str, float]:
    """% agreeing with equal_opportunity for White staff and ethnic minorities: one GROUP BY."""
    ethnicity = Answer.objects.filter(
        response=OuterRef("response"), question__wave=wave, question__key="ethnicity"
    ).values("value")[:1]
    rows = (
        Answer.objects.filter(question__wave=wave, question__key="equal_opportunity")
        .annotate(ethnic_group=Subquery(ethnicity))
        .values("ethnic_group")
        .annotate(
            answering=Count("pk"),
            positive=Count("pk", filter=Q(value__in=classifications.LIKERT_POSITIVE)),
        )
        .order_by()
    )
    totals = {"white": [0, 0], "minority": [0, 0]}
    for row in rows:
        minority = classifications.is_ethnic_minority(row["ethnic_group"])
        if minority is None:
            continue
        key = "minority" if minority else "white"
        totals[key][0] += row["positive"]
        totals[key][1] += row["answering"]
    return {key: 100 * positive / answering for key, (positive, answering) in totals.items()}


def test_three_staff_waves_with_a_narrowing_gap(built):
    today = timezone.localdate()
    waves = list(Wave.objects.filter(survey__slug=demo.STAFF_SLUG).order_by("year"))
    assert [w.year for w in waves] == [today.year - 2, today.year - 1, today.year]
    assert [w.has_closed() for w in waves] == [True, True, False]
    assert waves[-1].is_open()
    for wave in waves:
        assert Response.objects.filter(wave=wave).count() == SIZE
        keys = set(wave.questions.values_list("key", flat=True))
        assert {
            "equal_opportunity",
            "belonging",
            "report_racism",
            "directorate",
            "training",
            "improve",
            "ethnicity",
        } <= keys
        assert len(keys) >= 10
        assert wave.questions.get(key="equal_opportunity").text == (
            "The council promotes equality of opportunity for all staff"
        )
        assert FreeTextAnswer.objects.filter(question__wave=wave).exists()
        # Every stored answer is one the question accepts.
        for question in wave.questions.exclude(kind=Question.Kind.FREE_TEXT):
            given = set(question.answers.values_list("value", flat=True).distinct())
            assert given <= question.valid_values(), question.key

    gaps = []
    for wave in waves:
        rates = _percent_positive_by_group(wave)
        gaps.append(rates["white"] - rates["minority"])
    assert gaps[0] > gaps[1] > gaps[2] > 0, gaps
    assert gaps[0] == pytest.approx(18, abs=3)
    assert gaps[2] == pytest.approx(9, abs=3)


def test_ethnic_mix_is_realistic_and_keeps_prefer_not_to_say(built):
    wave = Wave.objects.get(survey__slug=demo.STAFF_SLUG, year=timezone.localdate().year)
    counts = dict(
        Answer.objects.filter(question__wave=wave, question__key="ethnicity")
        .values_list("value")
        .annotate(n=Count("pk"))
        .order_by()
    )
    assert sum(counts.values()) == SIZE
    assert counts[classifications.PREFER_NOT_TO_SAY] == pytest.approx(0.05 * SIZE, abs=1)
    assert counts["white_british"] == pytest.approx(0.80 * SIZE, abs=1)
    assert set(counts) <= classifications.valid_ethnicity_codes()
    # Some groups are small enough for disclosure control to suppress.
    assert any(0 < n < 10 for n in counts.values())


def test_board_evaluation_last_year_and_an_open_wave_with_links(built):
    today = timezone.localdate()
    last = Wave.objects.get(survey__slug="board-evaluation", year=today.year - 1)
    assert Response.objects.filter(wave=last).count() == demo.BOARD_RESPONSES
    current = Wave.objects.get(survey__slug="board-evaluation", year=today.year)
    assert current.is_open()
    # The demo member has a link printed; the other members were invited through a batch.
    assert current.invitation_batches.get().total == 2

    output = "\n".join(built)
    staff_link = re.search(r"Staff survey demo link: http://\S+/survey/([^/\s]+)/", output)
    board_link = re.search(r"Board evaluation demo link .*/survey/([^/\s]+)/", output)
    staff_invitation = selectors.invitation_for_token(token=staff_link.group(1))
    board_invitation = selectors.invitation_for_token(token=board_link.group(1))
    assert staff_invitation.wave.survey.slug == demo.STAFF_SLUG
    assert staff_invitation.wave.is_open() and not staff_invitation.used
    assert board_invitation.wave == current and not board_invitation.used
    # Raw tokens are never stored.
    stored = repr(list(SurveyInvitation.objects.values_list("token_hash", "email")))
    assert staff_link.group(1) not in stored


def test_running_twice_adds_nothing(built):
    models = (
        Wave,
        Response,
        Answer,
        SurveyInvitation,
        Measure,
        EqualityDataIndexPage,
        AnnualSummaryPage,
        GroupPagePermission,
    )
    counts = {model: model.objects.count() for model in models}
    again = demo.build(stdout=io.StringIO(), responses_per_wave=SIZE)
    assert counts == {model: model.objects.count() for model in counts}
    assert "already present" in again[0]
    assert any("Staff survey demo link" in line for line in again)


def test_demo_is_reproducible(built):
    def fingerprint():
        return list(
            Answer.objects.filter(question__key="equal_opportunity")
            .values_list("question__wave__year", "value")
            .annotate(n=Count("pk"))
            .order_by("question__wave__year", "value")
        )

    first = fingerprint()
    Answer.objects.all().delete()
    FreeTextAnswer.objects.all().delete()
    Response.objects.all().delete()
    Measure.objects.all().delete()
    from surveys.models import Survey

    Survey.objects.all().delete()
    demo.build(stdout=io.StringIO(), responses_per_wave=SIZE)
    assert fingerprint() == first


def test_manage_py_demo_writes_thousands_per_wave():
    default = inspect.signature(demo.build).parameters["responses_per_wave"].default
    assert default >= 3000


def test_priority_measures_follow_the_staff_survey_and_the_board(built):
    today = timezone.localdate()
    first_wave = Wave.objects.get(survey__slug=demo.STAFF_SLUG, year=today.year - 2)
    equal = Measure.objects.get(key="equal-opportunity")
    assert equal.priority and equal.baseline == first_wave
    assert equal.question_key == "equal_opportunity" and equal.survey == first_wave.survey
    staff = Measure.objects.filter(survey__slug=demo.STAFF_SLUG, priority=True)
    assert staff.count() >= 3
    board = Measure.objects.filter(survey__slug="board-evaluation")
    assert set(board.values_list("question_key", flat=True)) == {
        "engagement_meaningful",
        "engagement_safe",
        "engagement_not_extractive",
    }
    for measure in Measure.objects.all():
        assert measure.priority
        measure.full_clean()  # every definition is one an analyst could have saved
    assert all(measure.groups == [] for measure in board)


def test_the_annual_summary_is_published_for_the_latest_staff_wave(built, client):
    year = timezone.localdate().year
    index = EqualityDataIndexPage.objects.get()
    assert index.live and index.get_parent().specific_class is HomePage
    summary = AnnualSummaryPage.objects.get()
    assert summary.live and summary.year == year and summary.get_parent().pk == index.pk
    assert summary.snapshot_taken_at is not None
    keys = [section["measure"]["key"] for section in summary.snapshot["measures"]]
    assert "equal-opportunity" in keys and "board-meaningful" in keys
    # Analysts may publish summaries there.
    assert set(
        GroupPagePermission.objects.filter(
            group__name=roles.INCLUSION_ANALYSTS, page=index
        ).values_list("permission__codename", flat=True)
    ) == {"add_page", "change_page", "publish_page"}
    assert any(f"annual summary {year}" in line for line in built)

    body = client.get(summary.url).content.decode()
    assert "Ethnic minorities " in body and "agreed, up " in body
    # Eight board members answered last year: too few, so every result is withheld.
    assert f"In {year - 1} fewer than 10 members answered" in body
    index_body = client.get(index.url).content.decode()
    assert summary.title in index_body
