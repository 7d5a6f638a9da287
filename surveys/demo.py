"""Demo data for surveys: three years of the staff survey and the board's annual evaluation.

The staff survey has three yearly waves (the current one open) of synthetic, anonymous responses
with the ethnic mix of an English council's workforce, including a few very small groups so that
disclosure control has cells to suppress. The gap between ethnic minorities and White staff who
agree the council promotes equality of opportunity narrows year on year (18, 14, then 9 points).
Everything is drawn from a seeded ``random.Random``, so the demo is the same each time it is
built, and written with ``bulk_create``.

It also defines the priority measures (equality of opportunity, the action plan's measure of
success, and a few others; the board's three evaluation questions, all answers only) and
publishes the Inclusion team's annual summary for the latest staff survey year under an
"Equality data" page.
"""

from __future__ import annotations

import random
import secrets
import uuid
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from cms.models import HomePage, User
from cms.platform.demo import demo_builder
from surveys import classifications, services
from surveys.models import (
    AnnualSummaryPage,
    Answer,
    EqualityDataIndexPage,
    FreeTextAnswer,
    Measure,
    Question,
    Response,
    Survey,
    SurveyInvitation,
    Wave,
    WaveInvitee,
)
from surveys.tokens import hash_token

STAFF_SLUG = "staff-survey"
SEED = 2021  # the Census year: any fixed number makes the demo reproducible
DEFAULT_RESPONSES_PER_WAVE = 3000
BOARD_RESPONSES = 8
BATCH_SIZE = 2000

# Raw tokens of the two demo links (the database keeps only their hashes, as for any link).
STAFF_DEMO_TOKEN = "demo-staff-survey-link"  # noqa: S105
BOARD_DEMO_TOKEN = "demo-board-evaluation-link"  # noqa: S105
STAFF_DEMO_EMAIL = "staff.member@example.org"
BOARD_DEMO_EMAIL = "board.member@example.org"
ANALYST_EMAIL = "inclusion.analyst@example.org"

# Share of the workforce in each ONS 2021 group, in percent (sums to 100): about 80% White
# British, 5% other White, 2% Mixed, 4% Asian, 3% Black, 1% Other and 5% Prefer not to say.
ETHNIC_MIX: dict[str, float] = {
    "white_british": 80.0,
    "white_irish": 1.2,
    "white_gypsy_traveller": 0.2,
    "white_roma": 0.1,
    "white_other": 3.5,
    "mixed_white_black_caribbean": 0.7,
    "mixed_white_black_african": 0.3,
    "mixed_white_asian": 0.6,
    "mixed_other": 0.4,
    "asian_indian": 1.6,
    "asian_pakistani": 1.1,
    "asian_bangladeshi": 0.5,
    "asian_chinese": 0.3,
    "asian_other": 0.5,
    "black_african": 1.5,
    "black_caribbean": 1.1,
    "black_other": 0.4,
    "other_arab": 0.4,
    "other_any": 0.6,
    classifications.PREFER_NOT_TO_SAY: 5.0,
}

# Percent positive (agree or strongly agree) for equal_opportunity, oldest wave first:
# the gap between White staff and ethnic minorities is 18, then 14, then 9 points.
EQUAL_OPPORTUNITY = {
    "white": (68, 70, 71),
    "minority": (50, 56, 62),
    "not_said": (55, 57, 58),
}
# Other agree/disagree questions: (White, ethnic minorities) percent positive in the oldest
# wave, improving a little each year.
OTHER_LIKERT = {
    "belonging": (71, 60),
    "report_racism": (64, 44),
    "career_progression": (55, 41),
    "respect": (78, 69),
    "manager_support": (70, 61),
}
# Within ethnic minorities, how likely each high-level group is to be among those who agree
# (relative weights): groups do not all have the same experience.
MINORITY_WEIGHTS = {"mixed": 1.0, "asian": 1.05, "black": 0.8, "other": 0.95}

DIRECTORATES = [
    ["adults", "Adult social care"],
    ["childrens", "Children's services"],
    ["place", "Place and environment"],
    ["resources", "Resources"],
    ["corporate", "Chief executive's office"],
]
DIRECTORATE_WEIGHTS = [30, 25, 22, 17, 6]
PAY_BANDS = [
    ["band_1_4", "Grades 1 to 4"],
    ["band_5_8", "Grades 5 to 8"],
    ["band_9_12", "Grades 9 to 12"],
    ["senior", "Senior leadership"],
]
PAY_BAND_WEIGHTS = {"white": [30, 42, 23, 5], "minority": [38, 42, 17, 3]}
TRAINING = [
    ["anti_racism", "Anti-racism training"],
    ["inclusive_recruitment", "Inclusive recruitment"],
    ["bystander", "Active bystander training"],
    ["leadership", "Leadership development"],
    ["none", "None of these"],
]

STAFF_QUESTIONS = [
    # key, text, kind, required, options, page
    (
        "equal_opportunity",
        "The council promotes equality of opportunity for all staff",
        Question.Kind.LIKERT,
        True,
        [],
        1,
    ),
    ("belonging", "I feel I belong at the council", Question.Kind.LIKERT, False, [], 1),
    (
        "report_racism",
        "I would feel confident reporting racism I experienced or saw at work",
        Question.Kind.LIKERT,
        False,
        [],
        1,
    ),
    (
        "career_progression",
        "I have the same chance of career progression as colleagues of other ethnic groups",
        Question.Kind.LIKERT,
        False,
        [],
        1,
    ),
    (
        "respect",
        "I am treated with dignity and respect by colleagues",
        Question.Kind.LIKERT,
        False,
        [],
        1,
    ),
    (
        "manager_support",
        "My manager would support me if I raised a concern about racism",
        Question.Kind.LIKERT,
        False,
        [],
        1,
    ),
    (
        "directorate",
        "Which directorate do you work in?",
        Question.Kind.SINGLE,
        False,
        DIRECTORATES,
        2,
    ),
    ("pay_band", "What is your pay band?", Question.Kind.SINGLE, False, PAY_BANDS, 2),
    (
        "training",
        "Which of these have you taken part in during the last year?",
        Question.Kind.MULTIPLE,
        False,
        TRAINING,
        2,
    ),
    (
        "improve",
        "What one thing would most improve equality of opportunity at the council?",
        Question.Kind.FREE_TEXT,
        False,
        [],
        2,
    ),
    ("ethnicity", "What is your ethnic group?", Question.Kind.ETHNICITY, True, [], 3),
]

FREE_TEXT = [
    "Publish the pay gap by ethnicity every year and say what you will do about it.",
    "Diverse interview panels for every job, not just senior ones.",
    "Managers need training on how to handle a complaint about racism.",
    "Mentoring for staff from minority backgrounds who want to progress.",
    "Take action when racism is reported, and tell us what happened.",
    "Advertise acting-up opportunities openly instead of tapping people on the shoulder.",
    "More flexible working so people with caring responsibilities can progress.",
    "Listen to the staff network and give it time and a budget.",
    "Anonymous shortlisting for all posts.",
    "Senior leaders should talk about race openly, not only in Black History Month.",
    "Exit interviews that ask about discrimination, with the results reported.",
    "Better translation support for frontline staff dealing with residents.",
    "Make the reporting route independent of line management.",
    "Stop relying on informal networks for secondments.",
    "Review why minority staff are more likely to go through disciplinaries.",
]
# Measures on the staff survey: (key, question key, name, description). All are priority
# measures with the first demo wave as baseline; equality of opportunity is the action plan's
# measure of success.
STAFF_MEASURES = [
    (
        "equal-opportunity",
        "equal_opportunity",
        "Equality of opportunity",
        "Staff who agree the council promotes equality of opportunity for all staff. The action "
        "plan's measure of success is an increase in the number of racially minoritised "
        "employees who are satisfied that the council promotes equality of opportunity.",
    ),
    (
        "belonging",
        "belonging",
        "Belonging",
        "Staff who agree they feel they belong at the council.",
    ),
    (
        "confidence-reporting-racism",
        "report_racism",
        "Confidence reporting racism",
        "Staff who would feel confident reporting racism they experienced or saw at work.",
    ),
    (
        "career-progression",
        "career_progression",
        "Fair chance of career progression",
        "Staff who agree they have the same chance of career progression as colleagues of other "
        "ethnic groups.",
    ),
]
# The board's evaluation: all answers only (groups=[]), as the board is too small to split.
BOARD_MEASURES = [
    (
        "board-meaningful",
        "engagement_meaningful",
        "Board: taking part is meaningful",
        "Board members who agree the council listens and acts on what they say.",
    ),
    (
        "board-safe",
        "engagement_safe",
        "Board: safe to take part",
        "Board members who feel safe taking part, including when talking about racism they "
        "have experienced.",
    ),
    (
        "board-not-extractive",
        "engagement_not_extractive",
        "Board: not extractive",
        "Board members who agree the council does not take more from them than it gives back.",
    ),
]

BOARD_FREE_TEXT = [
    "Send papers earlier and in plain English.",
    "Tell us sooner what happened to our recommendations.",
    "Meetings in the evening so those of us who work can attend.",
    "Pay for our time on the same day, not weeks later.",
    "More time with the service leads who make the decisions.",
]


def _largest_remainder(total: int, shares: dict[str, float]) -> dict[str, int]:
    """Whole counts in proportion to ``shares`` that add up to exactly ``total``."""
    scale = sum(shares.values())
    exact = {key: total * share / scale for key, share in shares.items()}
    counts = {key: int(value) for key, value in exact.items()}
    short = total - sum(counts.values())
    for key in sorted(exact, key=lambda k: exact[k] - counts[k], reverse=True)[:short]:
        counts[key] += 1
    return counts


def _group_of(code: str) -> str:
    minority = classifications.is_ethnic_minority(code)
    if minority is None:
        return "not_said"
    return "minority" if minority else "white"


def _likert(rng: random.Random, positive: bool) -> str:
    if positive:
        return "5" if rng.random() < 0.35 else "4"
    roll = rng.random()
    return "3" if roll < 0.45 else "2" if roll < 0.8 else "1"


def _weighted_top(
    rng: random.Random, items: list[int], weights: list[float], count: int
) -> set[int]:
    """``count`` items drawn without replacement, each as likely as its weight."""
    keyed = sorted(items, key=lambda i: rng.random() ** (1 / weights[i]), reverse=True)
    return set(keyed[:count])


def _survey_url(token: str) -> str:
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse(
        "surveys:take", kwargs={"token": token}
    )


def _invitation_hash() -> str:
    return hash_token(secrets.token_urlsafe(24))


def _create_questions(wave: Wave) -> dict[str, Question]:
    Question.objects.bulk_create(
        Question(
            wave=wave,
            key=key,
            text=text,
            kind=kind,
            required=required,
            options=options,
            page=page,
            order=index,
        )
        for index, (key, text, kind, required, options, page) in enumerate(STAFF_QUESTIONS, 1)
    )
    return {question.key: question for question in wave.questions.all()}


def _staff_wave_responses(
    *,
    rng: random.Random,
    wave: Wave,
    questions: dict[str, Question],
    count: int,
    wave_index: int,
    until: date,
) -> None:
    """``count`` anonymous responses; the equal_opportunity rates are met exactly."""
    codes = [code for code, n in _largest_remainder(count, ETHNIC_MIX).items() for _ in range(n)]
    rng.shuffle(codes)
    groups = [_group_of(code) for code in codes]

    # Who agrees the council promotes equality of opportunity: exactly the target share of
    # each group, weighted within ethnic minorities by high-level group.
    agrees: set[int] = set()
    for group, rates in EQUAL_OPPORTUNITY.items():
        members = [i for i, g in enumerate(groups) if g == group]
        wanted = round(len(members) * rates[wave_index] / 100)
        weights = [1.0] * count
        if group == "minority":
            for i in members:
                weights[i] = MINORITY_WEIGHTS[classifications.high_level_of(codes[i])]
        agrees |= _weighted_top(rng, members, weights, wanted)

    span = max((until - wave.opens_on).days, 0)
    responses: list[Response] = []
    answers: list[Answer] = []
    texts: list[FreeTextAnswer] = []
    for i, code in enumerate(codes):
        group = groups[i]
        response_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        responses.append(
            Response(
                id=response_id,
                wave=wave,
                submitted_on=wave.opens_on + timedelta(days=rng.randint(0, span)),
            )
        )

        def add(key: str, value: str, response_id=response_id) -> None:
            answers.append(Answer(response_id=response_id, question=questions[key], value=value))

        add("equal_opportunity", _likert(rng, i in agrees))
        for key, (white_rate, minority_rate) in OTHER_LIKERT.items():
            if rng.random() < 0.03:
                continue  # not answered
            rate = minority_rate if group == "minority" else white_rate
            if group == "not_said":
                rate -= 6
            rate += 2 * wave_index if group != "minority" else 4 * wave_index
            add(key, _likert(rng, rng.random() * 100 < rate))
        if rng.random() < 0.95:
            add("directorate", rng.choices(DIRECTORATES, DIRECTORATE_WEIGHTS)[0][0])
        if rng.random() < 0.9:
            band_weights = PAY_BAND_WEIGHTS["minority" if group == "minority" else "white"]
            add("pay_band", rng.choices(PAY_BANDS, band_weights)[0][0])
        if rng.random() < 0.85:
            taken = [value for value, _ in TRAINING[:-1] if rng.random() < 0.3 + 0.1 * wave_index]
            for value in taken or ["none"]:
                add("training", value)
        add("ethnicity", code)
        if rng.random() < 0.06:
            texts.append(FreeTextAnswer(question=questions["improve"], text=rng.choice(FREE_TEXT)))

    Response.objects.bulk_create(responses, batch_size=BATCH_SIZE)
    Answer.objects.bulk_create(answers, batch_size=BATCH_SIZE)
    FreeTextAnswer.objects.bulk_create(texts, batch_size=BATCH_SIZE)


def _staff_invitations(*, rng: random.Random, wave: Wave, responded: int, open_wave: bool):
    """Used links for those who responded; unused ones for the rest (about 62% respond).

    Unused links keep their address only while the wave is open (for reminders).
    """
    invited = round(responded / 0.62)
    rows = [
        SurveyInvitation(wave=wave, token_hash=_invitation_hash(), used=True, email="")
        for _ in range(responded)
    ]
    rows += [
        SurveyInvitation(
            wave=wave,
            token_hash=_invitation_hash(),
            email=f"staff{index:05d}@northshire.example.org" if open_wave else "",
        )
        for index in range(invited - responded)
    ]
    rng.shuffle(rows)
    SurveyInvitation.objects.bulk_create(rows, batch_size=BATCH_SIZE)


def _build_staff_survey(*, rng: random.Random, today: date, responses_per_wave: int) -> Wave:
    survey = Survey.objects.create(
        name="Staff survey",
        slug=STAFF_SLUG,
        kind=Survey.Kind.STAFF,
        description="The council's annual staff survey: how staff experience equality of "
        "opportunity, belonging and support, by ethnic group.",
    )
    current = None
    for wave_index, year in enumerate((today.year - 2, today.year - 1, today.year)):
        is_current = year == today.year
        if is_current:
            opens_on, closes_on = today - timedelta(days=21), today + timedelta(days=21)
        else:
            opens_on, closes_on = date(year, 10, 1), date(year, 10, 31)
        wave = Wave.objects.create(
            survey=survey,
            year=year,
            opens_on=opens_on,
            closes_on=closes_on,
            introduction="This survey is anonymous. Your link works once and is not connected "
            "to your answers. Results are published by ethnic group only where at least ten "
            "people answered.",
        )
        questions = _create_questions(wave)
        _staff_wave_responses(
            rng=rng,
            wave=wave,
            questions=questions,
            count=responses_per_wave,
            wave_index=wave_index,
            until=min(closes_on, today),
        )
        _staff_invitations(rng=rng, wave=wave, responded=responses_per_wave, open_wave=is_current)
        if is_current:
            current = wave
    return current


def _build_board_evaluation(*, rng: random.Random, today: date) -> Wave | None:
    """Last year's evaluation with a few responses, and this year's, open."""
    survey_slug = "board-evaluation"
    last_year = today.year - 1
    if not Wave.objects.filter(survey__slug=survey_slug, year=last_year).exists():
        wave = services.board_evaluation_create(
            year=last_year, opens_on=date(last_year, 3, 1), closes_on=date(last_year, 3, 31)
        )
        questions = {question.key: question for question in wave.questions.all()}
        responses, answers, texts = [], [], []
        for _ in range(BOARD_RESPONSES):
            response_id = uuid.UUID(int=rng.getrandbits(128), version=4)
            responses.append(
                Response(
                    id=response_id,
                    wave=wave,
                    submitted_on=wave.opens_on + timedelta(days=rng.randint(0, 30)),
                )
            )
            for key, rate in (
                ("engagement_meaningful", 0.6),
                ("engagement_safe", 0.75),
                ("engagement_not_extractive", 0.5),
            ):
                answers.append(
                    Answer(
                        response_id=response_id,
                        question=questions[key],
                        value=_likert(rng, rng.random() < rate),
                    )
                )
        for text in rng.sample(BOARD_FREE_TEXT, 4):
            texts.append(FreeTextAnswer(question=questions["engagement_better"], text=text))
        Response.objects.bulk_create(responses)
        Answer.objects.bulk_create(answers)
        FreeTextAnswer.objects.bulk_create(texts)
        SurveyInvitation.objects.bulk_create(
            SurveyInvitation(
                wave=wave, token_hash=_invitation_hash(), used=index < BOARD_RESPONSES, email=""
            )
            for index in range(BOARD_RESPONSES + 2)
        )
    current = Wave.objects.filter(survey__slug=survey_slug, year=today.year).first()
    if current is None:
        current = services.board_evaluation_create(
            year=today.year,
            opens_on=today - timedelta(days=7),
            closes_on=today + timedelta(days=28),
        )
    return current if current.is_open(today) else None


def _demo_link(*, wave: Wave, token: str, email: str) -> str:
    """A link the person running the demo can open; a fresh one if the known one was used.

    In a wave that hides participation the link holds no address: the address goes on the
    wave's invitee list instead, as the invitation service does.
    """
    if wave.hides_participation:
        WaveInvitee.objects.get_or_create(wave=wave, email=email)
        email = ""
    invitation = SurveyInvitation.objects.filter(token_hash=hash_token(token)).first()
    if invitation is None:
        SurveyInvitation.objects.create(wave=wave, email=email, token_hash=hash_token(token))
    elif invitation.used or invitation.wave_id != wave.pk:
        token = secrets.token_urlsafe(24)
        unused = (
            SurveyInvitation.objects.filter(wave=wave, email=email, used=False).first()
            if email
            else None
        )
        if unused is not None:
            unused.token_hash = hash_token(token)
            unused.save(update_fields=["token_hash"])
        else:
            SurveyInvitation.objects.create(wave=wave, email=email, token_hash=hash_token(token))
    return _survey_url(token)


def _invite_board(*, wave: Wave, analyst) -> int:
    """Invite the other current board members through a batch, as an analyst would."""
    board_member = User.objects.filter(email=BOARD_DEMO_EMAIL).first()
    emails = [
        email
        for email in services.board_member_emails()
        if not board_member or email != board_member.email
    ]
    already = WaveInvitee.objects if wave.hides_participation else SurveyInvitation.objects
    invited = set(already.filter(wave=wave, email__in=emails).values_list("email", flat=True))
    emails = [email for email in emails if email not in invited]
    if not emails:
        return 0
    batch = services.invitation_batch_create(wave=wave, emails=emails, by=analyst)
    return batch.total


def _define_measures() -> list[Measure]:
    """The demo's priority measures; existing ones (perhaps edited since) are left alone."""
    measures = []
    for slug, definitions, extra in (
        (STAFF_SLUG, STAFF_MEASURES, {}),
        ("board-evaluation", BOARD_MEASURES, {"groups": []}),
    ):
        survey = Survey.objects.filter(slug=slug).first()
        if survey is None:
            continue
        baseline = survey.waves.order_by("year").first()
        for key, question_key, name, description in definitions:
            measure, _ = Measure.objects.get_or_create(
                key=key,
                defaults={
                    "name": name,
                    "description": description,
                    "survey": survey,
                    "question_key": question_key,
                    "priority": True,
                    "baseline": baseline,
                    **extra,
                },
            )
            measures.append(measure)
    return measures


def _publish_annual_summary(*, year: int) -> AnnualSummaryPage:
    """The equality data index under the home page, and a published summary for ``year``.

    Creating the index gives Inclusion analysts page permissions on it (``surveys.signals``);
    publishing the summary takes its snapshot of the figures.
    """
    home = HomePage.objects.get()
    index = EqualityDataIndexPage.objects.first()
    if index is None:
        index = EqualityDataIndexPage(
            title="Equality data",
            slug="equality-data",
            intro="<p>Each year the Inclusion team publishes what the staff survey and the "
            "board's evaluation show, by ethnic group, and whether things are getting "
            "better.</p>",
        )
        home.add_child(instance=index)
        index.save_revision().publish()
    summary = AnnualSummaryPage.objects.filter(year=year).first()
    if summary is None:
        summary = AnnualSummaryPage(
            title=f"Equality summary {year}",
            slug=str(year),
            year=year,
            intro="<p>How staff and board members from every ethnic group experience the "
            f"council in {year}, compared with last year and with our baseline.</p>",
        )
        index.add_child(instance=summary)
        analyst = User.objects.filter(email=ANALYST_EMAIL).first()
        summary.save_revision(user=analyst).publish(user=analyst)
    return summary


@demo_builder("surveys")
@transaction.atomic
def build(*, stdout, responses_per_wave: int = DEFAULT_RESPONSES_PER_WAVE) -> list[str]:
    today = timezone.localdate()
    lines: list[str] = []
    if Survey.objects.filter(slug=STAFF_SLUG).exists():
        lines.append("Surveys: demo data already present.")
        current = Wave.objects.filter(survey__slug=STAFF_SLUG, year=today.year).first()
    else:
        rng = random.Random(SEED)  # noqa: S311  (synthetic demo data, not security)
        stdout.write(
            f"  surveys: writing {3 * responses_per_wave:,} synthetic staff survey responses"
        )
        current = _build_staff_survey(rng=rng, today=today, responses_per_wave=responses_per_wave)
        board_wave = _build_board_evaluation(rng=rng, today=today)
        analyst = User.objects.filter(email=ANALYST_EMAIL).first()
        invited = _invite_board(wave=board_wave, analyst=analyst) if board_wave else 0
        lines.append(
            f"Surveys: staff survey with 3 waves of {responses_per_wave:,} responses "
            f"({today.year} open); board evaluation {today.year - 1} with {BOARD_RESPONSES} "
            f"responses and {today.year} open ({invited} board members invited)."
        )
    if current is not None and current.is_open(today):
        url = _demo_link(wave=current, token=STAFF_DEMO_TOKEN, email=STAFF_DEMO_EMAIL)
        lines.append(f"  Staff survey demo link: {url}")
    board_wave = Wave.objects.filter(survey__slug="board-evaluation", year=today.year).first()
    if (
        board_wave is not None
        and board_wave.is_open(today)
        and User.objects.filter(email=BOARD_DEMO_EMAIL).exists()
    ):
        url = _demo_link(wave=board_wave, token=BOARD_DEMO_TOKEN, email=BOARD_DEMO_EMAIL)
        lines.append(f"  Board evaluation demo link ({BOARD_DEMO_EMAIL}): {url}")
    measures = _define_measures()
    latest = Wave.objects.filter(survey__slug=STAFF_SLUG).order_by("-year").first()
    if latest is not None:
        summary = _publish_annual_summary(year=latest.year)
        lines.append(
            f"  {len(measures)} priority measures; annual summary {summary.year}: "
            f"{settings.WAGTAILADMIN_BASE_URL.rstrip('/')}{summary.url}"
        )
    return lines
