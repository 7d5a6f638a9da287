"""Reads for surveys."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from cms.platform.disclosure import disclosure_threshold
from surveys.analysis.groups import NOT_ANSWERED
from surveys.analysis.report import MeasureSpec, Report, WaveInfo, build_report
from surveys.models import (
    AggregatedCount,
    Answer,
    Measure,
    PendingResponse,
    Question,
    SurveyDraft,
    SurveyInvitation,
    Wave,
    WaveInvitee,
)
from surveys.tokens import hash_token


def invitation_for_token(*, token: str) -> SurveyInvitation | None:
    return (
        SurveyInvitation.objects.select_related("wave__survey")
        .filter(token_hash=hash_token(token))
        .first()
    )


def draft_sealed(*, draft_ids: list[str]) -> dict[str, str]:
    """The sealed drafts under these keys that have not expired (the purge may not have run)."""
    if not draft_ids:
        return {}
    return dict(
        SurveyDraft.objects.filter(
            pk__in=draft_ids, expires_on__gte=timezone.localdate()
        ).values_list("pk", "sealed")
    )


def pending_answers(*, question: Question) -> set[str] | None:
    """The values waiting for release for this question (None if nothing waits for it).

    A wave has fewer than ``settings.SURVEY_RELEASE_BATCH`` responses waiting, so this reads a
    handful of rows. Free text gives its texts; they only matter as "there are answers".
    """
    values: set[str] = set()
    found = False
    for pending in PendingResponse.objects.filter(wave_id=question.wave_id):
        answers = pending.answers
        if question.key in answers:
            found = True
            value = answers[question.key]
            values.update(value if isinstance(value, list) else [value])
    return values if found else None


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
    invited = (counts["invited"] or 0) + wave.used_invitations_deleted
    responded = (counts["responded"] or 0) + wave.used_invitations_deleted
    return {
        "invited": invited,
        "responded": responded,
        "responses": wave.responses.count(),
        "rate": round(100 * responded / invited) if invited else None,
    }


def reminder_recipients(*, wave: Wave):
    """Whom a reminder goes to (rows with ``pk`` and ``email``): everyone on the list of a wave
    that hides participation (it cannot know who answered), otherwise each unused link that
    still has an address."""
    if wave.hides_participation:
        return WaveInvitee.objects.filter(wave=wave)
    return SurveyInvitation.objects.filter(wave=wave, used=False).exclude(email="")


def wave_reminder_count(*, wave: Wave) -> int:
    return reminder_recipients(wave=wave).count()


def wave_has_invitations(*, wave: Wave) -> bool:
    """Whether anything has been queued or sent, after which the participation mode is fixed."""
    return (
        wave.invitation_batches.exists()
        or SurveyInvitation.objects.filter(wave=wave).exists()
        or WaveInvitee.objects.filter(wave=wave).exists()
    )


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
        for question_id, ethnicity, n_answering, n_positive in _grouped_answers(
            measured=list(measured),
            ethnicity=ethnicity_ids,
            valid=sorted(valid),
            positive=positive,
        ):
            key = (year_of[measured[question_id]], ethnicity or NOT_ANSWERED)
            n, k = counts.get(key, (0, 0))
            counts[key] = (n + n_answering, k + (n_positive or 0))
    imported = AggregatedCount.objects.filter(
        wave__survey_id=measure.survey_id, question_key=measure.question_key
    ).values_list("wave_id", "group", "n_answering", "n_positive")
    from_counts: set[int] = set()
    for wave_id, group, n_answering, n_positive in imported:
        key = (year_of[wave_id], group)
        n, k = counts.get(key, (0, 0))
        counts[key] = (n + n_answering, k + n_positive)
        from_counts.add(year_of[wave_id])
    # An imported wave holds the groups its provider published, and only those.
    infos = [replace(info, complete=info.year not in from_counts) for info in infos]
    return infos, counts


def _grouped_answers(
    *, measured: list[int], ethnicity: list[int], valid: list[str], positive: list[str]
) -> list[tuple[int, str | None, int, int]]:
    """(question id, ethnic group code or None, answers, positive answers), one GROUP BY.

    Written in SQL because the ORM reaches a response's other answers only through the response
    table (``FilteredRelation("response__answers")``): that extra join on a 32-character key
    doubled the time over a million answers in ``manage.py bench_report``. Every value is a
    query parameter.
    """
    answer = connection.ops.quote_name(Answer._meta.db_table)

    def marks(items) -> str:
        return ", ".join(["%s"] * len(items))

    positive_case = (
        f"SUM(CASE WHEN a.value IN ({marks(positive)}) THEN 1 ELSE 0 END)" if positive else "0"
    )
    ethnicity_join = (
        f"LEFT JOIN {answer} e ON e.response_id = a.response_id "
        f"AND e.question_id IN ({marks(ethnicity)})"
        if ethnicity
        else ""
    )
    ethnicity_value = "e.value" if ethnicity else "NULL"
    sql = (
        f"SELECT a.question_id, {ethnicity_value}, COUNT(*), {positive_case} "  # noqa: S608
        f"FROM {answer} a {ethnicity_join} "
        f"WHERE a.question_id IN ({marks(measured)}) AND a.value IN ({marks(valid)}) "
        f"GROUP BY a.question_id{', e.value' if ethnicity else ''}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*positive, *ethnicity, *measured, *valid])
        return cursor.fetchall()


def measure_spec(*, measure: Measure) -> MeasureSpec:
    return MeasureSpec(
        key=measure.key,
        name=measure.name,
        groups=tuple(measure.groups or ()),
        higher_is_better=measure.higher_is_better,
        baseline_year=measure.baseline.year if measure.baseline_id else None,
        threshold=disclosure_threshold(),
        adjustment=measure.adjustment,
        comparison=measure.comparison_group,
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
    return {"year": year, "threshold": disclosure_threshold(), "measures": sections}
