"""Measures: counts aggregated in the database, and the same report from imported counts."""

from __future__ import annotations

import random
import uuid
from datetime import date

import pytest

from django.core.exceptions import ValidationError

from surveys import selectors
from surveys.analysis.groups import NOT_ANSWERED
from surveys.models import AggregatedCount, Answer, Measure, Question, Response, Survey, Wave
from tests.surveys.factories import SurveyFactory, WaveFactory, staff_survey_wave

pytestmark = pytest.mark.django_db

CODES = ["white_british", "white_irish", "asian_indian", "black_african", "mixed_other",
         "other_arab", "prefer_not_to_say", None]  # fmt: skip


def _respond(wave: Wave, rng: random.Random, count: int) -> dict[tuple[str, str], list[int]]:
    """Random individual responses; returns {(code, likert): count} as the import would see."""
    questions = {q.key: q for q in wave.questions.all()}
    tally: dict[tuple[str, str], int] = {}
    responses, answers = [], []
    for _ in range(count):
        response = Response(id=uuid.uuid4(), wave=wave, submitted_on=wave.opens_on)
        responses.append(response)
        code = rng.choice(CODES)
        value = rng.choice(["1", "2", "3", "4", "5", None])
        if value is not None:
            answers.append(
                Answer(response=response, question=questions["equal_opportunity"], value=value)
            )
        if "ethnicity" not in questions:
            code = None
        if code is not None:
            answers.append(Answer(response=response, question=questions["ethnicity"], value=code))
        if value is not None:
            key = (code or NOT_ANSWERED, value)
            tally[key] = tally.get(key, 0) + 1
    Response.objects.bulk_create(responses)
    Answer.objects.bulk_create(answers)
    return tally


def _measure(survey: Survey, **fields) -> Measure:
    return Measure.objects.create(
        key=fields.pop("key", f"eo-{survey.slug}"),
        name="Equality of opportunity",
        survey=survey,
        question_key="equal_opportunity",
        **fields,
    )


def test_counts_come_from_one_grouped_query(django_assert_num_queries):
    rng = random.Random(7)
    wave = staff_survey_wave(year=2025)
    tally = _respond(wave, rng, 400)
    measure = _measure(wave.survey)
    # Waves, questions, the GROUP BY, and the imported counts: four queries at any size.
    with django_assert_num_queries(4):
        _, counts = selectors.measure_counts(measure=measure)
    expected: dict[tuple[int, str], tuple[int, int]] = {}
    for (code, value), number in tally.items():
        n, k = expected.get((2025, code), (0, 0))
        expected[(2025, code)] = (n + number, k + (number if value in ("4", "5") else 0))
    assert counts == expected


def test_imported_counts_give_the_same_report_as_the_responses_they_sum():
    rng = random.Random(11)
    individual = staff_survey_wave(year=2024)
    individual_2 = staff_survey_wave(year=2025, survey=individual.survey)
    staff_survey_wave(year=2026, survey=individual.survey)
    imported_survey = SurveyFactory(name="Imported", slug="imported")
    for year, wave in ((2024, individual), (2025, individual_2)):
        tally = _respond(wave, rng, 600)
        imported_wave = WaveFactory(survey=imported_survey, year=year, imported=True)
        grouped: dict[str, list[int]] = {}
        for (code, value), number in tally.items():
            n_k = grouped.setdefault(code, [0, 0])
            n_k[0] += number
            n_k[1] += number if value in ("4", "5") else 0
        AggregatedCount.objects.bulk_create(
            AggregatedCount(
                wave=imported_wave, question_key="equal_opportunity", group=code,
                n_answering=n, n_positive=k,
            )
            for code, (n, k) in grouped.items()
        )  # fmt: skip
    # The imported survey needs the question to exist for the measure to be valid.
    for wave in imported_survey.waves.all():
        Question.objects.create(wave=wave, key="equal_opportunity", text="EO", kind="likert")
    baseline = individual.survey.waves.get(year=2024)
    from_responses = selectors.measure_report(
        measure=_measure(individual.survey, key="a", baseline=baseline)
    )
    from_counts = selectors.measure_report(
        measure=_measure(imported_survey, key="b", baseline=imported_survey.waves.get(year=2024))
    )
    a, b = from_responses.to_dict(), from_counts.to_dict()
    a["spec"].pop("key"), b["spec"].pop("key")
    assert a == b
    assert a["years"] == [2024, 2025]
    assert any(row["n"] for row in a["rows"])


def test_break_in_series_and_baseline_reach_the_report():
    wave = staff_survey_wave(year=2024)
    _respond(wave, random.Random(1), 100)
    later = staff_survey_wave(year=2025, survey=wave.survey, break_in_series=True)
    _respond(later, random.Random(2), 100)
    report = selectors.measure_report(measure=_measure(wave.survey, baseline=wave))
    assert report.breaks == [2025]
    assert not report.comparisons_of("change")
    assert not report.comparisons_of("baseline")


def test_measure_validation_names_the_problem():
    wave = staff_survey_wave(year=2025)
    other = WaveFactory(year=2020)
    measure = Measure(
        key="x",
        name="X",
        survey=wave.survey,
        question_key="ethnicity",
        positive_values=["4"],
        groups=["white", "bame"],
        baseline=other,
    )
    with pytest.raises(ValidationError) as caught:
        measure.full_clean()
    errors = caught.value.message_dict
    assert set(errors) == {"question_key", "groups", "baseline"}
    measure = Measure(
        key="y", name="Y", survey=wave.survey, question_key="belonging", positive_values=["9"]
    )
    with pytest.raises(ValidationError) as caught:
        measure.full_clean()
    assert "positive_values" in caught.value.message_dict
    Measure(key="z", name="Z", survey=wave.survey, question_key="belonging").full_clean()


def test_annual_summary_lists_priority_measures_of_the_year():
    wave = staff_survey_wave(year=2025)
    _respond(wave, random.Random(3), 50)
    _measure(wave.survey, priority=True)
    _measure(wave.survey, key="not-priority")
    summary = selectors.annual_summary(year=2025)
    assert [section["measure"]["key"] for section in summary["measures"]] == [
        f"eo-{wave.survey.slug}"
    ]
    assert selectors.annual_summary(year=2019)["measures"] == []
    assert date(2025, 1, 1).year == summary["year"]


def test_a_survey_without_an_ethnicity_question_counts_everyone_as_not_answered():
    wave = staff_survey_wave(year=2025)
    wave.questions.filter(key="ethnicity").delete()
    _respond(wave, random.Random(5), 30)
    _, counts = selectors.measure_counts(measure=_measure(wave.survey, groups=[]))
    assert {code for _, code in counts} == {NOT_ANSWERED}
    assert (
        sum(n for n, _ in counts.values())
        == Answer.objects.filter(question__key="equal_opportunity").count()
    )
