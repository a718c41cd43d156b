"""The SLA page and its CSV: breaches and near-breaches a service manager follows up on."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from django.http import StreamingHttpResponse
from django.test import Client

from solidground.accounts.actions import do_create_user
from solidground.accounts.models import Role
from solidground.customers.models import Customer
from solidground.insights.actions import analyze
from tests.factories import (
    CalendarFactory,
    ContractFactory,
    CustomerFactory,
    SlaPolicyFactory,
    TicketFactory,
)
from tests.portfolio_fixtures import SmallPortfolio

pytestmark = pytest.mark.django_db

UTC = dt.UTC
# Wednesday 15 April 2026, 14:00 in Berlin. The last complete month is March, so the page
# shows tickets created since January 2026 by default.
NOW = dt.datetime(2026, 4, 15, 12, 0, tzinfo=UTC)
PASSWORD = "a-long-test-password"
SCRIPT_NAME = "<script>alert('name')</script> Corp"
SCRIPT_SUBJECT = "<script>alert('subject')</script> VPN down"


@dataclass
class Breaches:
    busy: Customer  # Müller Metallbau (Berlin calendar)
    overseas: Customer  # a New York calendar, a name with a <script> tag


@pytest.fixture
def breaches(small_portfolio: SmallPortfolio) -> Breaches:
    """The small portfolio, analysed on 15 April 2026, with these clocks off target:

    Müller (Berlin, Mo-Fr 08-17): the P1 of 3 March misses both targets (response 30 min
    late), the P4 of 4 March misses resolution, the ticket of 1 April has run past both due
    times, a P3 opened at 10:30 today has used 210 of its 240 response minutes (near breach),
    and a P1 of December 2025 missed its response (outside the default months).
    Overseas (New York, Mo-Fr 08-17): two P1 responses late in March, one 60 min, one 15 min.
    """
    busy = small_portfolio.busy
    contract = busy.contracts.get()
    TicketFactory(
        customer=busy,
        contract=contract,
        priority=3,
        subject="Server langsam",
        created_at=dt.datetime(2026, 4, 15, 8, 30, tzinfo=UTC),
    )
    TicketFactory(
        customer=busy,
        contract=contract,
        priority=1,
        subject="Ausfall im Dezember",
        created_at=dt.datetime(2025, 12, 2, 9, 0, tzinfo=UTC),
        first_response_at=dt.datetime(2025, 12, 2, 11, 0, tzinfo=UTC),
        resolved_at=dt.datetime(2025, 12, 2, 12, 0, tzinfo=UTC),
    )
    overseas = CustomerFactory(name=SCRIPT_NAME, timezone="America/New_York")
    calendar = CalendarFactory(
        timezone="America/New_York", holiday_country="US", holiday_subdivision=""
    )
    overseas_contract = ContractFactory(
        customer=overseas, sla_policy=SlaPolicyFactory(calendar=calendar)
    )
    # 10:00 EDT; answered 11:30 EDT against a 30-minute target: due 10:30, 60 min late.
    TicketFactory(
        customer=overseas,
        contract=overseas_contract,
        priority=1,
        reference="NY-1",
        subject=SCRIPT_SUBJECT,
        created_at=dt.datetime(2026, 3, 10, 14, 0, tzinfo=UTC),
        first_response_at=dt.datetime(2026, 3, 10, 15, 30, tzinfo=UTC),
        resolved_at=dt.datetime(2026, 3, 10, 16, 0, tzinfo=UTC),
    )
    TicketFactory(
        customer=overseas,
        contract=overseas_contract,
        priority=1,
        reference="=cmd|' /C calc'!A0",
        subject="=1+2",
        created_at=dt.datetime(2026, 3, 11, 14, 0, tzinfo=UTC),
        first_response_at=dt.datetime(2026, 3, 11, 14, 45, tzinfo=UTC),
        resolved_at=dt.datetime(2026, 3, 11, 15, 0, tzinfo=UTC),
    )
    analyze(now=NOW)
    return Breaches(busy, overseas)


def login(client: Client, role: Role, customers: list[Customer] | None = None) -> Client:
    user = do_create_user(
        username=f"user-{role}",
        password=PASSWORD,
        role=role,
        customer_ids=[c.pk for c in customers or []],
    )
    client.force_login(user)
    return client


@pytest.fixture
def manager(client: Client) -> Client:
    return login(client, Role.MANAGER)


def page(client: Client, query: str = "", language: str = "en", **headers: str) -> str:
    response = client.get(f"/sla/{query}", HTTP_ACCEPT_LANGUAGE=language, **headers)
    assert response.status_code == 200
    return response.content.decode()


def rows(text: str) -> list[str]:
    """The ticket cells of the table, tags stripped."""
    cells = re.findall(r'<td class="ticket">(.*?)</td>', text, flags=re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells]


def dues(text: str) -> list[str]:
    return re.findall(r'<time class="due" datetime="([^"]+)"', text)


def cell(text: str, kind: str, state: str) -> int:
    found = re.search(rf'data-cell="{kind}-{state}"><a[^>]*>(\d+)</a>', text)
    assert found, f"no count for {kind} {state}"
    return int(found.group(1))


def counts(text: str) -> tuple[int, int, int, int]:
    return (
        cell(text, "first_response", "breached"),
        cell(text, "first_response", "near_breach"),
        cell(text, "resolution", "breached"),
        cell(text, "resolution", "near_breach"),
    )


def notices(text: str) -> list[str]:
    found = re.search(r'<ul class="notices"[^>]*>(.*?)</ul>', text, flags=re.S)
    if not found:
        return []
    return [html.unescape(n) for n in re.findall(r"<li>(.*?)</li>", found.group(1))]


def csv_rows(
    client: Client, query: str = "", language: str = "en"
) -> tuple[bytes, list[list[str]]]:
    response = client.get(f"/sla.csv{query}", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    body = b"".join(response.streaming_content)  # type: ignore[arg-type]
    delimiter = ";" if language == "de" else ","
    text = body.decode("utf-8-sig")
    return body, list(csv.reader(io.StringIO(text), delimiter=delimiter))


# --------------------------------------------------------------------------------------------
# What the page shows


def test_breaches_and_near_breaches_are_listed_newest_due_first(
    manager: Client, breaches: Breaches
) -> None:
    text = page(manager)

    # January 2026 onwards: the December ticket is not in the default months.
    assert "Ausfall im Dezember" not in text
    assert counts(text) == (4, 1, 3, 0)
    assert "8 rows in this list." in text
    listed = rows(text)
    assert len(listed) == 8
    # Newest due time first: today's near breach (due 15 April) before the March breaches.
    assert listed[0] == "Server langsam"
    due = dues(text)
    assert due == sorted(due, key=dt.datetime.fromisoformat, reverse=True)
    assert due[-1] == "2026-03-03T09:30:00+01:00"


def test_a_row_shows_due_actual_zone_and_business_margin(
    manager: Client, breaches: Breaches
) -> None:
    text = page(manager, f"?customer={breaches.busy.pk}&priority=1&kind=first_response")

    assert len(rows(text)) == 1
    # Due 09:30, answered 10:00 Berlin time (CET), 30 business minutes late.
    assert dues(text) == ["2026-03-03T09:30:00+01:00"]
    assert '<time class="actual" datetime="2026-03-03T10:00:00+01:00">' in text
    assert "Europe/Berlin" in text
    assert "late by 30 min" in text
    assert "Breached" in text


def test_near_breach_shows_the_business_time_left(manager: Client, breaches: Breaches) -> None:
    text = page(manager, "?state=near_breach")

    assert rows(text) == ["Server langsam"]
    assert "Near breach" in text
    assert "30 min left" in text  # 210 of 240 business minutes used
    assert "still open" in text


def test_running_clocks_past_due_say_so(manager: Client, breaches: Breaches) -> None:
    text = page(manager, "?period=2026-04&state=breached")

    assert len(rows(text)) == 2
    assert text.count("Running past due") == 2
    assert "late by 74 h 00 min" in text  # first response: 78 business hours, target 4


def test_times_are_shown_in_the_ticket_calendars_zone(manager: Client, breaches: Breaches) -> None:
    text = page(manager, f"?customer={breaches.overseas.pk}")

    # 10:30 in New York (EDT, UTC-4) is when the first response was due.
    assert "2026-03-10T10:30:00-04:00" in dues(text)
    assert "America/New_York" in text
    assert "Europe/Berlin" not in text
    assert "late by 1 h 00 min" in text


def test_german_page_uses_german_words_and_dates(manager: Client, breaches: Breaches) -> None:
    text = page(manager, f"?customer={breaches.busy.pk}&priority=1&kind=first_response", "de")

    assert "03.03.2026 09:30" in text
    assert "P1 kritisch" in text
    assert "Verletzt" in text


# --------------------------------------------------------------------------------------------
# Filters


@pytest.mark.parametrize(
    ("query", "expected_counts", "expected_rows"),
    [
        ("?priority=4", (0, 0, 1, 0), 1),
        ("?priority=1", (3, 0, 1, 0), 4),
        ("?kind=resolution", (4, 1, 3, 0), 3),
        ("?kind=first_response&state=breached", (4, 1, 3, 0), 4),
        ("?state=near_breach", (4, 1, 3, 0), 1),
        ("?period=2026-03", (3, 0, 2, 0), 5),
        ("?period=2026Q1", (3, 0, 2, 0), 5),
        ("?period=2026Q2", (1, 1, 1, 0), 3),
        ("?period=2025-12", (1, 0, 0, 0), 1),
    ],
)
def test_filters_narrow_counts_and_rows(
    manager: Client,
    breaches: Breaches,
    query: str,
    expected_counts: tuple[int, int, int, int],
    expected_rows: int,
) -> None:
    text = page(manager, query)

    assert counts(text) == expected_counts
    assert len(rows(text)) == expected_rows
    assert notices(text) == []


def test_customer_filter_lists_only_that_customer(manager: Client, breaches: Breaches) -> None:
    text = page(manager, f"?customer={breaches.overseas.pk}")

    assert counts(text) == (2, 0, 0, 0)
    assert sorted(rows(text)) == ["=cmd|' /C calc'!A0 =1+2", f"NY-1 {SCRIPT_SUBJECT}"]


@pytest.mark.parametrize(
    ("query", "notice"),
    [
        ("?customer=abc", "That customer is not available; showing all customers."),
        ("?customer=999999", "That customer is not available; showing all customers."),
        ("?priority=9", "Unknown priority; showing every priority."),
        ("?priority=high", "Unknown priority; showing every priority."),
        ("?period=1999-01", "There are no analysis results for the period “1999-01”"),
        ("?period=2026-13", "There are no analysis results for the period “2026-13”"),
        ("?period=last-year", "There are no analysis results for the period “last-year”"),
        ("?kind=everything", "Unknown kind of target; showing both."),
        ("?state=late", "Unknown state; showing breaches and near-breaches."),
        ("?page=abc", "“abc” is not a page number; showing page 1."),
        ("?page=-3", "“-3” is not a page number; showing page 1."),
        ("?page=99999999999999999999", "There is no page 99999999999999999999"),
    ],
)
def test_bad_filter_values_fall_back_to_defaults_with_a_notice(
    manager: Client, breaches: Breaches, query: str, notice: str
) -> None:
    text = page(manager, query)

    assert any(n.startswith(notice) for n in notices(text)), notices(text)
    assert counts(text) == (4, 1, 3, 0)
    assert len(rows(text)) == 8


# --------------------------------------------------------------------------------------------
# Pagination


@pytest.fixture
def many_breaches(breaches: Breaches) -> Breaches:
    """60 more P1 tickets in March nobody answered: 120 more rows (both clocks past due)."""
    contract = breaches.busy.contracts.get()
    for n in range(60):
        TicketFactory(
            customer=breaches.busy,
            contract=contract,
            priority=1,
            subject=f"Störung {n:02d}",
            created_at=dt.datetime(2026, 3, 16 + n % 5, 7 + n // 5, n % 60, tzinfo=UTC),
        )
    analyze(now=NOW)
    return breaches


def _keys(text: str) -> list[tuple[str, str]]:
    found = re.findall(
        r'<td class="ticket">(.*?)</td>.*?<td>(First response|Resolution)</td>', text, flags=re.S
    )
    return [(html.unescape(subject), kind) for subject, kind in found]


def test_pages_hold_fifty_rows_each_and_together_every_row_once(
    manager: Client, many_breaches: Breaches
) -> None:
    first = page(manager)
    second = page(manager, "?page=2")
    third = page(manager, "?page=3")

    assert "128 rows in this list." in first
    seen = _keys(first) + _keys(second) + _keys(third)
    assert [len(_keys(p)) for p in (first, second, third)] == [50, 50, 28]
    assert len(set(seen)) == 128
    assert 'rel="next"' in first
    assert 'rel="next"' not in third


def test_a_page_past_the_end_shows_the_last_page_with_a_notice(
    manager: Client, many_breaches: Breaches
) -> None:
    text = page(manager, "?page=40")

    assert notices(text) == ["There is no page 40; showing the last page, 3."]
    assert len(rows(text)) == 28


def test_page_links_keep_the_filters(manager: Client, many_breaches: Breaches) -> None:
    text = page(manager, "?priority=1&kind=resolution")

    assert len(rows(text)) == 50
    assert 'href="/sla/?priority=1&amp;kind=resolution&amp;page=2"' in text


# --------------------------------------------------------------------------------------------
# htmx


def test_htmx_requests_get_only_the_results(manager: Client, breaches: Breaches) -> None:
    text = page(manager, "?state=near_breach", HTTP_HX_REQUEST="true")

    assert "<html" not in text
    assert '<form method="get"' not in text
    assert rows(text) == ["Server langsam"]


def test_htmx_history_restore_gets_the_whole_page(manager: Client, breaches: Breaches) -> None:
    text = page(
        manager,
        "?state=near_breach",
        HTTP_HX_REQUEST="true",
        HTTP_HX_HISTORY_RESTORE_REQUEST="true",
    )

    assert "<html" in text
    assert 'hx-get="/sla/"' in text


# --------------------------------------------------------------------------------------------
# CSV


def test_csv_has_a_row_per_breach_with_zone_and_iso_times(
    manager: Client, breaches: Breaches
) -> None:
    body, table = csv_rows(manager)

    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 byte order mark, for Excel
    assert table[0] == [
        "Customer",
        "Ticket",
        "Subject",
        "Priority",
        "Target",
        "State",
        "Due",
        "Actual",
        "Margin (business minutes)",
        "Time zone",
    ]
    assert len(table) == 1 + 8
    late_answer = next(r for r in table if r[6] == "2026-03-03T09:30:00+01:00")
    assert late_answer[2].endswith("einrichten")
    assert late_answer[:2] + late_answer[3:] == [
        "Müller Metallbau GmbH",
        "",
        "P1 critical",
        "first response",
        "breached",
        "2026-03-03T09:30:00+01:00",
        "2026-03-03T10:00:00+01:00",
        "-30",
        "Europe/Berlin",
    ]
    overseas = next(r for r in table if r[1] == "NY-1")
    assert overseas[0] == SCRIPT_NAME  # plain text in a CSV, not HTML
    assert overseas[6:] == [
        "2026-03-10T10:30:00-04:00",
        "2026-03-10T11:30:00-04:00",
        "-60",
        "America/New_York",
    ]


def test_csv_guards_against_formulas(manager: Client, breaches: Breaches) -> None:
    _body, table = csv_rows(manager, f"?customer={breaches.overseas.pk}")

    guarded = next(r for r in table if r[2].endswith("1+2"))
    assert guarded[1] == "'=cmd|' /C calc'!A0"
    assert guarded[2] == "'=1+2"
    assert guarded[8] == "-15"  # our own number, not guarded


def test_csv_follows_the_filters_and_speaks_german(manager: Client, breaches: Breaches) -> None:
    body, table = csv_rows(manager, "?state=near_breach", language="de")

    assert body.startswith("\ufeffKunde;".encode())
    assert len(table) == 2
    assert table[1][2] == "Server langsam"
    assert table[1][8] == "30"


# --------------------------------------------------------------------------------------------
# Who sees what


def test_account_manager_sees_only_their_customers(client: Client, breaches: Breaches) -> None:
    login(client, Role.ACCOUNT_MANAGER, [breaches.busy])

    text = page(client)
    _body, table = csv_rows(client)

    assert counts(text) == (2, 1, 3, 0)
    assert "NY-1" not in text
    assert "alert(" not in html.unescape(text)
    assert {r[0] for r in table[1:]} == {"Müller Metallbau GmbH"}
    assert len(table) == 1 + 6


def test_account_manager_cannot_filter_for_another_customer(
    client: Client, breaches: Breaches
) -> None:
    login(client, Role.ACCOUNT_MANAGER, [breaches.busy])

    text = page(client, f"?customer={breaches.overseas.pk}")
    _body, table = csv_rows(client, f"?customer={breaches.overseas.pk}")

    assert notices(text) == ["That customer is not available; showing all customers."]
    assert "NY-1" not in text
    assert all(r[1] != "NY-1" for r in table)


def test_names_and_subjects_are_escaped(manager: Client, breaches: Breaches) -> None:
    for text in (page(manager), page(manager, HTTP_HX_REQUEST="true")):
        assert "<script>alert(" not in text
        assert "&lt;script&gt;alert(&#x27;subject&#x27;)&lt;/script&gt; VPN down" in text
        assert "&lt;script&gt;alert(&#x27;name&#x27;)&lt;/script&gt; Corp" in text


def test_anonymous_visitors_are_sent_to_the_login(client: Client) -> None:
    for url in ("/sla/", "/sla.csv"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


def test_before_any_analysis_the_page_says_what_to_do(manager: Client) -> None:
    text = page(manager)

    assert "solidground analyze" in text


def test_owner_without_customers_assigned_sees_everything(
    client: Client, breaches: Breaches
) -> None:
    User.objects.create_superuser("root", password=PASSWORD)
    client.force_login(User.objects.get(username="root"))

    assert counts(page(client)) == (4, 1, 3, 0)
