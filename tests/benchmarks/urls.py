"""The site's URLs plus the submission benchmark's baseline view; loaded only by the
benchmark's gunicorn (``tests.benchmarks.settings``).

The baseline is what a survey submission costs at the least: one POST that writes the same rows
the real submission writes (one response, its coded answers and its free-text answer, in one
transaction), with no form, no session, no CSRF token and no single-use link. ``bench_submit``
drives it with the same load generator, through the same gunicorn command, and compares.
"""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from cms.urls import handler404, handler500  # noqa: F401  (this module is the ROOT_URLCONF)
from cms.urls import urlpatterns as site_urlpatterns
from surveys.models import Answer, FreeTextAnswer, Question, Response

BASELINE_TEXT = "Fairer promotion panels"


@csrf_exempt  # a benchmark baseline without forms: nothing here acts for a signed-in user
@require_POST
def baseline_submit(request: HttpRequest, wave_id: int) -> HttpResponse:
    """Store one response to every question of the wave: the first valid value of each."""
    questions = list(Question.objects.filter(wave_id=wave_id).order_by("pk"))
    if not questions:
        return HttpResponse("no such wave\n", status=404, content_type="text/plain")
    with transaction.atomic():
        response = Response.objects.create(wave_id=wave_id, submitted_on=timezone.localdate())
        Answer.objects.bulk_create(
            Answer(response=response, question=question, value=min(question.valid_values()))
            for question in questions
            if question.kind != Question.Kind.FREE_TEXT
        )
        FreeTextAnswer.objects.bulk_create(
            FreeTextAnswer(question=question, text=BASELINE_TEXT)
            for question in questions
            if question.kind == Question.Kind.FREE_TEXT
        )
    return HttpResponse("stored\n", status=201, content_type="text/plain")


urlpatterns = [
    path("bench/baseline/<int:wave_id>/", baseline_submit, name="bench_baseline_submit"),
    *site_urlpatterns,
]
