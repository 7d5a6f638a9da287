"""Writes for surveys: design, invitations, reminders, drafts, and the anonymous submission."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from importlib import import_module

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from wagtail.log_actions import log

from cms.platform import audiences
from surveys import sealing, selectors
from surveys.models import (
    Answer,
    FreeTextAnswer,
    InvitationBatch,
    PendingResponse,
    Question,
    Response,
    Survey,
    SurveyDraft,
    SurveyInvitation,
    Wave,
    WaveInvitee,
)
from surveys.tokens import hash_token, new_token

# How often the sending task saves its progress for the analyst's progress bar.
PROGRESS_EVERY = 25


class SubmissionError(Exception):
    """The survey link cannot take a response; ``reason`` says why, for the page shown."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# --- Design -----------------------------------------------------------------------------------


@transaction.atomic
def wave_copy_questions(*, wave: Wave, from_wave: Wave, by=None) -> list[Question]:
    """Start a wave with the previous wave's questions (same keys, so measures carry over)."""
    if from_wave.survey_id != wave.survey_id:
        raise ValidationError("Questions can only be copied from a wave of the same survey.")
    if wave.questions.exists():
        raise ValidationError("This wave already has questions.")
    copies = [
        Question(
            wave=wave,
            key=question.key,
            text=question.text,
            help_text=question.help_text,
            kind=question.kind,
            required=question.required,
            options=question.options,
            page=question.page,
            order=question.order,
        )
        for question in from_wave.questions.all()
    ]
    created = Question.objects.bulk_create(copies)
    log(instance=wave, action="surveys.wave.copy_questions", user=by, data={"from": from_wave.pk})
    return created


BOARD_EVALUATION_QUESTIONS = (
    (
        "engagement_meaningful",
        "Taking part in the board is meaningful: the council listens and acts on what we say.",
        Question.Kind.LIKERT,
    ),
    (
        "engagement_safe",
        "I feel safe taking part in the board, including when I talk about "
        "racism I have experienced.",
        Question.Kind.LIKERT,
    ),
    (
        "engagement_not_extractive",
        "The council does not take more from board members than it "
        "gives back: my time and experience are valued and rewarded.",
        Question.Kind.LIKERT,
    ),
    ("engagement_better", "What would make taking part better?", Question.Kind.FREE_TEXT),
)


@transaction.atomic
def board_evaluation_create(*, year: int, opens_on, closes_on, by=None) -> Wave:
    """The board's annual evaluation, ready to send: meaningful, safe, not extractive."""
    survey, _ = Survey.objects.get_or_create(
        slug="board-evaluation",
        defaults={
            "name": "Board annual evaluation",
            "kind": Survey.Kind.BOARD_EVALUATION,
            "description": "Board members tell us each year whether taking part is meaningful, "
            "safe and not extractive. Answers are anonymous.",
        },
    )
    # A board of a dozen: knowing who answered is close to knowing what they said.
    wave = Wave(
        survey=survey,
        year=year,
        opens_on=opens_on,
        closes_on=closes_on,
        participation=Wave.Participation.HIDDEN,
    )
    wave.full_clean()
    wave.save()
    Question.objects.bulk_create(
        Question(
            wave=wave,
            key=key,
            text=text,
            kind=kind,
            required=kind != Question.Kind.FREE_TEXT,
            order=index,
        )
        for index, (key, text, kind) in enumerate(BOARD_EVALUATION_QUESTIONS)
    )
    log(instance=wave, action="wagtail.create", user=by)
    return wave


# --- Invitations ------------------------------------------------------------------------------


def parse_email_list(raw: str) -> tuple[list[str], list[str]]:
    """Addresses from pasted text (one per line, or separated by commas or semicolons).

    Returns the valid addresses (lower-cased, de-duplicated, in order) and the invalid entries.
    """
    valid: list[str] = []
    invalid: list[str] = []
    seen: set[str] = set()
    for part in raw.replace(";", "\n").replace(",", "\n").splitlines():
        candidate = part.strip().strip("<>").strip()
        if not candidate:
            continue
        try:
            validate_email(candidate)
        except ValidationError:
            invalid.append(candidate[:200])
            continue
        lowered = candidate.lower()
        if lowered not in seen:
            seen.add(lowered)
            valid.append(lowered)
    return valid, invalid


@transaction.atomic
def wave_participation_set(*, wave: Wave, participation: str, by) -> Wave:
    """Choose whether the wave hides who answered; only before anything has been sent.

    The two modes keep addresses in different places (on the links, or on a list apart from
    them), so a wave cannot change once an invitation is queued.
    """
    wave = Wave.objects.select_for_update().get(pk=wave.pk)
    if participation not in Wave.Participation.values:
        raise ValidationError("Choose one of the options.")
    if selectors.wave_has_invitations(wave=wave):
        raise ValidationError(
            "Invitations to this wave have been sent, so who answered can no longer be hidden "
            "or shown differently."
        )
    if wave.participation != participation:
        wave.participation = participation
        wave.save(update_fields=["participation"])
        log(
            instance=wave,
            action="surveys.wave.participation",
            user=by,
            data={"participation": participation},
        )
    return wave


@transaction.atomic
def invitation_batch_create(*, wave: Wave, emails: Iterable[str], by) -> InvitationBatch:
    """Queue single-use links to a wave for these addresses; the task worker sends them.

    Addresses already invited to this wave are skipped, so an upload can be repeated safely.
    In a wave that hides participation the addresses go on its invitee list now, in random
    order and apart from the links (which never hold an address there).
    """
    # Locked, so the mode cannot change and two uploads cannot list one address twice.
    wave = Wave.objects.select_for_update().select_related("survey").get(pk=wave.pk)
    if wave.has_closed():
        raise ValidationError("This wave has closed: no more invitations can be sent.")
    emails = list(dict.fromkeys(e.strip().lower() for e in emails if e.strip()))
    invited = (
        WaveInvitee.objects.filter(wave=wave)
        if wave.hides_participation
        else SurveyInvitation.objects.filter(wave=wave)
    )
    already = set(invited.filter(email__in=emails).values_list("email", flat=True))
    to_send = [email for email in emails if email not in already]
    if not to_send:
        raise ValidationError("Everyone on this list has already been invited to this wave.")
    if wave.hides_participation:
        listed = [WaveInvitee(wave=wave, email=email) for email in to_send]
        random.SystemRandom().shuffle(listed)
        WaveInvitee.objects.bulk_create(listed)
    batch = InvitationBatch.objects.create(
        wave=wave,
        kind=InvitationBatch.Kind.INVITATION,
        total=len(to_send),
        pending_emails=to_send,
        created_by=by,
    )
    log(instance=wave, action="surveys.invitations.queue", user=by, data={"count": len(to_send)})
    _enqueue_batch(batch)
    return batch


@transaction.atomic
def reminders_create(*, wave: Wave, by) -> InvitationBatch:
    """Remind everyone who has not responded, with a fresh link (the old one stops working).

    In a wave that hides participation, remind everyone invited, without a link: "if you have
    already answered, thank you; if not, use the link in your invitation". Nobody is shown who
    has or has not responded: the analyst sees only the count reminded.
    """
    if not wave.is_open():
        raise ValidationError("Reminders can only be sent while the wave is open.")
    count = selectors.wave_reminder_count(wave=wave)
    if not count:
        raise ValidationError("There is nobody left to remind.")
    batch = InvitationBatch.objects.create(
        wave=wave, kind=InvitationBatch.Kind.REMINDER, total=count, created_by=by
    )
    log(instance=wave, action="surveys.reminders.queue", user=by, data={"count": count})
    _enqueue_batch(batch)
    return batch


def board_member_emails() -> list[str]:
    """Whom the board's annual evaluation goes to (the board registers the audience)."""
    return audiences.emails_of(audiences.CURRENT_BOARD_MEMBERS)


def _enqueue_batch(batch: InvitationBatch) -> None:
    from surveys.tasks import send_invitation_batch

    transaction.on_commit(lambda: send_invitation_batch.enqueue(batch_id=batch.pk))


def _survey_url(token: str) -> str:
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse(
        "surveys:take", kwargs={"token": token}
    )


def _send_link(*, wave: Wave, email: str, token: str | None, reminder: bool) -> None:
    """One email: an invitation or a reminder with its link, or (``token`` None, in a wave that
    hides participation) a reminder that points to the invitation already sent."""
    context = {
        "wave": wave,
        "url": _survey_url(token) if token else None,
        "reminder": reminder,
    }
    subject = (
        f"Reminder: {wave.survey.name} closes on {wave.closes_on:%-d %B}"
        if reminder
        else f"Your invitation: {wave.survey.name} {wave.year}"
    )
    body = render_to_string("emails/surveys/invitation.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email], fail_silently=False)


def _batch_targets(batch: InvitationBatch, wave: Wave) -> list[tuple[int | None, str]]:
    """(invitation id or None, address) for each email the batch sends, in random order when
    the wave hides participation (so neither the links' rows nor the mail log follow the list)."""
    if batch.kind == InvitationBatch.Kind.REMINDER:
        targets = list(selectors.reminder_recipients(wave=wave).values_list("pk", "email"))
    else:
        targets = [(None, email) for email in batch.pending_emails]
    if wave.hides_participation:
        random.SystemRandom().shuffle(targets)
    return targets


def _send_one(*, batch: InvitationBatch, wave: Wave, invitation_id, email: str) -> bool:
    """Make (or renew) one link and email it, in one transaction; False if nothing was due."""
    reminder = batch.kind == InvitationBatch.Kind.REMINDER
    if reminder and wave.hides_participation:
        # No new link: a second link would let someone who has answered answer again.
        _send_link(wave=wave, email=email, token=None, reminder=True)
        return True
    token = new_token()
    with transaction.atomic():
        if reminder:
            updated = SurveyInvitation.objects.filter(pk=invitation_id, used=False).update(
                token_hash=hash_token(token),
                reminders_sent=F("reminders_sent") + 1,
            )
            if not updated:
                return False  # answered meanwhile
        else:
            SurveyInvitation.objects.create(
                wave=wave,
                email="" if wave.hides_participation else email,
                token_hash=hash_token(token),
            )
        _send_link(wave=wave, email=email, token=token, reminder=reminder)
    return True


def invitation_batch_send(*, batch_id: int) -> InvitationBatch:
    """The task body: make each link, email it, and record progress as it goes.

    The raw token exists only in memory and in the email; the database keeps its hash. In a wave
    that hides participation, an address whose email failed leaves its list (so it can be sent
    again), and the wave's links are rewritten at the end (``_invitations_rewrite``).
    """
    batch = InvitationBatch.objects.select_related("wave__survey").get(pk=batch_id)
    if batch.status == InvitationBatch.Status.DONE:
        return batch
    batch.status = InvitationBatch.Status.SENDING
    batch.save(update_fields=["status"])
    wave = batch.wave
    inviting = batch.kind == InvitationBatch.Kind.INVITATION
    for index, (invitation_id, email) in enumerate(_batch_targets(batch, wave), start=1):
        try:
            due = _send_one(batch=batch, wave=wave, invitation_id=invitation_id, email=email)
        except Exception:  # one bad address must not stop the batch
            batch.failed += 1
            if inviting and wave.hides_participation:
                WaveInvitee.objects.filter(wave=wave, email=email).delete()
        else:
            if not due:
                continue
            batch.sent += 1
        if index % PROGRESS_EVERY == 0:
            batch.save(update_fields=["sent", "failed"])
    if inviting and wave.hides_participation:
        _invitations_rewrite(wave)
    batch.status = (
        InvitationBatch.Status.DONE if not batch.failed else InvitationBatch.Status.FAILED
    )
    batch.pending_emails = []
    batch.save(update_fields=["sent", "failed", "status", "pending_emails"])
    return batch


def _invitations_rewrite(wave: Wave) -> None:
    """Rewrite every link of a wave that hides participation: random order, one date.

    Otherwise the links of a later, smaller batch (a member who joined the board mid-wave) would
    stand out by their keys, row order, date or transaction id, and their used flag would say
    whether that person answered. A link keeps its hash and used flag; a submission claims it by
    hash, so a link rewritten while someone answers still works (see ``response_submit``).
    """
    with transaction.atomic():
        rows = list(
            SurveyInvitation.objects.select_for_update()
            .filter(wave=wave)
            .order_by()
            .values_list("token_hash", "used", "created_on")
        )
        if not rows:
            return
        first_day = min(created_on for _, _, created_on in rows)
        random.SystemRandom().shuffle(rows)
        SurveyInvitation.objects.filter(wave=wave).delete()
        SurveyInvitation.objects.bulk_create(
            SurveyInvitation(wave=wave, token_hash=token_hash, used=used, created_on=first_day)
            for token_hash, used, _ in rows
        )
    _vacuum(SurveyInvitation, WaveInvitee)


def _vacuum(*models) -> None:
    """On PostgreSQL, reclaim deleted rows and old row versions now rather than at
    autovacuum's convenience (VACUUM cannot run inside a transaction; a caller holding one
    leaves it to autovacuum)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"VACUUM {connection.ops.quote_name(model._meta.db_table)}")


# --- Taking the survey ------------------------------------------------------------------------


def clean_answers(*, wave: Wave, data: Mapping[str, object], questions=None) -> dict[str, object]:
    """Check answers against the wave's questions; raise ValidationError keyed by question key.

    ``data`` maps question keys to a string (or a list of strings for multiple choice).
    """
    questions = list(questions if questions is not None else wave.questions.all())
    cleaned: dict[str, object] = {}
    errors: dict[str, str] = {}
    for question in questions:
        raw = data.get(question.key)
        if question.kind == Question.Kind.MULTIPLE:
            values = (
                [v for v in (raw or []) if isinstance(v, str) and v]
                if isinstance(raw, list | tuple)
                else ([raw] if isinstance(raw, str) and raw else [])
            )
            if not values:
                if question.required:
                    errors[question.key] = "Select at least one option"
                continue
            if not set(values) <= question.valid_values():
                errors[question.key] = "Select from the options given"
                continue
            cleaned[question.key] = list(dict.fromkeys(values))
        elif question.kind == Question.Kind.FREE_TEXT:
            text = (raw if isinstance(raw, str) else "").strip()
            if not text:
                if question.required:
                    errors[question.key] = "Enter an answer"
                continue
            if len(text) > 5000:
                errors[question.key] = "Answer in 5,000 characters or fewer"
                continue
            cleaned[question.key] = text.replace("\x00", "")
        else:
            value = raw if isinstance(raw, str) else ""
            if not value:
                if question.required:
                    errors[question.key] = "Select an answer"
                continue
            if value not in question.valid_values():
                errors[question.key] = "Select from the options given"
                continue
            cleaned[question.key] = value
    if errors:
        raise ValidationError(errors)
    return cleaned


def response_submit(
    *,
    token: str,
    answers: Mapping[str, object],
    invitation: SurveyInvitation | None = None,
    questions: list[Question] | None = None,
) -> None:
    """Accept one anonymous response for a single-use link.

    The used flag and the response are written in one transaction. The flag is set with a
    conditional UPDATE (``used = false``), so of two concurrent submissions with one link exactly
    one stores a response, on SQLite (IMMEDIATE transactions) and PostgreSQL alike. The email
    address is erased at the same moment, and the reminder count reset, so a used invitation
    holds only a hash and constants.

    The answers wait as a ``PendingResponse`` until ``settings.SURVEY_RELEASE_BATCH`` of the wave
    have arrived, and then enter the results together (``responses_release``): the rows that
    share this transaction with the invitation are deleted, and the results' rows are written in
    random order, so neither row order nor transaction ids line a response up with a link.

    The taking view passes the invitation and questions it has just loaded for this token, which
    saves two reads on every submission; the conditional UPDATE still decides, so a copy that is
    stale by then cannot store a second response.
    """
    today = timezone.localdate()
    if invitation is None or invitation.token_hash != hash_token(token):
        invitation = (
            SurveyInvitation.objects.select_related("wave__survey")
            .filter(token_hash=hash_token(token))
            .first()
        )
        questions = None
    if invitation is None:
        raise SubmissionError("invalid")
    wave = invitation.wave
    if invitation.used:
        raise SubmissionError("used")
    if today < wave.opens_on:
        raise SubmissionError("not_open")
    if wave.has_closed(today):
        raise SubmissionError("closed")
    questions = list(questions if questions is not None else wave.questions.all())
    cleaned = clean_answers(wave=wave, data=answers, questions=questions)

    with transaction.atomic():
        claimed = _claim(invitation.token_hash)
        if not claimed and wave.hides_participation:
            # A batch sent to this wave rewrites its links; on PostgreSQL a claim that waited
            # for that rewrite to commit misses the new row, which a new statement sees.
            claimed = _claim(invitation.token_hash)
        if not claimed:
            raise SubmissionError("used")
        PendingResponse.objects.create(wave=wave, sealed=sealing.seal(cleaned))
        _release(wave=wave, questions=questions, at_least=settings.SURVEY_RELEASE_BATCH)


def _claim(token_hash: str) -> int:
    """Use the link if it is still unused: the conditional UPDATE that decides."""
    return SurveyInvitation.objects.filter(token_hash=token_hash, used=False).update(
        used=True, email="", reminders_sent=0
    )


def _release(*, wave: Wave, questions: list[Question], at_least: int) -> int:
    """Move the wave's pending responses into the results if there are ``at_least`` of them.

    Call inside a transaction. On PostgreSQL the rows are locked and those another transaction is
    releasing are skipped, so no response is released twice; SQLite's IMMEDIATE transactions
    already run one at a time.
    """
    pending = list(
        PendingResponse.objects.select_for_update(skip_locked=True).filter(wave=wave).order_by()
    )
    if not pending or len(pending) < at_least:
        return 0
    shuffle = random.SystemRandom().shuffle
    shuffle(pending)
    by_key = {question.key: question for question in questions}
    released_on = min(timezone.localdate(), wave.closes_on)
    responses = [Response(wave=wave, submitted_on=released_on) for _ in pending]
    coded: list[Answer] = []
    texts: list[FreeTextAnswer] = []
    for response, item in zip(responses, pending, strict=True):
        for key, value in item.answers.items():
            question = by_key.get(key)
            if question is None:
                # The admin refuses to delete a question, or change its key, while answers to
                # it wait (QuestionDeleteView, QuestionAdminForm), so only hand-edited data gets
                # here; failing keeps the batch waiting rather than dropping an answer.
                raise ValueError(f"Pending answer for unknown question {key!r} in {wave}")
            if question.kind == Question.Kind.FREE_TEXT:
                texts.append(FreeTextAnswer(question=question, text=value))
            elif isinstance(value, list):
                coded.extend(Answer(response=response, question=question, value=v) for v in value)
            else:
                coded.append(Answer(response=response, question=question, value=value))
    shuffle(coded)
    shuffle(texts)
    Response.objects.bulk_create(responses)
    Answer.objects.bulk_create(coded)
    FreeTextAnswer.objects.bulk_create(texts)
    PendingResponse.objects.filter(pk__in=[item.pk for item in pending]).delete()
    return len(pending)


def responses_release(*, wave: Wave) -> int:
    """Release every response still waiting in a closed wave, then reshuffle the whole wave.

    The last responses of a wave may be fewer than a release batch; reshuffling every response,
    answer and free text of the wave in one transaction gives them all one transaction id and a
    random row order, and rewriting the used invitations gives those one transaction id too, so
    on PostgreSQL nothing is left to line up by when it was written.
    """
    if not wave.has_closed():
        raise ValueError(f"{wave} has not closed yet")
    with transaction.atomic():
        released = _release(wave=wave, questions=list(wave.questions.all()), at_least=1)
        if released:
            _reshuffle(wave)
            SurveyInvitation.objects.filter(wave=wave, used=True).update(used=True)
    if released:
        # The deleted pending rows and the old row versions stay in the table files until then.
        _vacuum(PendingResponse, Response, Answer, FreeTextAnswer, SurveyInvitation)
    return released


def _reshuffle(wave: Wave) -> None:
    """Rewrite the wave's responses, answers and free text in random order, in plain SQL so it
    holds no rows in memory (a wave may have a million answers)."""
    quote = connection.ops.quote_name
    response, answer, text, question = (
        quote(model._meta.db_table) for model in (Response, Answer, FreeTextAnswer, Question)
    )
    statements = [
        ("CREATE TEMP TABLE shuffle_response AS SELECT * FROM {r} WHERE wave_id = %s", [wave.pk]),
        (
            "CREATE TEMP TABLE shuffle_answer AS SELECT response_id, question_id, value FROM {a} "
            "WHERE response_id IN (SELECT id FROM shuffle_response)",
            [],
        ),
        (
            "CREATE TEMP TABLE shuffle_text AS SELECT * FROM {t} "
            "WHERE question_id IN (SELECT id FROM {q} WHERE wave_id = %s)",
            [wave.pk],
        ),
        ("DELETE FROM {a} WHERE response_id IN (SELECT id FROM shuffle_response)", []),
        ("DELETE FROM {t} WHERE id IN (SELECT id FROM shuffle_text)", []),
        ("DELETE FROM {r} WHERE wave_id = %s", [wave.pk]),
        ("INSERT INTO {r} SELECT * FROM shuffle_response ORDER BY RANDOM()", []),
        (
            "INSERT INTO {a} (response_id, question_id, value) "
            "SELECT response_id, question_id, value FROM shuffle_answer ORDER BY RANDOM()",
            [],
        ),
        ("INSERT INTO {t} SELECT * FROM shuffle_text ORDER BY RANDOM()", []),
        ("DROP TABLE shuffle_response", []),
        ("DROP TABLE shuffle_answer", []),
        ("DROP TABLE shuffle_text", []),
    ]
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql.format(r=response, a=answer, t=text, q=question), params)


def closed_waves_release() -> dict[Wave, int]:
    """Release what waits in every closed wave (the daily ``release_survey_responses``)."""
    today = timezone.localdate()
    waves = Wave.objects.filter(closes_on__lt=today, pending_responses__isnull=False).distinct()
    return {wave: responses_release(wave=wave) for wave in waves}


def closed_waves_tidy(*, today=None) -> dict[str, int]:
    """What the daily ``release_survey_responses`` deletes besides releasing: drafts past their
    expiry, the invited lists of closed waves, and expired sessions (Django never deletes those
    itself, and each names a user)."""
    expired = Session.objects.filter(expire_date__lt=timezone.now()).count()
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
    return {
        "expired survey drafts": drafts_purge(today=today),
        "addresses on the invited lists of closed waves": closed_wave_invitees_delete(today=today),
        "expired sessions": expired,
    }


@transaction.atomic
def closed_wave_invitees_delete(*, today=None) -> int:
    """Delete the invited lists of waves that have closed: reminders were all they were for."""
    today = today or timezone.localdate()
    deleted, _ = WaveInvitee.objects.filter(wave__closes_on__lt=today).delete()
    return deleted


# --- Drafts -----------------------------------------------------------------------------------


@transaction.atomic
def draft_save(
    *, draft_id: str, wave: Wave, sealed: str, expires_on, replaces: Iterable[str] = ()
) -> None:
    """Keep one browser's sealed answers to one link (one upsert), in place of any it replaces
    (the same draft under a ``SECRET_KEY`` since rotated away)."""
    stale = [key for key in replaces if key != draft_id]
    if stale:
        SurveyDraft.objects.filter(pk__in=stale).delete()
    SurveyDraft.objects.bulk_create(
        [SurveyDraft(id=draft_id, wave=wave, sealed=sealed, expires_on=expires_on)],
        update_conflicts=True,
        unique_fields=["id"],
        update_fields=["sealed", "expires_on"],
    )


# Called inside the submission's transaction: no savepoint of its own (two more statements).
@transaction.atomic(savepoint=False)
def draft_delete(*, draft_ids: Iterable[str]) -> int:
    """End a draft: submitted, so the answers must not outlive the response."""
    deleted, _ = SurveyDraft.objects.filter(pk__in=list(draft_ids)).delete()
    return deleted


@transaction.atomic
def drafts_purge(*, today=None) -> int:
    """Delete every draft past its expiry date: an abandoned draft leaves nothing behind."""
    today = today or timezone.localdate()
    deleted, _ = SurveyDraft.objects.filter(expires_on__lt=today).delete()
    return deleted


@transaction.atomic
def used_invitations_delete(*, created_before) -> int:
    """Delete used survey invitation records created before that date (retention).

    A used record is only a hash and a flag, but nothing needs it once its wave's response rate
    is settled; each wave keeps the number deleted, so its response rate does not change.
    """
    wave_ids = (
        SurveyInvitation.objects.filter(used=True, created_on__lt=created_before)
        .order_by("wave_id")
        .values_list("wave_id", flat=True)
        .distinct()
    )
    deleted = 0
    for wave_id in list(wave_ids):
        removed, _ = SurveyInvitation.objects.filter(
            wave_id=wave_id, used=True, created_on__lt=created_before
        ).delete()
        Wave.objects.filter(pk=wave_id).update(
            used_invitations_deleted=F("used_invitations_deleted") + removed
        )
        deleted += removed
    return deleted
