"""Taking a survey through a single-use link: one page of questions at a time, a check of the
answers, then one anonymous submission.

Answers given so far wait sealed in a draft only this browser can open (see
``surveys.forms.SurveyDraft``), never in the sign-in session and never beside the invitation.
Nothing here reads who is signed in except to tell them that their answers are not linked to
their account. The token is in every URL here, so these pages never pass it on as a referrer, are
never cached and ask not to be indexed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import wraps

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from surveys import selectors, services
from surveys.forms import CHECK, QuestionPageForm, SurveyDraft, draft_days, summary_rows
from surveys.models import Question, SurveyInvitation, Wave

# Why a link cannot be used, and the page (and status) shown for each reason. The reasons are
# those of services.SubmissionError.
REFUSALS = {
    "invalid": ("surveys/take/not_recognised.html", 404),
    "used": ("surveys/take/used.html", 410),
    "not_open": ("surveys/take/not_open.html", 200),
    "closed": ("surveys/take/closed.html", 410),
}


# The token is in the URL, so no request from these pages may carry the URL as its referrer.
# "strict-origin" sends the origin alone (never the path), to this site and to others alike.
# Not "no-referrer": under it a browser sends "Origin: null" with every form it posts (Fetch
# standard), and Django's CSRF check rightly refuses that, so no answer could ever be saved.
SURVEY_REFERRER_POLICY = "strict-origin"


def survey_page(view):
    """No cache, no referrer beyond the origin, and no indexing, whatever the outcome; and the
    draft's own cookie when a draft was saved."""

    @never_cache
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        draft = getattr(request, "survey_draft", None)
        if draft is not None:
            draft.write_cookie(response)
        response.headers["Referrer-Policy"] = SURVEY_REFERRER_POLICY
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapper


@dataclass
class Link:
    token: str
    invitation: SurveyInvitation
    pages: list[list[Question]]
    draft: SurveyDraft

    @property
    def wave(self) -> Wave:
        return self.invitation.wave

    @property
    def questions(self) -> list[Question]:
        return [question for page in self.pages for question in page]

    def page_url(self, number: int) -> str:
        return reverse("surveys:take_page", kwargs={"token": self.token, "number": number})

    @property
    def check_url(self) -> str:
        return reverse("surveys:take_check", kwargs={"token": self.token})


def _refuse(request: HttpRequest, reason: str, wave: Wave | None = None, **context) -> HttpResponse:
    template, status = REFUSALS.get(reason, REFUSALS["invalid"])
    return render(request, template, {"wave": wave, **context}, status=status)


def _open_link(request: HttpRequest, token: str) -> Link | HttpResponse:
    """The link and its questions, or the page that says why it cannot be used."""
    invitation = selectors.invitation_for_token(token=token)
    if invitation is None:
        return _refuse(request, "invalid")
    wave = invitation.wave
    today = timezone.localdate()
    if invitation.used:
        return _refuse(request, "used", wave)
    if today < wave.opens_on:
        return _refuse(request, "not_open", wave)
    if wave.has_closed(today):
        return _refuse(request, "closed", wave)
    pages = list(selectors.questions_by_page(wave=wave).values())
    if not pages:  # a wave opened before its questions were written
        return _refuse(request, "not_open", wave, not_ready=True)
    request.survey_draft = draft = SurveyDraft(request, token=token, wave=wave)
    return Link(token=token, invitation=invitation, pages=pages, draft=draft)


def _paragraphs(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"\n\s*\n", text or "") if part.strip()]


def _render_page(
    request: HttpRequest, link: Link, number: int, form: QuestionPageForm, *, change: bool = False
) -> HttpResponse:
    return render(
        request,
        "surveys/take/page.html",
        {
            "wave": link.wave,
            "form": form,
            "items": form.items(),
            "number": number,
            "page_count": len(link.pages),
            "action_url": link.page_url(number),
            "change": change,
            "introduction": _paragraphs(link.wave.introduction) if number == 1 else [],
            "draft_days": draft_days(),
        },
    )


def _render_errors(request: HttpRequest, link: Link, error: ValidationError) -> HttpResponse:
    """Show the first page with a problem, with its errors, as if it had just been posted."""
    keys = set(getattr(error, "error_dict", {}))
    number = next(
        (
            index
            for index, questions in enumerate(link.pages, start=1)
            if keys & {question.key for question in questions}
        ),
        1,
    )
    form = QuestionPageForm.bound_to_answers(
        wave=link.wave, questions=link.pages[number - 1], answers=link.draft.answers
    )
    form.is_valid()
    form.add_question_errors(error)
    return _render_page(request, link, number, form)


@survey_page
@require_safe
def take(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed link: the first page, or where this browser left off."""
    link = _open_link(request, token)
    if isinstance(link, HttpResponse):
        return link
    at = link.draft.at
    if at == CHECK:
        return redirect(link.check_url)
    if isinstance(at, int) and 1 < at <= len(link.pages):
        return redirect(link.page_url(at))
    form = QuestionPageForm(wave=link.wave, questions=link.pages[0], initial=link.draft.answers)
    return _render_page(request, link, 1, form)


@survey_page
@require_http_methods(["GET", "HEAD", "POST"])
def take_page(request: HttpRequest, token: str, number: int) -> HttpResponse:
    link = _open_link(request, token)
    if isinstance(link, HttpResponse):
        return link
    if not 1 <= number <= len(link.pages):
        return redirect("surveys:take", token=token)
    questions = link.pages[number - 1]
    if request.method != "POST":
        form = QuestionPageForm(wave=link.wave, questions=questions, initial=link.draft.answers)
        return _render_page(request, link, number, form, change="change" in request.GET)

    form = QuestionPageForm(wave=link.wave, questions=questions, data=request.POST)
    if request.POST.get("action") == "back":
        previous = max(1, number - 1)
        link.draft.save_page(questions=questions, answers=form.kept_answers(), at=previous)
        return redirect(link.page_url(previous))
    if not form.is_valid():
        link.draft.save_page(questions=questions, answers=form.kept_answers(), at=number)
        return _render_page(request, link, number, form, change="change" in request.POST)
    last = number == len(link.pages)
    to_check = last or "change" in request.POST
    link.draft.save_page(
        questions=questions, answers=form.answers, at=CHECK if to_check else number + 1
    )
    return redirect(link.check_url if to_check else link.page_url(number + 1))


@survey_page
@require_http_methods(["GET", "HEAD", "POST"])
def take_check(request: HttpRequest, token: str) -> HttpResponse:
    """Check your answers, then submit them: the one moment anything is stored."""
    link = _open_link(request, token)
    if isinstance(link, HttpResponse):
        return link
    if link.draft.at is None:
        # Nothing answered in this browser (or the draft expired): start, rather than submit
        # an empty response.
        return redirect(reverse("surveys:take", kwargs={"token": token}))
    answers = link.draft.answers
    if request.method == "POST":
        try:
            # The response and the end of the draft commit together: one transaction, and no
            # moment when the answers are stored twice or the draft outlives the submission.
            with transaction.atomic():
                services.response_submit(
                    token=token,
                    answers=answers,
                    invitation=link.invitation,
                    questions=link.questions,
                )
                link.draft.delete()
        except ValidationError as error:
            return _render_errors(request, link, error)
        except services.SubmissionError as error:
            return _refuse(request, error.reason, link.wave)
        return redirect("surveys:thank_you")

    try:
        services.clean_answers(wave=link.wave, data=answers, questions=link.questions)
    except ValidationError as error:
        return _render_errors(request, link, error)
    sections = [
        {
            "number": number,
            "url": link.page_url(number),
            "rows": summary_rows(questions=questions, answers=answers),
        }
        for number, questions in enumerate(link.pages, start=1)
    ]
    return render(
        request,
        "surveys/take/check.html",
        {
            "wave": link.wave,
            "sections": sections,
            "page_count": len(link.pages),
            "action_url": link.check_url,
            "back_url": link.page_url(len(link.pages)),
        },
    )


@survey_page
@require_safe
def thank_you(request: HttpRequest) -> HttpResponse:
    return render(request, "surveys/take/thank_you.html")
