"""The findings page: what to act on, and decisions that hold until the evidence changes."""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.test import Client

from solidground.accounts.actions import do_create_user
from solidground.accounts.models import Role
from solidground.contracts.models import CatalogueItem
from solidground.customers.models import Customer
from solidground.insights.actions import analyze
from solidground.insights.models import Finding, FindingDecision
from solidground.service.models import TimeEntry
from tests.factories import CustomerFactory, TicketFactory, TimeEntryFactory, stored_finding
from tests.portfolio_fixtures import SmallPortfolio, at

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 4, 15, 12, 0, tzinfo=dt.UTC)
PASSWORD = "a-long-test-password"
SCRIPT_NAME = "<script>alert('name')</script> Corp"


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
    response = client.get(f"/findings/{query}", HTTP_ACCEPT_LANGUAGE=language, **headers)
    assert response.status_code == 200
    return response.content.decode()


def sentences(text: str) -> list[str]:
    found = re.findall(r'<p class="sentence">(.*?)</p>', text, flags=re.S)
    return [html.unescape(s) for s in found]


def headings(text: str) -> list[str]:
    return re.findall(r'<section class="finding-group[^"]*">\s*<h2>(.*?)</h2>', text)


def tab_counts(text: str) -> dict[str, int]:
    found = re.findall(
        r'status=(open|done|dismissed|all)"[^>]*>[^<]*<span class="tab-count">(\d+)</span>', text
    )
    return {status: int(n) for status, n in found}


def notices(text: str) -> list[str]:
    found = re.search(r'<ul class="notices"[^>]*>(.*?)</ul>', text, flags=re.S)
    if not found:
        return []
    return [html.unescape(n) for n in re.findall(r"<li>(.*?)</li>", found.group(1))]


# --------------------------------------------------------------------------------------------
# Stored findings: grouping, filters, counts


@dataclass
class Stored:
    alpha: Customer
    beta: Customer
    urgent: Finding
    warning: Finding
    info: Finding


@pytest.fixture
def stored() -> Stored:
    """Three findings as an analysis stores them: urgent and info for Alpha, a warning for a
    customer whose name carries a <script> tag."""
    alpha = CustomerFactory(name="Alpha Logistik GmbH")
    beta = CustomerFactory(name=SCRIPT_NAME)
    quarter = dt.date(2026, 1, 1)
    urgent = stored_finding(
        customer=alpha,
        kind="sla_resolution_low",
        severity=Finding.Severity.URGENT,
        period_start=quarter,
        params={"value": 0.62, "low": 0.5, "high": 0.72, "n": 50, "threshold": 0.8},
    )
    warning = stored_finding(
        customer=beta,
        kind="goodwill_high",
        severity=Finding.Severity.WARNING,
        period_start=quarter,
        params={"value": 0.2, "hours": 30.0, "threshold": 0.08},
    )
    info = stored_finding(
        customer=alpha,
        kind="no_answers",
        severity=Finding.Severity.INFO,
        period_start=quarter,
        params={"value": None, "threshold": None, "n": 0},
    )
    return Stored(alpha, beta, urgent, warning, info)


def test_findings_are_grouped_by_severity_with_what_to_do(manager: Client, stored: Stored) -> None:
    text = page(manager)

    assert headings(text) == ["Urgent", "Warning", "Info"]
    assert sentences(text) == [
        # An at-risk test's interval is a 99% one (SegmentThresholds.risk_alpha); it says so.
        "Resolution SLA met 62% (99% interval 50%–72%, 50 tickets), clearly below 80%",
        "Goodwill is 20% of customer-facing hours (30 h); over 8% is a scope-creep warning",
        "No survey answers: satisfaction unknown, not assumed",
    ]
    assert "Fix reliability first: look at the breached tickets" in text
    assert "Add this to the contract at a price" in text
    assert f'href="/customers/{stored.alpha.pk}/"' in text
    assert "Q1 2026" in text
    assert tab_counts(text) == {"open": 3, "done": 0, "dismissed": 0, "all": 3}


def test_findings_page_speaks_german(manager: Client, stored: Stored) -> None:
    text = page(manager, language="de")

    assert "<h1>Befunde</h1>" in text
    # German percent format, with a no-break space before the sign.
    assert "62\u00a0% (99-%-Intervall 50\u00a0%–72\u00a0%, 50 Tickets)" in html.unescape(text)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?severity=3", ["Resolution SLA met"]),
        ("?severity=1", ["No survey answers"]),
        ("?recommendation=add_to_contract", ["Goodwill is 20%"]),
        ("?recommendation=ask_for_feedback", ["No survey answers"]),
        ("?recommendation=bill", []),
        ("?status=done", []),
        ("?status=all", ["Resolution SLA met", "Goodwill is 20%", "No survey answers"]),
    ],
)
def test_filters_narrow_the_list(
    manager: Client, stored: Stored, query: str, expected: list[str]
) -> None:
    text = page(manager, query)

    shown = sentences(text)
    assert len(shown) == len(expected)
    assert all(s.startswith(e) for s, e in zip(shown, expected, strict=True))
    assert notices(text) == []


def test_customer_filter(manager: Client, stored: Stored) -> None:
    text = page(manager, f"?customer={stored.alpha.pk}")

    assert len(sentences(text)) == 2
    assert tab_counts(text)["all"] == 2


@pytest.mark.parametrize(
    ("query", "notice"),
    [
        ("?status=closed", "Unknown status; showing open findings."),
        ("?severity=9", "Unknown severity; showing every severity."),
        ("?severity=urgent", "Unknown severity; showing every severity."),
        ("?customer=abc", "That customer is not available; showing all customers."),
        ("?customer=999999", "That customer is not available; showing all customers."),
        ("?recommendation=pray", "Unknown recommendation; showing every recommendation."),
        ("?page=abc", "“abc” is not a page number; showing page 1."),
        ("?page=99999999999999999999", "There is no page 99999999999999999999; showing the last"),
    ],
)
def test_bad_filter_values_fall_back_with_a_notice(
    manager: Client, stored: Stored, query: str, notice: str
) -> None:
    text = page(manager, query)

    assert any(n.startswith(notice) for n in notices(text)), notices(text)
    assert len(sentences(text)) == 3


def test_many_findings_are_paged(manager: Client, stored: Stored) -> None:
    for n in range(60):
        stored_finding(
            customer=stored.alpha,
            kind="tickets_rising",
            severity=Finding.Severity.WARNING,
            period_start=dt.date(2026, 1, 1),
            params={"values": [n, n + 10, n + 20]},
        )

    first = page(manager)
    second = page(manager, "?page=2")
    beyond = page(manager, "?page=7")

    assert len(sentences(first)) == 50
    assert len(sentences(second)) == 13
    assert 'href="/findings/?status=open&amp;page=2"' in first
    assert notices(beyond) == ["There is no page 7; showing the last page, 2."]
    assert sentences(beyond) == sentences(second)


def test_htmx_filter_requests_get_only_the_results(manager: Client, stored: Stored) -> None:
    text = page(manager, "?severity=3", HTTP_HX_REQUEST="true")

    assert "<html" not in text
    assert len(sentences(text)) == 1
    assert 'id="findings-counts"' in text


def test_names_and_notes_are_escaped(manager: Client, stored: Stored) -> None:
    manager.post(
        f"/findings/{stored.warning.pk}/decide/",
        {"decision": "done", "note": "<script>alert('note')</script>"},
    )

    for text in (
        page(manager, "?status=all"),
        page(manager, "?status=all", HTTP_HX_REQUEST="true"),
    ):
        assert "<script>alert(" not in text
        assert "&lt;script&gt;alert(&#x27;name&#x27;)&lt;/script&gt; Corp" in text
        assert "&lt;script&gt;alert(&#x27;note&#x27;)&lt;/script&gt;" in text


# --------------------------------------------------------------------------------------------
# Deciding


def test_dismissing_without_javascript_redirects_back_with_a_message(
    manager: Client, stored: Stored
) -> None:
    response = manager.post(
        f"/findings/{stored.urgent.pk}/decide/",
        {"decision": "dismissed", "note": "Known: new firewall", "return": "severity=3&evil=1"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 302
    assert response["Location"] == f"/findings/?status=open&severity=3#finding-{stored.urgent.pk}"
    text = page(manager)
    assert "Dismissed: Alpha Logistik GmbH." in text
    assert not any(s.startswith("Resolution SLA met") for s in sentences(text))
    assert tab_counts(text) == {"open": 2, "done": 0, "dismissed": 1, "all": 3}
    dismissed = page(manager, "?status=dismissed")
    assert "Known: new firewall" in dismissed
    assert "by user-manager" in dismissed
    assert 'value="reopen"' in dismissed


def test_htmx_decision_swaps_the_block_and_the_counts(manager: Client, stored: Stored) -> None:
    response = manager.post(
        f"/findings/{stored.info.pk}/decide/",
        {"decision": "done", "note": "Survey sent", "return": "status=open"},
        HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    text = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in text
    assert text.startswith(
        f'<article class="finding severity-1 status-done" id="finding-{stored.info.pk}">'
    )
    assert "Survey sent" in text
    assert 'hx-swap-oob="true"' in text
    assert tab_counts(text) == {"open": 2, "done": 1, "dismissed": 0, "all": 3}


def test_a_decided_finding_can_be_reopened(manager: Client, stored: Stored) -> None:
    url = f"/findings/{stored.warning.pk}/decide/"
    manager.post(url, {"decision": "done"})
    assert FindingDecision.objects.count() == 1

    response = manager.post(url, {"decision": "reopen"}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 302
    assert FindingDecision.objects.count() == 0
    assert tab_counts(page(manager)) == {"open": 3, "done": 0, "dismissed": 0, "all": 3}


def test_an_unknown_decision_changes_nothing(manager: Client, stored: Stored) -> None:
    response = manager.post(
        f"/findings/{stored.urgent.pk}/decide/",
        {"decision": "delete"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200
    assert "Choose “Done” or “Dismiss”." in response.content.decode()
    assert FindingDecision.objects.count() == 0


def test_deciding_needs_post_and_a_known_finding(manager: Client, stored: Stored) -> None:
    assert manager.get(f"/findings/{stored.urgent.pk}/decide/").status_code == 405
    assert manager.post("/findings/999999/decide/", {"decision": "done"}).status_code == 404
    huge = "/findings/99999999999999999999999/decide/"
    assert manager.post(huge, {"decision": "done"}).status_code == 404


def test_deciding_needs_the_csrf_token(stored: Stored) -> None:
    client = Client(enforce_csrf_checks=True)
    login(client, Role.MANAGER)

    response = client.post(f"/findings/{stored.urgent.pk}/decide/", {"decision": "done"})

    assert response.status_code == 403
    assert FindingDecision.objects.count() == 0


def test_anonymous_visitors_are_sent_to_the_login(client: Client, stored: Stored) -> None:
    assert client.get("/findings/")["Location"].startswith("/login/")
    response = client.post(f"/findings/{stored.urgent.pk}/decide/", {"decision": "done"})
    assert response.status_code == 302
    assert FindingDecision.objects.count() == 0


def test_account_manager_sees_and_decides_only_their_customers(
    client: Client, stored: Stored
) -> None:
    login(client, Role.ACCOUNT_MANAGER, [stored.alpha])

    text = page(client, "?status=all")
    assert len(sentences(text)) == 2
    assert "alert(" not in html.unescape(text)
    assert tab_counts(text) == {"open": 2, "done": 0, "dismissed": 0, "all": 2}

    other = client.post(f"/findings/{stored.warning.pk}/decide/", {"decision": "dismissed"})
    other_htmx = client.post(
        f"/findings/{stored.warning.pk}/decide/", {"decision": "done"}, HTTP_HX_REQUEST="true"
    )
    own = client.post(f"/findings/{stored.urgent.pk}/decide/", {"decision": "done"})

    assert other.status_code == 404
    assert other_htmx.status_code == 404
    assert own.status_code == 302
    assert list(FindingDecision.objects.values_list("customer_id", flat=True)) == [stored.alpha.pk]


# --------------------------------------------------------------------------------------------
# A decision outlives the next analysis unless the evidence changes


def _free_printer_ticket(portfolio: SmallPortfolio, day: int) -> None:
    ticket = TicketFactory(
        customer=portfolio.busy,
        contract=portfolio.busy.contracts.get(),
        created_at=at(day, 9),
        first_response_at=at(day, 9, 20),
        resolved_at=at(day, 11),
        subject=f"Drucker im Büro {day} einrichten",
    )
    TimeEntryFactory(
        customer=portfolio.busy,
        ticket=ticket,
        minutes=90,
        billing=TimeEntry.Billing.GOODWILL,
        started_at=at(day, 10),
    )


@pytest.fixture
def free_printer_work(small_portfolio: SmallPortfolio) -> SmallPortfolio:
    """Four printer set-ups in March done as goodwill although printers are billed extra."""
    CatalogueItem.objects.create(
        contract=small_portfolio.busy.contracts.get(),
        code="PRINT",
        name="Drucker einrichten",
        included=False,
        rate=Decimal("95.00"),
        keywords="drucker, printer",
    )
    for day in (9, 10, 11, 12):
        _free_printer_ticket(small_portfolio, day)
    analyze(now=NOW)
    return small_portfolio


def _printer_sentence(client: Client, status: str) -> list[str]:
    return [s for s in sentences(page(client, f"?status={status}")) if "Drucker" in s]


def test_dismissed_finding_stays_dismissed_until_its_evidence_changes(
    manager: Client, free_printer_work: SmallPortfolio
) -> None:
    finding = Finding.objects.get(kind="out_of_scope_free")
    assert _printer_sentence(manager, "open") == [
        "4 free “Drucker einrichten” tickets in 6 months, 6 h, 570 EUR at catalogue rate; "
        "add to the contract at 95 EUR/month or bill from now"
    ]

    manager.post(
        f"/findings/{finding.pk}/decide/", {"decision": "dismissed", "note": "Goodwill agreed"}
    )
    assert _printer_sentence(manager, "open") == []

    # The next analysis rewrites every finding; the evidence is the same.
    analyze(now=NOW)
    assert not Finding.objects.filter(pk=finding.pk).exists()
    assert _printer_sentence(manager, "open") == []
    dismissed = page(manager, "?status=dismissed")
    assert "4 free “Drucker einrichten” tickets" in html.unescape(dismissed)
    assert "Goodwill agreed" in dismissed

    # A fifth free printer set-up changes the evidence: the finding is open again.
    _free_printer_ticket(free_printer_work, 13)
    analyze(now=NOW)
    assert [s[:40] for s in _printer_sentence(manager, "open")] == [
        "5 free “Drucker einrichten” tickets in 6"
    ]
    assert _printer_sentence(manager, "dismissed") == []
