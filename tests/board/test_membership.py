"""Terms of membership: consecutive terms, the board overview and its load, and term rules."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from board import selectors
from board.models import Attendance, BoardAsk, Membership
from cms import roles
from tests.board.factories import BoardMemberFactory, MeetingFactory, MembershipFactory

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)
OVERVIEW = "/admin/board/overview/"


def term(starts: date, ends: date, member=None) -> Membership:
    """An unsaved term, enough for ``consecutive_terms``."""
    return Membership(member=member, term_starts=starts, term_ends=ends)


# --- consecutive_terms ------------------------------------------------------------------------


AS_OF = date(2026, 6, 1)


def test_no_terms_is_zero():
    assert selectors.consecutive_terms([], as_of=AS_OF) == 0


def test_one_term_is_one():
    assert (
        selectors.consecutive_terms([term(date(2025, 1, 1), date(2026, 12, 31))], as_of=AS_OF) == 1
    )


def test_back_to_back_terms_count_up():
    first = term(date(2022, 1, 1), date(2023, 12, 31))
    second = term(date(2024, 1, 1), date(2025, 12, 31))
    third = term(date(2026, 1, 1), date(2027, 12, 31))
    assert selectors.consecutive_terms([first, second], as_of=date(2025, 6, 1)) == 2
    # Order given does not matter.
    assert selectors.consecutive_terms([third, first, second], as_of=AS_OF) == 3


def test_a_gap_of_up_to_31_days_still_counts_as_consecutive():
    first = term(date(2024, 1, 1), date(2025, 12, 1))
    second = term(date(2025, 12, 1) + timedelta(days=31), date(2027, 12, 1))
    assert selectors.consecutive_terms([first, second], as_of=AS_OF) == 2
    late = term(date(2025, 12, 1) + timedelta(days=32), date(2027, 12, 1))
    assert selectors.consecutive_terms([first, late], as_of=AS_OF) == 1


def test_a_gap_of_a_year_resets_the_count():
    first = term(date(2020, 1, 1), date(2021, 12, 31))
    second = term(date(2022, 1, 1), date(2023, 12, 31))
    # A year off, then back.
    third = term(date(2025, 1, 1), date(2026, 12, 31))
    assert selectors.consecutive_terms([first, second, third], as_of=AS_OF) == 1
    fourth = term(date(2027, 1, 1), date(2028, 12, 31))
    assert selectors.consecutive_terms([first, second, third, fourth], as_of=date(2027, 6, 1)) == 2


def test_terms_not_yet_started_do_not_count():
    current = term(date(2025, 1, 1), date(2026, 12, 31))
    next_one = term(date(2027, 1, 1), date(2028, 12, 31))
    assert selectors.consecutive_terms([current, next_one], as_of=AS_OF) == 1


# --- board_overview ---------------------------------------------------------------------------


TODAY = date(2026, 6, 1)


def current_term(member, *, ends_in_days: int, role=Membership.Role.MEMBER) -> Membership:
    return MembershipFactory(
        member=member,
        role=role,
        term_starts=TODAY - timedelta(days=600),
        term_ends=TODAY + timedelta(days=ends_in_days),
    )


def rows_by_member(rows) -> dict:
    return {row.member.pk: row for row in rows}


def test_terms_ending_within_90_days_are_flagged():
    soon, edge, later, just_after = (BoardMemberFactory() for _ in range(4))
    current_term(soon, ends_in_days=30)
    current_term(edge, ends_in_days=90)
    current_term(later, ends_in_days=200)
    current_term(just_after, ends_in_days=91)

    overview = selectors.board_overview(today=TODAY)

    ending = [row.member for row in overview["ending_soon"]]
    assert ending == [soon, edge]  # soonest first
    assert {row.member.pk for row in overview["current"]} == {
        soon.pk,
        edge.pk,
        later.pk,
        just_after.pk,
    }
    # The notice period follows the board's rules.
    wider = selectors.board_overview(today=TODAY, ending_within_days=200)
    assert {row.member.pk for row in wider["ending_soon"]} == {
        soon.pk,
        edge.pk,
        later.pk,
        just_after.pk,
    }


def serve_terms(member, count: int, *, gap_days: int = 1) -> list[Membership]:
    """``count`` two-year terms in a row, the last current on TODAY."""
    terms = []
    ends = TODAY + timedelta(days=300)
    for _ in range(count):
        starts = ends - timedelta(days=730)
        terms.append(MembershipFactory(member=member, term_starts=starts, term_ends=ends))
        ends = starts - timedelta(days=gap_days)
    return terms


def test_third_consecutive_term_is_past_the_limit_of_two():
    third_term, second_term, returning = (BoardMemberFactory() for _ in range(3))
    serve_terms(third_term, 3)
    serve_terms(second_term, 2)
    serve_terms(returning, 3, gap_days=400)

    overview = selectors.board_overview(today=TODAY, max_consecutive_terms=2)

    assert [row.member for row in overview["past_term_limit"]] == [third_term]
    rows = rows_by_member(overview["current"])
    assert rows[third_term.pk].consecutive_terms == 3
    assert rows[second_term.pk].consecutive_terms == 2
    assert rows[returning.pk].consecutive_terms == 1
    # With a limit of three, nobody is past it.
    assert selectors.board_overview(today=TODAY, max_consecutive_terms=3)["past_term_limit"] == []


def attend(member, *, days_ago: int, attended: bool = True) -> Attendance:
    meeting = MeetingFactory(starts_at=timezone.now() - timedelta(days=days_ago))
    return Attendance.objects.create(meeting=meeting, member=member, attended=attended)


def ask(member, *, days_ago: int, kind=BoardAsk.Kind.CONSULTATION) -> BoardAsk:
    return BoardAsk.objects.create(
        member=member,
        kind=kind,
        description="Review the new housing letters",
        date=timezone.localdate() - timedelta(days=days_ago),
    )


def test_load_counts_meetings_attended_and_asks_in_the_last_12_months():
    busy, quiet = BoardMemberFactory(), BoardMemberFactory()
    today = timezone.localdate()
    for person in (busy, quiet):
        MembershipFactory(member=person)
    attend(busy, days_ago=10)
    attend(busy, days_ago=300)
    attend(busy, days_ago=20, attended=False)  # sent apologies: not counted
    attend(busy, days_ago=400)  # more than a year ago: not counted
    ask(busy, days_ago=5)
    ask(busy, days_ago=100, kind=BoardAsk.Kind.PANEL)
    ask(busy, days_ago=200, kind=BoardAsk.Kind.PANEL)
    ask(busy, days_ago=500)  # more than a year ago: not counted
    attend(quiet, days_ago=30)
    ask(quiet, days_ago=380)  # more than a year ago: not counted

    overview = selectors.board_overview(today=today)

    rows = rows_by_member(overview["current"])
    assert rows[busy.pk].meetings_attended == 2
    assert rows[busy.pk].asks == 3
    assert rows[busy.pk].asks_by_kind == {"consultation": 1, "panel": 2}
    assert rows[busy.pk].load == 5
    assert rows[quiet.pk].meetings_attended == 1
    assert rows[quiet.pk].asks == 0
    assert rows[quiet.pk].load == 1
    assert overview["total_load"] == 6
    # Busiest first.
    assert [row.member for row in overview["current"]] == [busy, quiet]


def test_past_member_is_not_current():
    past, current, future = BoardMemberFactory(), BoardMemberFactory(), BoardMemberFactory()
    MembershipFactory(member=past, term_starts=TODAY - timedelta(days=800), term_ends=TODAY - DAY)
    current_term(current, ends_in_days=30)
    MembershipFactory(
        member=future, term_starts=TODAY + timedelta(days=10), term_ends=TODAY + timedelta(days=700)
    )

    overview = selectors.board_overview(today=TODAY)

    assert [row.member for row in overview["current"]] == [current]
    assert [row.member for row in overview["ending_soon"]] == [current]
    assert overview["past_term_limit"] == []


# --- The admin page ---------------------------------------------------------------------------


def section(body: str, heading_start: str) -> str:
    """The HTML from the <h2> that starts with ``heading_start`` to the next <h2>."""
    match = re.search(
        rf'<h2 class="w-h2">{re.escape(heading_start)}.*?</h2>(.*?)(?=<h2 |\Z)', body, re.S
    )
    assert match, heading_start
    return match.group(1)


def test_overview_page_shows_terms_limits_and_load(manager_client):
    today = timezone.localdate()
    ending = BoardMemberFactory(first_name="Ending", last_name="Soon")
    MembershipFactory(
        member=ending,
        role=Membership.Role.CHAIR,
        term_starts=today - timedelta(days=600),
        term_ends=today + timedelta(days=20),
    )
    staying = BoardMemberFactory(first_name="Staying", last_name="On")
    MembershipFactory(member=staying)
    long_serving = BoardMemberFactory(first_name="Long", last_name="Serving")
    ends = today + timedelta(days=300)
    for _ in range(3):
        starts = ends - timedelta(days=730)
        MembershipFactory(member=long_serving, term_starts=starts, term_ends=ends)
        ends = starts - DAY
    gone = BoardMemberFactory(first_name="Gone", last_name="Away")
    MembershipFactory(
        member=gone, term_starts=today - timedelta(days=800), term_ends=today - timedelta(days=5)
    )
    for days_ago in (10, 40, 70):
        attend(staying, days_ago=days_ago)
    attend(staying, days_ago=500)
    ask(staying, days_ago=15)

    response = manager_client.get(OVERVIEW)
    assert response.status_code == 200
    body = response.content.decode()

    ending_soon = section(body, "Terms ending in the next 90 days")
    assert "Ending Soon" in ending_soon
    assert "Chair" in ending_soon
    assert (today + timedelta(days=20)).strftime("%B") in ending_soon
    assert "Staying On" not in ending_soon
    assert "Long Serving" not in ending_soon

    past_limit = section(body, "Past the consecutive-term limit")
    assert "Long Serving" in past_limit
    assert "<td>3</td>" in past_limit
    assert "Ending Soon" not in past_limit
    assert "Staying On" not in past_limit

    load = section(body, "Load on each current member")
    assert re.search(r"<td>Staying On</td><td>3</td><td>1</td><td>4</td>", load), load
    assert "Long Serving" in load
    assert "Gone Away" not in body


def test_overview_is_refused_to_others(client, signed_in, make_user):
    client.force_login(BoardMemberFactory())
    response = client.get(OVERVIEW)
    assert response.status_code in (302, 403)
    assert "Load on each current member" not in response.content.decode()
    client.logout()

    signed_in(make_user(roles.APPROVERS))
    response = client.get(OVERVIEW, follow=True)
    assert "Load on each current member" not in response.content.decode()


def add_members(count: int) -> None:
    today = timezone.localdate()
    for index in range(count):
        person = BoardMemberFactory()
        # A mix: some ending soon, some on their second term, some with a past term.
        if index % 3 == 0:
            MembershipFactory(
                member=person,
                term_starts=today - timedelta(days=700),
                term_ends=today + timedelta(days=30),
            )
        else:
            MembershipFactory(
                member=person,
                term_starts=today - timedelta(days=900),
                term_ends=today - timedelta(days=171),
            )
            MembershipFactory(
                member=person,
                term_starts=today - timedelta(days=170),
                term_ends=today + timedelta(days=560),
            )
        attend(person, days_ago=10 + index)
        ask(person, days_ago=5)
        ask(person, days_ago=400)


def test_overview_runs_the_same_number_of_queries_for_5_and_50_members(manager_client):
    add_members(5)
    manager_client.get(OVERVIEW)  # settle per-site caches (the board's rules, the menu)

    with CaptureQueriesContext(connection) as five:
        response = manager_client.get(OVERVIEW)
    assert response.status_code == 200
    assert response.content.decode().count("<td>1</td><td>1</td><td>2</td>") == 5

    add_members(45)
    with CaptureQueriesContext(connection) as fifty:
        response = manager_client.get(OVERVIEW)
    assert response.status_code == 200
    assert response.content.decode().count("<td>1</td><td>1</td><td>2</td>") == 50

    assert len(fifty) == len(five), "\n".join(q["sql"] for q in fifty.captured_queries)


# --- Membership.clean -------------------------------------------------------------------------


def test_a_term_must_end_after_it_starts():
    member = BoardMemberFactory()
    for ends in (date(2025, 12, 31), date(2026, 1, 1)):
        membership = Membership(member=member, term_starts=date(2026, 1, 1), term_ends=ends)
        with pytest.raises(ValidationError) as error:
            membership.full_clean()
        assert "term_ends" in error.value.message_dict
        assert "The term must end after it starts." in error.value.message_dict["term_ends"]


def test_terms_of_one_member_cannot_overlap():
    member = BoardMemberFactory()
    existing = MembershipFactory(
        member=member, term_starts=date(2024, 1, 1), term_ends=date(2025, 12, 31)
    )
    for starts, ends in [
        (date(2025, 6, 1), date(2027, 5, 31)),  # starts inside
        (date(2023, 1, 1), date(2024, 6, 1)),  # ends inside
        (date(2023, 1, 1), date(2027, 1, 1)),  # around it
        (date(2024, 3, 1), date(2024, 4, 1)),  # inside it
    ]:
        overlapping = Membership(member=member, term_starts=starts, term_ends=ends)
        with pytest.raises(ValidationError) as error:
            overlapping.full_clean()
        assert "This overlaps another term for the same member." in error.value.messages

    # The next term, back to back, is fine; so is another member's term at the same time;
    # and saving the existing term again does not clash with itself.
    Membership(
        member=member, term_starts=date(2026, 1, 1), term_ends=date(2027, 12, 31)
    ).full_clean()
    Membership(
        member=BoardMemberFactory(), term_starts=date(2025, 1, 1), term_ends=date(2026, 1, 1)
    ).full_clean()
    existing.term_ends = date(2025, 11, 30)
    existing.full_clean()
