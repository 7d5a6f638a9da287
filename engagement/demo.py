"""Demo data for engagement: the hub and every page type under it, venues, organisers, the
calendar of dates for the year ahead, newsletter subscribers, and the accessibility statement.

Safe to run twice: pages are built once (the hub is the marker), calendar dates and snippets
are matched on their natural keys.
"""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta

from django.core.files.images import ImageFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Page, Site

from cms.models import AccessibilityStatementPage, HomePage, SiteSettings
from cms.platform.demo import demo_builder
from engagement import tokens
from engagement.models import (
    ActivityAction,
    ActivityIndexPage,
    ActivityPage,
    ActivityRespondentGroup,
    ActivityTheme,
    CalendarDate,
    CulturalCalendarPage,
    EngagementHubPage,
    EventIndexPage,
    EventOrganiser,
    EventPage,
    NewsIndexPage,
    NewsletterIndexPage,
    NewsletterIssuePage,
    NewsletterSubscriber,
    NewsPage,
    StoryIndexPage,
    StoryPage,
    Venue,
)

Kind = CalendarDate.Kind

# Moveable dates, from published calendars; the lunar ones are marked "date may vary".
MOVEABLE_DATES = [
    ("Diwali", Kind.FAITH, [(date(2026, 11, 8), None), (date(2027, 10, 29), None)], False),
    (
        "Hanukkah",
        Kind.FAITH,
        [(date(2026, 12, 4), date(2026, 12, 12)), (date(2027, 12, 24), date(2028, 1, 1))],
        False,
    ),
    ("Lunar New Year", Kind.CULTURAL, [(date(2027, 2, 6), None), (date(2028, 1, 26), None)], True),
    (
        "Ramadan",
        Kind.FAITH,
        [(date(2027, 2, 8), date(2027, 3, 9)), (date(2028, 1, 28), date(2028, 2, 26))],
        True,
    ),
    ("Eid al-Fitr", Kind.FAITH, [(date(2027, 3, 10), None), (date(2028, 2, 27), None)], True),
    ("Holi", Kind.FAITH, [(date(2027, 3, 22), None), (date(2028, 3, 11), None)], False),
    ("Eid al-Adha", Kind.FAITH, [(date(2027, 5, 17), None), (date(2028, 5, 5), None)], True),
]

# (title, kind, (month, day) start, (month, day) end or None, description)
FIXED_DATES = [
    (
        "Holocaust Memorial Day",
        Kind.COMMEMORATION,
        (1, 27),
        None,
        "Remembering the six million Jews murdered in the Holocaust, and the victims of Nazi "
        "persecution and of later genocides.",
    ),
    (
        "International Day for the Elimination of Racial Discrimination",
        Kind.AWARENESS,
        (3, 21),
        None,
        "The United Nations day marking the Sharpeville massacre of 1960.",
    ),
    ("Vaisakhi", Kind.FAITH, (4, 14), None, "The Sikh new year and harvest festival."),
    (
        "Gypsy, Roma and Traveller History Month",
        Kind.AWARENESS,
        (6, 1),
        (6, 30),
        "Celebrating the history, culture and contribution of Gypsy, Roma and Traveller people.",
    ),
    (
        "Windrush Day",
        Kind.COMMEMORATION,
        (6, 22),
        None,
        "Marking the arrival of the Empire Windrush in 1948 and the Windrush generation.",
    ),
    (
        "South Asian Heritage Month",
        Kind.CULTURAL,
        (7, 18),
        (8, 17),
        "Celebrating South Asian cultures, histories and communities in the UK.",
    ),
    (
        "Black History Month",
        Kind.AWARENESS,
        (10, 1),
        (10, 31),
        "Celebrating the contributions of Black people to Britain, and learning their history.",
    ),
    ("Christmas Day", Kind.FAITH, (12, 25), None, "The Christian festival of Jesus's birth."),
]


def _p(text: str) -> str:
    return f"<p>{text}</p>"


def _next_occurrence(month: int, day: int, today: date) -> date:
    candidate = date(today.year, month, day)
    return candidate if candidate >= today else date(today.year + 1, month, day)


def _first_weekday_on_or_after(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def _calendar_dates(today: date) -> list[dict]:
    horizon = today + timedelta(days=365)
    dates = []
    for title, kind, start, end, description in FIXED_DATES:
        starts_on = _next_occurrence(*start, today)
        ends_on = None
        if end:
            ends_on = date(starts_on.year + (end < start), *end)
        dates.append(
            {
                "title": title,
                "kind": kind,
                "starts_on": starts_on,
                "ends_on": ends_on,
                "description": description,
            }
        )
    # Weeks set each year: Race Equality Week starts on the first Monday in February; National
    # Hate Crime Awareness Week runs from the second Saturday in October; Interfaith Week from
    # the second Sunday in November.
    for title, kind, (month, first), weekday, length, description in [
        (
            "Race Equality Week",
            Kind.AWARENESS,
            (2, 1),
            0,
            7,
            "A UK-wide week to tackle the barriers to race equality at work.",
        ),
        (
            "National Hate Crime Awareness Week",
            Kind.AWARENESS,
            (10, 8),
            5,
            8,
            "Encouraging people to report hate crime, and supporting those affected.",
        ),
        (
            "Interfaith Week",
            Kind.AWARENESS,
            (11, 8),
            6,
            8,
            "Strengthening good relations between people of different faiths and beliefs.",
        ),
    ]:
        year = today.year
        starts_on = _first_weekday_on_or_after(date(year, month, first), weekday)
        if starts_on + timedelta(days=length - 1) < today:
            starts_on = _first_weekday_on_or_after(date(year + 1, month, first), weekday)
        dates.append(
            {
                "title": title,
                "kind": kind,
                "starts_on": starts_on,
                "ends_on": starts_on + timedelta(days=length - 1),
                "description": description,
            }
        )
    for title, kind, occurrences, may_vary in MOVEABLE_DATES:
        for starts_on, ends_on in occurrences:
            if (ends_on or starts_on) >= today and starts_on <= horizon:
                dates.append(
                    {
                        "title": title,
                        "kind": kind,
                        "starts_on": starts_on,
                        "ends_on": ends_on,
                        "date_may_vary": may_vary,
                        "description": "",
                    }
                )
                break
    return dates


def _build_calendar_dates(today: date) -> int:
    for item in _calendar_dates(today):
        CalendarDate.objects.get_or_create(
            title=item.pop("title"), starts_on=item.pop("starts_on"), defaults=item
        )
    return CalendarDate.objects.count()


def _demo_image(title: str, colours: tuple[str, str]):
    """A simple two-colour picture, so the demo has images without shipping any."""
    from PIL import Image as PillowImage
    from PIL import ImageDraw

    Image = get_image_model()
    existing = Image.objects.filter(title=title).first()
    if existing:
        return existing
    picture = PillowImage.new("RGB", (1200, 675), colours[0])
    draw = ImageDraw.Draw(picture)
    for step in range(0, 1200, 150):
        draw.ellipse((step, 200, step + 300, 500), fill=colours[1])
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    image = Image(title=title)
    image.file = ImageFile(buffer, name=f"{title.lower().replace(' ', '-')}.png")
    image.save()
    return image


def _demo_document(title: str, text: str):
    Document = get_document_model()
    existing = Document.objects.filter(title=title).first()
    if existing:
        return existing
    document = Document(title=title)
    upload = SimpleUploadedFile(
        f"{title.lower().replace(' ', '-')}.txt", text.encode(), content_type="text/plain"
    )
    document.file = upload
    document.file_size = len(text.encode())
    document.save()
    return document


def _publish(parent: Page, page: Page) -> Page:
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _build_hub(home: HomePage, today: date) -> EngagementHubPage:
    report = _demo_document(
        "Community strategy engagement report",
        "What residents told us about the community strategy, and what we will do.",
    )
    return _publish(
        home,
        EngagementHubPage(
            title="Get involved",
            slug="get-involved",
            show_in_menus=True,
            search_description="Have your say, come to an event, read residents' stories and "
            "see what we did with what you told us.",
            intro="Have your say on council services, come to an event, read residents' "
            "stories, and see what we did with what you told us.",
            body=[
                (
                    "key_figure",
                    {
                        "figure": "1,240",
                        "label": "residents, staff and community groups took part in our "
                        "engagement this year",
                        "source": "Engagement and Partnerships team",
                    },
                ),
                (
                    "accordion",
                    {
                        "sections": [
                            {
                                "heading": "Why we ask",
                                "content": _p(
                                    "Our anti-racist action plan commits us to co-produce "
                                    "services with residents, so decisions are informed by "
                                    "the people they affect."
                                ),
                            },
                            {
                                "heading": "How we report back",
                                "content": _p(
                                    "After every activity we publish what we heard, who we "
                                    "heard from and what we did about it."
                                ),
                            },
                        ]
                    },
                ),
                (
                    "document",
                    {
                        "document": report,
                        "title": "",
                        "description": "A summary of every engagement activity this year.",
                    },
                ),
                (
                    "alternative_formats",
                    {
                        "heading": "Other formats and languages",
                        "text": "",
                        "languages": [
                            {
                                "language": "Polish",
                                "native_name": "Polski",
                                "language_code": "pl",
                                "document": None,
                                "url": "",
                            },
                            {
                                "language": "Urdu",
                                "native_name": "اردو",
                                "language_code": "ur",
                                "document": None,
                                "url": "",
                            },
                            {
                                "language": "British Sign Language",
                                "native_name": "",
                                "language_code": "",
                                "document": None,
                                "url": "",
                            },
                        ],
                    },
                ),
            ],
        ),
    )


def _build_activities(hub: EngagementHubPage, today: date) -> None:
    index = _publish(
        hub,
        ActivityIndexPage(
            title="Have your say",
            slug="have-your-say",
            intro="Consultations, listening sessions and research, and what came of each.",
        ),
    )
    _publish(
        index,
        ActivityPage(
            title="Community strategy: help us write it",
            slug="community-strategy",
            search_description="Tell us what matters for the new community strategy.",
            kind=ActivityPage.Kind.CONSULTATION,
            status=ActivityPage.Status.OPEN,
            what_we_asked=_p(
                "What should the council's new community strategy do for you, your family and "
                "your neighbourhood? What gets in the way of taking part in community life?"
            ),
            run_by="Engagement and Partnerships team with Race Equality North Somerset",
            starts_on=today - timedelta(days=14),
            ends_on=today + timedelta(days=45),
            how_to_take_part=_p(
                "Answer the online survey, come to a drop-in session, or ask for a paper copy "
                "or an interpreter by phone."
            ),
            take_part_url="https://example.org/community-strategy-survey",
        ),
    )
    listening = ActivityPage(
        title="Listening sessions on reporting hate crime",
        slug="hate-crime-listening-sessions",
        search_description="What stops people reporting hate crime, and what would help.",
        kind=ActivityPage.Kind.LISTENING_SESSION,
        status=ActivityPage.Status.ANALYSING,
        what_we_asked=_p("What stops you or people you know from reporting hate crime?"),
        run_by="Safer Communities team with the RHINS forum",
        starts_on=today - timedelta(days=90),
        ends_on=today - timedelta(days=30),
    )
    listening.respondent_groups = [
        ActivityRespondentGroup(
            respondent_type=ActivityRespondentGroup.RespondentType.RESIDENTS, count=64
        ),
        ActivityRespondentGroup(
            respondent_type=ActivityRespondentGroup.RespondentType.COMMUNITY_GROUPS, count=12
        ),
    ]
    _publish(index, listening)

    # The board's recommendations, through the model relation (engagement imports no board).
    recommendations = ActivityAction._meta.get_field("recommendation").related_model
    recommendation = recommendations.objects.published().order_by("published_at").first()
    reported = ActivityPage(
        title="Libraries for everyone: research with families",
        slug="libraries-research",
        search_description="What families who speak other languages told us about libraries.",
        kind=ActivityPage.Kind.RESEARCH,
        status=ActivityPage.Status.REPORTED,
        what_we_asked=_p(
            "We asked families who speak languages other than English how they use libraries, "
            "and what would make libraries more welcoming."
        ),
        run_by="Libraries and culture, with the Lived Experience Advisory Board",
        starts_on=today - timedelta(days=400),
        ends_on=today - timedelta(days=300),
        reported_on=today - timedelta(days=200),
        documents=[
            (
                "document",
                {
                    "document": _demo_document(
                        "Libraries research report",
                        "Libraries for everyone: the full research report.",
                    ),
                    "title": "Libraries for everyone: full report",
                    "description": "Includes the questions we asked and every theme.",
                },
            )
        ],
    )
    reported.respondent_groups = [
        ActivityRespondentGroup(
            respondent_type=ActivityRespondentGroup.RespondentType.RESIDENTS, count=143
        ),
        ActivityRespondentGroup(
            respondent_type=ActivityRespondentGroup.RespondentType.YOUNG_PEOPLE, count=27
        ),
        ActivityRespondentGroup(
            respondent_type=ActivityRespondentGroup.RespondentType.STAFF, count=6
        ),
    ]
    reported.themes = [
        ActivityTheme(
            title="Books and events in our languages",
            description="Families could not find books in the languages they speak at home.",
        ),
        ActivityTheme(
            title="A warmer welcome",
            description="Some felt unwelcome and did not know what the library offers.",
        ),
    ]
    reported.actions = [
        ActivityAction(
            description="We bought books in Polish, Urdu, Arabic and Bengali for every branch.",
            progress=ActivityAction.Progress.DONE,
            recommendation=recommendation,
        ),
        ActivityAction(
            description="Staff in every branch are taking cultural competence training.",
            progress=ActivityAction.Progress.IN_PROGRESS,
        ),
    ]
    _publish(index, reported)


def _build_events(hub: EngagementHubPage, today: date) -> None:
    town_hall, _ = Venue.objects.get_or_create(
        name="Town Hall",
        defaults={
            "address": "Walliscote Grove Road\nWeston-super-Mare",
            "postcode": "BS23 1UJ",
            "step_free": Venue.StepFree.FULL,
            "accessible_toilet": True,
            "hearing_loop": True,
            "accessible_parking": True,
            "quiet_space": True,
            "accessibility_notes": "Use the main entrance on Walliscote Grove Road. Buses stop "
            "outside.",
        },
    )
    centre, _ = Venue.objects.get_or_create(
        name="Bournville Community Centre",
        defaults={
            "address": "Selworthy Road\nWeston-super-Mare",
            "postcode": "BS23 3ST",
            "step_free": Venue.StepFree.PARTIAL,
            "accessible_toilet": True,
            "accessibility_notes": "The main hall is step-free; the upstairs meeting room is not.",
        },
    )
    council, _ = EventOrganiser.objects.get_or_create(
        name="Northshire Council",
        defaults={"kind": EventOrganiser.Kind.COUNCIL, "website": "https://example.org"},
    )
    partner, _ = EventOrganiser.objects.get_or_create(
        name="Race Equality North Somerset",
        defaults={"kind": EventOrganiser.Kind.PARTNER, "website": "https://example.org/rens"},
    )
    group, _ = EventOrganiser.objects.get_or_create(
        name="Weston Women's Circle", defaults={"kind": EventOrganiser.Kind.COMMUNITY_GROUP}
    )
    index = _publish(
        hub,
        EventIndexPage(
            title="Events",
            slug="events",
            intro="Events that celebrate the cultures of our area, and chances to meet us.",
        ),
    )
    for title, slug, days, hours, venue, online, organiser, summary, booking in [
        (
            "Community strategy drop-in",
            "community-strategy-drop-in",
            9,
            (14, 16),
            centre,
            "",
            council,
            "Tell us what the new community strategy should do. Interpreters on request.",
            False,
        ),
        (
            "Celebrating our communities: music and food evening",
            "celebrating-our-communities",
            40,
            (18, 20),
            town_hall,
            "https://example.org/stream",
            partner,
            "Music, food and stories from the communities of our area, also streamed online.",
            True,
        ),
        (
            "Women's cultural exchange",
            "womens-cultural-exchange",
            -20,
            (10, 12),
            centre,
            "",
            group,
            "Share recipes, crafts and stories.",
            False,
        ),
    ]:
        day = today + timedelta(days=days)
        _publish(
            index,
            EventPage(
                title=title,
                slug=slug,
                summary=summary,
                starts_at=_at(day, hours[0]),
                ends_at=_at(day, hours[1]),
                venue=venue,
                online_url=online,
                organiser=organiser,
                access_at_event="British Sign Language interpreter; prayer room; halal and "
                "vegetarian food.",
                booking_required=booking,
                booking_url="https://example.org/book" if booking else "",
            ),
        )


def _build_calendar(hub: EngagementHubPage) -> None:
    _publish(
        hub,
        CulturalCalendarPage(
            title="Calendar of cultural and faith celebrations",
            slug="calendar",
            intro="Cultural and faith celebrations, commemorations and awareness days, weeks "
            "and months in the year ahead.",
        ),
    )


def _build_stories(hub: EngagementHubPage, today: date) -> None:
    index = _publish(
        hub,
        StoryIndexPage(
            title="Stories",
            slug="stories",
            intro="Residents tell their own stories of life here, in their own words.",
        ),
    )
    for title, slug, colours, alt, named, name, description, quote in [
        (
            "From Lagos to Weston: finding my people",
            "finding-my-people",
            ("#1d4f91", "#f3f2f1"),
            "An abstract pattern of white circles on a dark blue background.",
            True,
            "Adaeze",
            "",
            "The first time someone said my name right, I knew I would stay.",
        ),
        (
            "Cooking together",
            "cooking-together",
            ("#00703c", "#ffdd00"),
            "An abstract pattern of yellow circles on a green background.",
            False,
            "",
            "a grandmother from Clevedon",
            "Food is how we say welcome before we share a language.",
        ),
    ]:
        _publish(
            index,
            StoryPage(
                title=title,
                slug=slug,
                summary=quote,
                image=_demo_image(title, colours),
                image_alt=alt,
                story=[
                    ("rich_text", _p("This story was told to our engagement team.")),
                    ("quote", {"quote": quote, "attribution": name, "role": description}),
                ],
                consent_given=True,
                consent_recorded_on=today - timedelta(days=30),
                consent_reference="Consent form held by the Engagement and Partnerships team",
                name_teller=named,
                teller_name=name,
                teller_description=description,
            ),
        )


def _build_news(hub: EngagementHubPage, today: date) -> None:
    news = _publish(
        hub,
        NewsIndexPage(
            title="News",
            slug="news",
            intro="News about our work with racially minoritised communities.",
        ),
    )
    for title, slug, days_ago, intro in [
        (
            "New reporting centres for hate crime",
            "hate-crime-reporting-centres",
            10,
            "Three libraries are now third-party hate crime reporting centres.",
        ),
        (
            "Staff survey results published",
            "staff-survey-results",
            60,
            "How staff from ethnic minorities see equality of opportunity at the council.",
        ),
        (
            "Lived Experience Advisory Board recruits new members",
            "board-recruits",
            400,
            "Residents with lived experience of racism are invited to join the board.",
        ),
    ]:
        _publish(
            news,
            NewsPage(
                title=title,
                slug=slug,
                date=today - timedelta(days=days_ago),
                intro=intro,
                body=[
                    ("rich_text", _p(intro)),
                    (
                        "video",
                        {
                            "title": "Why reporting matters",
                            "video": None,
                            "url": "https://www.youtube.com/watch?v=example",
                            "captions": None,
                            "transcript": _p(
                                "A community worker explains how to report hate crime and "
                                "what happens next."
                            ),
                        },
                    ),
                ]
                if days_ago == 10
                else [("rich_text", _p(intro))],
            ),
        )
    newsletters = _publish(
        hub,
        NewsletterIndexPage(
            title="Newsletter",
            slug="newsletter",
            intro="Our newsletter: what we heard, what we did, events and stories.",
        ),
    )
    for title, slug, days_ago in [
        ("Spring newsletter", "spring", 250),
        ("Autumn newsletter", "autumn", 20),
    ]:
        _publish(
            newsletters,
            NewsletterIssuePage(
                title=title,
                slug=slug,
                date=today - timedelta(days=days_ago),
                intro="What residents told us this season, and what we did about it.",
                body=[
                    ("rich_text", _p("Thank you to everyone who took part.")),
                    (
                        "call_out",
                        {"heading": "Get involved", "text": _p("Come to a drop-in session.")},
                    ),
                ],
            ),
        )


def _build_accessibility_statement(home: HomePage, today: date) -> AccessibilityStatementPage:
    page = AccessibilityStatementPage.objects.first()
    if page is None:
        page = _publish(
            home,
            AccessibilityStatementPage(
                title="Accessibility statement",
                slug="accessibility-statement",
                intro="This statement applies to the council's engagement and lived experience "
                "website.",
                how_accessible=_p(
                    "You should be able to change colours and fonts, zoom in up to 400% "
                    "without text spilling off the screen, navigate with a keyboard or speech "
                    "recognition software, and listen to the site with a screen reader."
                ),
                feedback_and_contact=_p(
                    "If you need information on this website in a different format like "
                    "accessible PDF, large print, easy read, audio recording or braille, "
                    "contact us. We'll consider your request and get back to you in 5 "
                    "working days."
                ),
                reporting_problems=_p(
                    "We're always looking to improve the accessibility of this website. If you "
                    "find any problems not listed on this page, contact us."
                ),
                compliance=AccessibilityStatementPage.Compliance.PARTIAL,
                non_accessible_content=_p(
                    "Some older documents are PDFs that are not fully accessible to screen "
                    "readers. We will replace them with accessible versions."
                ),
                improvements=_p("We test every new page with axe-core and a screen reader."),
                prepared_on=today - timedelta(days=60),
                last_reviewed_on=today - timedelta(days=10),
                tested_on=today - timedelta(days=10),
                tested_by="The digital team, with axe-core and manual screen reader checks.",
            ),
        )
    site = Site.objects.get(is_default_site=True)
    site_settings = SiteSettings.for_site(site)
    if not site_settings.accessibility_statement_page_id:
        site_settings.accessibility_statement_page = page
        site_settings.save(update_fields=["accessibility_statement_page"])
    return page


def _build_subscribers() -> None:
    now = timezone.now()
    for index in range(1, 4):
        email = f"newsletter.reader{index}@example.org"
        if NewsletterSubscriber.objects.filter(email=email).exists():
            continue
        NewsletterSubscriber.objects.create(
            email=email,
            confirmed=index != 3,
            confirmed_at=now if index != 3 else None,
            created_at=now,
            unsubscribe_token_hash=tokens.hash_token(
                tokens.unsubscribe_token(email=email, created_at=now)
            ),
        )


@demo_builder("engagement")
@transaction.atomic
def build(*, stdout) -> list[str]:
    today = timezone.localdate()
    home = HomePage.objects.get()
    dates = _build_calendar_dates(today)
    _build_subscribers()
    statement = _build_accessibility_statement(home, today)
    hub = EngagementHubPage.objects.first()
    if hub is None:
        hub = _build_hub(home, today)
        _build_activities(hub, today)
        _build_events(hub, today)
        _build_calendar(hub)
        _build_stories(hub, today)
        _build_news(hub, today)
        built = "built"
    else:
        built = "already present"
    return [
        f"Engagement: pages {built} at {hub.url}; {dates} calendar dates; accessibility "
        f"statement at {statement.url}; search at /search/; newsletter sign-up at "
        "/newsletter/sign-up/",
    ]
