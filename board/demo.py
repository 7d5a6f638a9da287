"""Demo data for the board: pages, members and terms, meetings, recommendations in every state."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from wagtail.models import Site, Workflow

from board import services
from board.models import (
    Attendance,
    BoardAsk,
    BoardIndexPage,
    CouncilResponse,
    ExpenseClaim,
    Meeting,
    MeetingNotesPage,
    Membership,
    MemberSupportNeeds,
    Recommendation,
    ServiceArea,
    TermsOfReferencePage,
    YouSaidWeDidPage,
)
from cms import roles
from cms.models import HomePage, User
from cms.platform.demo import demo_builder

SERVICE_AREAS = [
    "Adult social care",
    "Children's services",
    "Community safety",
    "Customer services",
    "Housing",
    "Human resources",
    "Libraries and culture",
    "Public health",
]

OTHER_MEMBERS = [
    ("Yusuf", "Ahmed"),
    ("Grace", "Adeyemi"),
    ("Marek", "Nowak"),
    ("Leila", "Haddad"),
    ("Tendai", "Moyo"),
    ("Mei", "Lin"),
    ("Jordan", "Campbell"),
]


def _p(text: str) -> str:
    return f"<p>{text}</p>"


def _build_pages(home: HomePage) -> None:
    board = BoardIndexPage(
        title="Lived Experience Advisory Board",
        slug="board",
        intro="Residents with lived experience of racism advise the council, and the council "
        "answers every recommendation in public.",
        show_in_menus=True,
    )
    home.add_child(instance=board)
    board.save_revision().publish()
    terms = TermsOfReferencePage(
        title="Terms of Reference",
        slug="terms-of-reference",
        agreed_on=timezone.localdate() - timedelta(days=200),
        purpose=_p(
            "To enable systematic, ethical engagement with racially minoritised residents, "
            "informing council policy, service design and the anti-racist action plan."
        ),
        membership=_p(
            "Up to 12 residents, recruited openly. Terms last two years; members may serve two "
            "terms in a row so that membership is refreshed and no small group carries the load."
        ),
        decision_rights=_p(
            "The board makes recommendations. The council must answer each in public within "
            "eight weeks, with reasons, alternatives explored and next steps where it cannot act."
        ),
        confidentiality=_p(
            "Members choose whether they are named. Personal stories shared in meetings are not "
            "recorded in published notes."
        ),
        escalation_routes=_p(
            "Overdue responses escalate to the named officer, then to the Corporate Leadership "
            "Team, and are reported to full council each year."
        ),
        accessibility=_p("Meetings are step-free, with hearing loops and papers a week ahead."),
        remuneration_and_expenses=_p(
            "Members are paid for their time at the Living Wage and reimbursed for travel, care "
            "and access costs."
        ),
        safeguarding=_p("A named safeguarding lead supports every meeting."),
        trauma_informed_practice=_p(
            "Members are never asked to retell experiences of racism; a support worker is "
            "available after meetings."
        ),
        translation_and_interpretation=_p(
            "Interpreters, including British Sign Language, and translated papers on request."
        ),
    )
    board.add_child(instance=terms)
    terms.save_revision().publish()
    you_said = YouSaidWeDidPage(
        title="You said, we did",
        slug="you-said-we-did",
        intro="Every recommendation from the board and what the council did about it.",
    )
    board.add_child(instance=you_said)
    you_said.save_revision().publish()
    notes = MeetingNotesPage(title="Meeting notes", slug="meeting-notes")
    board.add_child(instance=notes)
    notes.save_revision().publish()


def _member(first: str, last: str) -> User:
    user, created = User.objects.get_or_create(
        email=f"{first}.{last}@example.org".lower(),
        defaults={"first_name": first, "last_name": last},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    user.groups.add(Group.objects.get(name=roles.BOARD_MEMBERS))
    return user


def _recommend(author, area, title, what, why, outcome_text, *, named=False, days_ago=0):
    recommendation = services.recommendation_submit(
        author=author,
        title=title,
        what_should_change=what,
        lived_experience=why,
        service_area=area,
        desired_outcome=outcome_text,
        author_named=named,
    )
    Recommendation.objects.filter(pk=recommendation.pk).update(
        submitted_at=timezone.now() - timedelta(days=days_ago)
    )
    recommendation.refresh_from_db()
    return recommendation


def _respond(recommendation, *, manager, approver, outcome, text, publish=True, **extra):
    services.recommendation_acknowledge(recommendation=recommendation, by=manager)
    services.recommendation_assign(
        recommendation=recommendation,
        owner=approver,
        due_date=timezone.localdate() + timedelta(days=30),
        by=manager,
    )
    response = CouncilResponse(
        recommendation=recommendation, outcome=outcome, response=text, live=False, **extra
    )
    response.full_clean()
    response.save()
    revision = response.save_revision(user=manager)
    workflow = Workflow.objects.get(name="Council response approval")
    workflow.start(response, manager)
    if publish:
        response.refresh_from_db()
        state = response.current_workflow_state
        state.current_task_state.approve(user=approver)
    return response, revision


@demo_builder("board")
@transaction.atomic
def build(*, stdout) -> list[str]:
    if BoardIndexPage.objects.exists():
        return ["Board: demo data already present."]
    home = HomePage.objects.get()
    _build_pages(home)
    areas = {name: ServiceArea.objects.get_or_create(name=name)[0] for name in SERVICE_AREAS}

    manager = User.objects.get(email="engagement.manager@example.org")
    approver = User.objects.get(email="approver@example.org")
    demo_member = User.objects.get(email="board.member@example.org")
    members = [demo_member, *[_member(first, last) for first, last in OTHER_MEMBERS]]
    today = timezone.localdate()

    # Terms: a mix of first terms, second terms and one member past the two-term limit.
    for index, member in enumerate(members):
        starts = today - timedelta(days=120 + index * 60)
        if index == 1:  # serving a third term in a row
            Membership.objects.create(
                member=member,
                term_starts=starts - timedelta(days=1460),
                term_ends=starts - timedelta(days=731),
            )
            Membership.objects.create(
                member=member,
                term_starts=starts - timedelta(days=730),
                term_ends=starts - timedelta(days=1),
            )
        role = (
            Membership.Role.CHAIR
            if index == 2
            else Membership.Role.VICE_CHAIR
            if index == 3
            else Membership.Role.MEMBER
        )
        ends = today + timedelta(days=45) if index in (4, 5) else starts + timedelta(days=730)
        Membership.objects.create(member=member, role=role, term_starts=starts, term_ends=ends)
    MemberSupportNeeds.objects.create(
        member=members[3],
        access_needs="Step-free access; papers in large print.",
        preferred_language="Arabic",
        interpreter_needed=True,
        interpreter_language="Arabic",
    )
    MemberSupportNeeds.objects.create(
        member=demo_member, preferred_language="English", access_needs="Hearing loop."
    )

    # Meetings with attendance, and asks: two members carry more of the load.
    meetings = []
    for months_ago in (1, 3, 5, 7, 9, 11):
        starts_at = timezone.make_aware(
            datetime.combine(today - timedelta(days=30 * months_ago), time(18, 0))
        )
        meeting = Meeting.objects.create(
            title="Board meeting",
            starts_at=starts_at,
            location="Town Hall, Committee Room 2",
            agenda=_p(
                "Welcome; council responses due; the staff survey results; any other business."
            ),
            notes=_p(
                "The board discussed responses due this quarter and the staff survey. Actions: "
                "the engagement team to circulate the survey summary before the next meeting."
            ),
            notes_status=Meeting.NotesStatus.DRAFT,
        )
        for index, member in enumerate(members):
            if index < 5 or months_ago % 2:
                Attendance.objects.create(meeting=meeting, member=member, attended=True)
        services.meeting_notes_approve(meeting=meeting, by=manager)
        meetings.append(meeting)
    for kind, description in [
        (BoardAsk.Kind.CONSULTATION, "Housing allocations policy consultation"),
        (BoardAsk.Kind.PANEL, "Interview panel: Head of Community Safety"),
        (BoardAsk.Kind.REVIEW, "Review of the hate crime reporting leaflet"),
        (BoardAsk.Kind.EVENT, "Speaking at Black History Month launch"),
    ]:
        for member in members[2:4]:
            BoardAsk.objects.create(
                member=member, kind=kind, description=description, date=today - timedelta(days=40)
            )

    # Recommendations in every state.
    received = _recommend(
        members[4],
        areas["Libraries and culture"],
        "Books and events in community languages",
        "Stock books and run events in the languages spoken locally.",
        "My children cannot find books in our language at the library.",
        "Families who speak other languages use the library.",
        days_ago=3,
    )
    acknowledged = _recommend(
        demo_member,
        areas["Customer services"],
        "Interpreters at the contact centre",
        "Offer a phone interpreter on every call without the caller having to ask twice.",
        "I was told to call back with a family member who speaks English.",
        "Residents can use the contact centre in their own language.",
        named=True,
        days_ago=20,
    )
    services.recommendation_acknowledge(recommendation=acknowledged, by=manager)
    considering = _recommend(
        members[5],
        areas["Public health"],
        "Health checks at places of worship",
        "Run NHS health checks at mosques, temples and churches.",
        "People in my community do not go to GP health checks.",
        "More people from minoritised groups get a health check.",
        days_ago=70,
    )
    services.recommendation_acknowledge(recommendation=considering, by=manager)
    services.recommendation_assign(
        recommendation=considering,
        owner=approver,
        due_date=today - timedelta(days=5),
        by=manager,
    )
    drafted = _recommend(
        members[2],
        areas["Housing"],
        "Report racial harassment on the tenant portal",
        "Let tenants report racial harassment online, with a named caseworker.",
        "My neighbour's abuse went on for months because the form was hard to find.",
        "Harassment is reported sooner and dealt with.",
        named=True,
        days_ago=45,
    )
    _respond(
        drafted,
        manager=manager,
        approver=approver,
        publish=False,
        outcome=CouncilResponse.Outcome.ACCEPTED,
        text="We will add a harassment report to the tenant portal, routed to a named caseworker.",
    )

    accepted = _recommend(
        demo_member,
        areas["Human resources"],
        "Diverse interview panels",
        "Every interview panel for senior roles should include someone from a minoritised group.",
        "Colleagues told me they stopped applying after facing all-White panels.",
        "More minoritised staff apply for and win senior roles.",
        named=True,
        days_ago=300,
    )
    _respond(
        accepted,
        manager=manager,
        approver=approver,
        outcome=CouncilResponse.Outcome.ACCEPTED,
        text="From April, every panel for grade 10 and above includes a trained panel member "
        "from a minoritised background.",
    )
    services.progress_update_add(
        recommendation=accepted,
        update="Panel member training has started: 24 trained so far.",
        on=today - timedelta(days=200),
        by=manager,
    )
    services.implemented_change_record(
        recommendation=accepted,
        kind="policy",
        description="Recruitment policy now requires diverse panels for senior roles.",
        service_area=areas["Human resources"],
        implemented_on=today - timedelta(days=100),
        by=manager,
    )
    partly = _recommend(
        members[3],
        areas["Community safety"],
        "Hate crime reporting centres in every town",
        "Open a third-party hate crime reporting centre in every town.",
        "People do not want to report to the police directly.",
        "More people report hate crime and get support.",
        days_ago=250,
    )
    _respond(
        partly,
        manager=manager,
        approver=approver,
        outcome=CouncilResponse.Outcome.PARTLY_ACCEPTED,
        text="We will open reporting centres in the three largest towns this year.",
        reasons="Funding covers three centres this year, not one in every town.",
        alternatives_explored="An online and phone reporting line for the smaller towns.",
        next_steps="Review coverage with the board after six months; bid for funding for more.",
    )
    services.implemented_change_record(
        recommendation=partly,
        kind="service",
        description="Reporting centres opened in the three largest towns' libraries.",
        service_area=areas["Community safety"],
        implemented_on=today - timedelta(days=20),
        by=manager,
    )
    not_accepted = _recommend(
        members[6],
        areas["Children's services"],
        "Separate school admissions appeals panel",
        "Set up a separate appeals panel for families from minoritised groups.",
        "Families felt the panel did not understand them.",
        "Fairer appeals.",
        days_ago=200,
    )
    _respond(
        not_accepted,
        manager=manager,
        approver=approver,
        outcome=CouncilResponse.Outcome.NOT_ACCEPTED,
        text="We cannot set up a separate panel, but we will change how panels are formed.",
        reasons="The law requires one independent appeals panel for all families.",
        alternatives_explored="Training for panel members and more diverse panel recruitment.",
        next_steps="Panel training from September; the board will review the panel guidance.",
    )
    _respond(
        _recommend(
            members[0],
            areas["Adult social care"],
            "Culturally appropriate meals in care homes",
            "Offer halal, kosher and Caribbean meals in every council-run care home.",
            "My father stopped eating properly in care.",
            "Residents eat well and feel at home.",
            days_ago=120,
        ),
        manager=manager,
        approver=approver,
        outcome=CouncilResponse.Outcome.DEFERRED,
        text="We will decide when the catering contract is renewed.",
        review_date=today + timedelta(days=120),
    )
    del received  # stays "received"

    # Expenses in each state.
    claim = services.expense_claim_submit(
        claimant=demo_member,
        meeting=meetings[0],
        kind=ExpenseClaim.Kind.TRAVEL,
        amount=Decimal("12.40"),
        description="Bus fares to the meeting",
    )
    services.expense_claim_decide(claim=claim, approve=True, by=manager)
    claim = services.expense_claim_submit(
        claimant=demo_member,
        meeting=meetings[1],
        kind=ExpenseClaim.Kind.CARE,
        amount=Decimal("30.00"),
        description="Childminder during the meeting",
    )
    services.expense_claim_decide(
        claim=claim,
        approve=False,
        reason="Please attach the childminder's receipt and resubmit.",
        by=manager,
    )
    services.expense_claim_submit(
        claimant=demo_member,
        meeting=meetings[0],
        kind=ExpenseClaim.Kind.PARTICIPATION,
        amount=Decimal("40.00"),
        description="Participation payment, two hours",
    )
    site = Site.objects.get(is_default_site=True)
    return [
        f"Board: {Recommendation.objects.count()} recommendations, "
        f"{Membership.objects.count()} terms, {Meeting.objects.count()} meetings; "
        f"public pages at {site.root_url}/board/",
        "  board.member@example.org has recommendations, claims and a member area at /members/",
    ]
