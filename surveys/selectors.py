"""Reads for surveys."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, Q

from surveys.models import Question, SurveyInvitation, Wave
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
