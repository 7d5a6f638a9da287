"""Reads for surveys."""

from __future__ import annotations

from collections import defaultdict

from django.conf import settings
from django.db.models import Count, FilteredRelation, Q

from surveys.analysis.groups import NOT_ANSWERED
from surveys.analysis.report import MeasureSpec, Report, WaveInfo, build_report
from surveys.models import AggregatedCount, Answer, Measure, Question, SurveyInvitation, Wave
from surveys.tokens import hash_token


def invitation_for_token(*, token: str) -> SurveyInvitation | None:
    return (
        SurveyInvitation.objects.select_related("wave__survey")
        .filter(token_hash=hash_token(token))
        .first()
    )


def questions_by_page(*, wave: Wave) -> dict[int, list[Question]]:
    pages: dict[int, list[Question]] = defaultdict(list)
    for question in wave.questions.order_by("page", "order", "pk"):
        pages[question.page].append(question)
    return dict(sorted(pages.items()))


def wave_response_rate(*, wave: Wave) -> dict:
    """Invited and responded counts for a wave: numbers only, never who."""
    counts = SurveyInvitation.objects.filter(wave=wave).aggregate(
        invited=Count("pk"), responded=Count("pk", filter=Q(used=True))
    )
    invited = counts["invited"] or 0
    responded = counts["responded"] or 0
    return {
        "invited": invited,
        "responded": responded,
        "responses": wave.responses.count(),
        "rate": round(100 * responded / invited) if invited else None,
    }


# -- Analysis ------------------------------------------------------------------------------


def measure_counts(
    *, measure: Measure
) -> tuple[list[WaveInfo], dict[tuple[int, str], tuple[int, int]]]:
    """Answering and positive counts by wave and ethnic group code, aggregated in the database.

    Individual responses: one GROUP BY over the measure's answers, each joined to the same
    response's ethnicity answer (a missing one counts as "not answered"). Imported waves:
    their aggregated counts. The result is O(waves x groups), whatever the number of answers.
    """
    waves = list(
        Wave.objects.filter(survey_id=measure.survey_id).values_list(
            "pk", "year", "break_in_series"
        )
    )
    year_of = {pk: year for pk, year, _ in waves}
    infos = [WaveInfo(year=year, break_in_series=brk) for _, year, brk in waves]
    questions = list(
        Question.objects.filter(wave__survey_id=measure.survey_id).values_list(
            "pk", "wave_id", "key", "kind", "options"
        )
    )
    measured: dict[int, int] = {}  # question id -> wave id
    valid: set[str] = set()
    ethnicity_ids = []
    for pk, wave_id, key, kind, options in questions:
        if kind == Question.Kind.ETHNICITY:
            ethnicity_ids.append(pk)
        elif key == measure.question_key:
            measured[pk] = wave_id
            valid |= Question(kind=kind, options=options).valid_values()
    positive = [value for value in measure.positive_values if value in valid]
    counts: dict[tuple[int, str], tuple[int, int]] = {}
    if measured:
        rows = (
            Answer.objects.filter(question_id__in=list(measured), value__in=sorted(valid))
            .annotate(
                ethnicity=FilteredRelation(
                    "response__answers",
                    condition=Q(response__answers__question_id__in=ethnicity_ids or [0]),
                )
            )
            .values("question_id", "ethnicity__value")
            .annotate(n=Count("pk"), k=Count("pk", filter=Q(value__in=positive or [""])))
            .order_by()
        )
        for row in rows:
            key = (year_of[measured[row["question_id"]]], row["ethnicity__value"] or NOT_ANSWERED)
            n, k = counts.get(key, (0, 0))
            counts[key] = (n + row["n"], k + row["k"])
    imported = AggregatedCount.objects.filter(
        wave__survey_id=measure.survey_id, question_key=measure.question_key
    ).values_list("wave_id", "group", "n_answering", "n_positive")
    for wave_id, group, n_answering, n_positive in imported:
        key = (year_of[wave_id], group)
        n, k = counts.get(key, (0, 0))
        counts[key] = (n + n_answering, k + n_positive)
    return infos, counts


def measure_spec(*, measure: Measure) -> MeasureSpec:
    return MeasureSpec(
        key=measure.key,
        name=measure.name,
        groups=tuple(measure.groups or ()),
        higher_is_better=measure.higher_is_better,
        baseline_year=measure.baseline.year if measure.baseline_id else None,
        threshold=settings.DISCLOSURE_THRESHOLD,
        adjustment=measure.adjustment,
    )


def measure_report(*, measure: Measure) -> Report:
    waves, counts = measure_counts(measure=measure)
    return build_report(measure_spec(measure=measure), waves, counts)


def annual_summary(*, year: int) -> dict:
    """Every priority measure with a wave in ``year``, as plain data (what the page snapshots)."""
    measures = (
        Measure.objects.filter(priority=True, survey__waves__year=year)
        .select_related("survey", "baseline")
        .distinct()
        .order_by("survey__kind", "name")
    )
    sections = []
    for measure in measures:
        report = measure_report(measure=measure)
        sections.append(
            {
                "measure": {
                    "key": measure.key,
                    "name": measure.name,
                    "description": measure.description,
                    "survey": measure.survey.name,
                    "survey_kind": measure.survey.kind,
                },
                "report": report.to_dict(),
            }
        )
    return {"year": year, "threshold": settings.DISCLOSURE_THRESHOLD, "measures": sections}
