"""The customer page: why a customer sits in its segment, what it costs, what to do, and who
may see it."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from solidground.accounts.actions import do_create_user
from solidground.accounts.models import Role
from solidground.contracts.models import CatalogueItem
from solidground.customers.models import Customer
from solidground.demo.actions import build_demo
from solidground.insights.actions import analyze
from solidground.insights.models import (
    CustomerSegment,
    Finding,
    FindingDecision,
    evidence_fingerprint,
)
from solidground.service.models import Highlight
from solidground.surveys.models import SurveyAnswer
from tests.factories import (
    CalendarFactory,
    ContactFactory,
    ContractFactory,
    CustomerFactory,
    RevenueLineFactory,
    SlaPolicyFactory,
    SurveyAnswerFactory,
    TicketFactory,
    TimeEntryFactory,
    stored_finding,
)

pytestmark = pytest.mark.django_db

UTC = dt.UTC
# Analysed on 2 April 2026: March 2026 is the last complete month.
NOW = dt.datetime(2026, 4, 2, 12, 0, tzinfo=UTC)
PASSWORD = "a-long-test-password"


def _user(role: Role, customer_ids: tuple[int, ...] = (), name: str = "") -> AbstractUser:
    return do_create_user(
        username=name or f"{role.value}-user",
        password=PASSWORD,
        role=role,
        customer_ids=list(customer_ids),
    )


def _page(client: Client, customer_id: int, language: str = "en", query: str = "") -> str:
    response = client.get(
        reverse("web:customer", args=[customer_id]) + query, HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 200
    return response.content.decode()


def _section(page: str, section_id: str) -> str:
    """The HTML of one page section (``<section id=...>`` up to its end)."""
    match = re.search(rf'<section id="{section_id}".*?</section>', page, re.S)
    assert match is not None, section_id
    return match.group(0)


@pytest.fixture
def owner_client(client: Client) -> Client:
    client.force_login(_user(Role.OWNER))
    return client


# --------------------------------------------------------------------------------------------
# A hand-made customer whose SLA calendar runs in New York while the provider is in Berlin


@dataclass
class NewYorkCustomer:
    customer: Customer


@pytest.fixture
def new_york_customer() -> NewYorkCustomer:
    """A P1 ticket on Tuesday 3 March 2026 at 09:00 New York time (14:00 UTC, 15:00 Berlin):
    first response after 60 minutes against a 30-minute target (due 09:30 New York),
    resolved at 11:00 New York within its 4-hour target. A comment, a subject and the name
    carry HTML."""
    customer = CustomerFactory(
        name="<script>alert('name')</script> Hudson Dental", timezone="America/New_York"
    )
    calendar = CalendarFactory(
        timezone="America/New_York", holiday_country="US", holiday_subdivision="NY"
    )
    policy = SlaPolicyFactory(calendar=calendar)
    contract = ContractFactory(customer=customer, sla_policy=policy)
    ticket = TicketFactory(
        customer=customer,
        contract=contract,
        reference="T-42",
        subject="<script>alert('subject')</script> Printer down",
        priority=1,
        created_at=dt.datetime(2026, 3, 3, 14, 0, tzinfo=UTC),
        first_response_at=dt.datetime(2026, 3, 3, 15, 0, tzinfo=UTC),
        resolved_at=dt.datetime(2026, 3, 3, 16, 0, tzinfo=UTC),
    )
    TimeEntryFactory(customer=customer, ticket=ticket, minutes=90)
    RevenueLineFactory(customer=customer, contract=contract, amount=Decimal("1500.00"))
    SurveyAnswerFactory(
        customer=customer,
        ticket=ticket,
        contact=ContactFactory(customer=customer, name="Dana <b>Bold</b>"),
        score=2,
        comment="<script>alert('comment')</script> Slow answer",
    )
    return NewYorkCustomer(customer)


def test_breaches_show_due_and_actual_time_in_the_customers_calendar_zone(
    owner_client: Client, new_york_customer: NewYorkCustomer
) -> None:
    analyze(now=NOW)

    reliability = _section(_page(owner_client, new_york_customer.customer.pk), "reliability")

    assert "T-42" in reliability
    assert "first response" in reliability
    # Due 09:30 and answered 10:00 New York time, not 15:30/16:00 Berlin nor 14:30 UTC.
    assert "03/03/2026 9:30 a.m." in reliability
    assert "03/03/2026 10 a.m." in reliability
    assert "America/New_York" in reliability
    assert "late by 30 min" in reliability  # the SLA page's wording
    # The resolution clock was met: no row for it.
    assert "resolution</td>" not in reliability
    assert f"/sla/?customer={new_york_customer.customer.pk}" in reliability


def test_breach_times_follow_the_readers_language(
    owner_client: Client, new_york_customer: NewYorkCustomer
) -> None:
    analyze(now=NOW)

    reliability = _section(
        _page(owner_client, new_york_customer.customer.pk, language="de"), "reliability"
    )

    assert "03.03.2026 09:30" in reliability
    assert "03.03.2026 10:00" in reliability


def test_names_subjects_and_comments_from_the_data_are_escaped(
    owner_client: Client, new_york_customer: NewYorkCustomer
) -> None:
    analyze(now=NOW)

    page = _page(owner_client, new_york_customer.customer.pk)

    assert "<script>alert(" not in page
    assert "&lt;script&gt;alert(&#x27;name&#x27;)&lt;/script&gt; Hudson Dental" in page
    assert "&lt;script&gt;alert(&#x27;subject&#x27;)&lt;/script&gt; Printer down" in page
    assert "&lt;script&gt;alert(&#x27;comment&#x27;)&lt;/script&gt; Slow answer" in page
    assert "Dana &lt;b&gt;Bold&lt;/b&gt;" in page


def test_comments_show_date_score_and_contact_newest_first(
    owner_client: Client, new_york_customer: NewYorkCustomer
) -> None:
    customer = new_york_customer.customer
    SurveyAnswerFactory(
        customer=customer,
        score=5,
        comment="Quick and friendly",
        answered_at=dt.datetime(2026, 3, 20, 9, 0, tzinfo=UTC),
    )
    analyze(now=NOW)

    satisfaction = _section(_page(owner_client, customer.pk), "satisfaction")

    assert satisfaction.index("Quick and friendly") < satisfaction.index("Slow answer")
    assert "5/5" in satisfaction
    assert "2/5" in satisfaction
    assert "Dana" in satisfaction


def test_a_customer_without_answers_shows_no_data_for_satisfaction_never_zero(
    owner_client: Client,
) -> None:
    customer = CustomerFactory(name="Stille Praxis")
    contract = ContractFactory(customer=customer)
    TicketFactory(
        customer=customer,
        contract=contract,
        created_at=dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        first_response_at=dt.datetime(2026, 3, 2, 9, 10, tzinfo=UTC),
        resolved_at=dt.datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
    )
    RevenueLineFactory(customer=customer, contract=contract)
    analyze(now=NOW)

    page = _page(owner_client, customer.pk)
    satisfaction = _section(page, "satisfaction")

    assert re.search(r"CSAT, 12 months</dt><dd><span class=\"nodata\">no data", satisfaction)
    assert re.search(r"Unhappy</dt><dd><span class=\"nodata\">no data", satisfaction)
    assert re.search(r"NPS \(secondary\)</dt><dd><span class=\"nodata\">no data", satisfaction)
    assert "0%" not in satisfaction
    assert "No comments from this customer." in satisfaction
    # The key figures at the top say the same.
    assert re.search(
        r"CSAT, 12 months</span>\s*<span class=\"tile-value\"><span class=\"nodata\">", page
    )


def test_comments_are_capped_with_a_link_to_show_more(
    owner_client: Client, new_york_customer: NewYorkCustomer
) -> None:
    customer = new_york_customer.customer
    for day in range(1, 36):
        SurveyAnswerFactory(
            customer=customer,
            score=4,
            comment=f"Comment number {day:02d}",
            answered_at=dt.datetime(2026, 1, 1, 9, 0, tzinfo=UTC) + dt.timedelta(days=day),
        )
    analyze(now=NOW)

    first = _section(_page(owner_client, customer.pk), "satisfaction")
    more = _section(_page(owner_client, customer.pk, query="?comments=60"), "satisfaction")

    assert first.count('<li class="comment') == 30
    assert "Comment number 35" in first  # newest first
    assert "Comment number 06" not in first
    assert "?comments=60#comments" in first
    assert more.count('<li class="comment') == 36  # 35 and the one from the fixture
    assert "Show more" not in more


@pytest.mark.parametrize("value", ["abc", "0", "-5", "99999999999999999999", "1e3"])
def test_an_odd_comments_parameter_falls_back_with_a_message(
    owner_client: Client, new_york_customer: NewYorkCustomer, value: str
) -> None:
    analyze(now=NOW)

    page = _page(owner_client, new_york_customer.customer.pk, query=f"?comments={value}")

    assert "is not a number of comments from 1 to 1000; showing 30." in page


# --------------------------------------------------------------------------------------------
# Stored results written directly: the page shows what the analysis stored


def test_segment_with_reasons_movers_and_the_quarter_before(
    owner_client: Client, new_york_customer: NewYorkCustomer
) -> None:
    analyze(now=NOW)
    customer = new_york_customer.customer
    CustomerSegment.objects.update_or_create(
        customer=customer,
        defaults={
            "segment": "service_trap",
            "rule": "service_trap",
            "window_start": date(2025, 4, 1),
            "window_end": date(2026, 1, 1),
            "reasons": [
                {
                    "key": "goodwill_high",
                    "met": True,
                    "value": 0.25,
                    "threshold": 0.08,
                    "hours": 118.0,
                },
                {"key": "contact_high", "met": True, "value": 4.0, "threshold": 1.5},
            ],
            "movers": [{"key": "goodwill_high", "met": True, "value": 0.25, "threshold": 0.08}],
            "previous_segment": "solid",
        },
    )

    page = _page(owner_client, customer.pk)

    assert 'class="segment segment-service_trap">service trap<' in page
    assert "Goodwill is 25% of customer-facing hours (118 h); over 8% is a scope-creep" in page
    assert "Contact intensity 4.0 times the portfolio median per seat" in page
    assert "Goodwill under 8% of hours (now 25%)" in page
    assert "A quarter before, this customer was “solid”." in page
    assert "Figures as of March 2026" in page


def test_open_findings_show_what_to_do_and_decided_ones_who_and_when(
    owner_client: Client, new_york_customer: NewYorkCustomer
) -> None:
    analyze(now=NOW)
    customer = new_york_customer.customer
    Finding.objects.filter(customer=customer).delete()
    stored_finding(
        customer=customer,
        kind="goodwill_creeping",
        severity=2,
        period_start=date(2026, 1, 1),
        params={"values": [0.1, 0.2, 0.3]},
    )
    decided = stored_finding(
        customer=customer,
        kind="contact_high",
        severity=2,
        period_start=date(2026, 1, 1),
        params={"value": 3.0, "threshold": 1.5},
    )
    FindingDecision.objects.create(
        customer=customer,
        kind=decided.kind,
        fingerprint=evidence_fingerprint(decided.kind, decided.params),
        period_start=decided.period_start,
        params=decided.params,
        status=FindingDecision.Status.DISMISSED,
        note="Agreed with <i>the owner</i>",
        decided_at=dt.datetime(2026, 3, 30, 10, 0, tzinfo=UTC),
    )

    findings = _section(_page(owner_client, customer.pk), "findings")

    open_part, decided_part = findings.split('<details class="decided">')
    assert "Goodwill share rising quarter after quarter: 10% → 20% → 30%" in open_part
    assert "Add this to the contract at a price, or agree that it is billed." in open_part
    assert "Contact intensity 3.0 times" in decided_part
    assert "dismissed" in decided_part
    assert "Agreed with &lt;i&gt;the owner&lt;/i&gt;" in decided_part
    assert f"/findings/?customer={customer.pk}" in findings


def test_highlights_and_contract_events_are_listed(
    owner_client: Client, new_york_customer: NewYorkCustomer
) -> None:
    customer = new_york_customer.customer
    contract = customer.contracts.get()
    contract.events.create(
        source="test",
        external_id="E1",
        kind="expanded",
        occurred_on=date(2025, 10, 1),
        monthly_fee_change=Decimal("200.00"),
        note="Ten more seats",
    )
    Highlight.objects.create(
        source="test",
        external_id="H1",
        customer=customer,
        occurred_on=date(2026, 2, 11),
        title="Ransomware stopped before damage",
    )
    analyze(now=NOW)

    history = _section(_page(owner_client, customer.pk), "history")

    assert "Ransomware stopped before damage" in history
    assert "expanded" in history
    assert "+200 EUR" in history
    assert "Ten more seats" in history
    assert "contract started" in history


def test_catalogue_items_count_tickets_and_out_of_scope_work_done_free(
    owner_client: Client, new_york_customer: NewYorkCustomer
) -> None:
    customer = new_york_customer.customer
    contract = customer.contracts.get()
    included = CatalogueItem.objects.create(
        source="test", external_id="I1", contract=contract, name="Password reset", included=True
    )
    extra = CatalogueItem.objects.create(
        source="test",
        external_id="I2",
        contract=contract,
        name="New laptop",
        included=False,
        rate=Decimal("95.00"),
    )
    for day, billing in [(10, "goodwill"), (11, "billed"), (12, "included")]:
        ticket = TicketFactory(
            customer=customer,
            contract=contract,
            catalogue_item=extra,
            created_at=dt.datetime(2026, 3, day, 14, 0, tzinfo=UTC),
        )
        TimeEntryFactory(customer=customer, ticket=ticket, billing=billing)
    TicketFactory(
        customer=customer,
        contract=contract,
        catalogue_item=included,
        created_at=dt.datetime(2026, 3, 13, 14, 0, tzinfo=UTC),
    )
    ContractFactory(
        customer=customer,
        name="Old block of hours",
        status="ended",
        start_date=date(2023, 1, 1),
        end_date=date(2024, 12, 31),
    )
    analyze(now=NOW)

    contracts = _section(_page(owner_client, customer.pk), "contracts")

    laptop = re.search(r"New laptop.*?</tr>", contracts, re.S)
    assert laptop is not None
    cells = re.findall(r'<td class="num[^"]*">(.*?)</td>', laptop.group(0))
    # Rate, tickets mapped, and two of three done free (goodwill, booked as included).
    assert cells == ["95 EUR per hour", "3", "2"]
    password = re.search(r"Password reset.*?</tr>", contracts, re.S)
    assert password is not None
    assert '<td class="num">1</td>' in password.group(0)
    assert contracts.index("Included in the contract") < contracts.index("Password reset")
    assert contracts.index("Billed extra") < contracts.index("New laptop")
    # The ended contract is folded away below the one in force.
    assert "1 earlier contract" in contracts
    assert contracts.index("<details") < contracts.index("Old block of hours")


# --------------------------------------------------------------------------------------------
# Access


def test_an_account_manager_gets_404_for_a_customer_they_do_not_manage(
    client: Client, new_york_customer: NewYorkCustomer
) -> None:
    other = CustomerFactory(name="Someone else's customer")
    client.force_login(_user(Role.ACCOUNT_MANAGER, (other.pk,)))

    response = client.get(reverse("web:customer", args=[new_york_customer.customer.pk]))

    assert response.status_code == 404
    assert "Hudson" not in response.content.decode()


def test_an_unknown_customer_id_answers_404(owner_client: Client) -> None:
    assert owner_client.get(reverse("web:customer", args=[987654])).status_code == 404
    assert owner_client.get("/customers/99999999999999999999/").status_code == 404
    assert owner_client.get("/customers/abc/").status_code == 404


def test_anonymous_visitors_are_sent_to_the_login(
    client: Client, new_york_customer: NewYorkCustomer
) -> None:
    response = client.get(reverse("web:customer", args=[new_york_customer.customer.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER, Role.ACCOUNT_MANAGER])
def test_owner_manager_and_the_assigned_account_manager_see_the_page(
    client: Client, new_york_customer: NewYorkCustomer, role: Role
) -> None:
    analyze(now=NOW)
    client.force_login(_user(role, (new_york_customer.customer.pk,)))

    page = _page(client, new_york_customer.customer.pk)

    assert "Hudson Dental" in page


# --------------------------------------------------------------------------------------------
# The demo: a planted service trap, every section filled


@pytest.fixture
def demo_trap() -> Customer:
    build_demo(customers=12, months=15, seed=7, end=date(2026, 3, 1), fresh=False)
    analyze(now=NOW)
    trap = CustomerSegment.objects.filter(segment="service_trap").select_related("customer")
    row = trap.first()
    assert row is not None, "the demo plants a service trap"
    return row.customer


def test_a_service_trap_page_explains_the_segment_its_cost_and_what_to_do(
    owner_client: Client, demo_trap: Customer
) -> None:
    page = _page(owner_client, demo_trap.pk)

    assert 'class="segment segment-service_trap">service trap<' in page
    why = re.search(r"<h3>Why</h3>(.*?)</ul>", page, re.S)
    assert why is not None
    assert "goodwill" in why.group(1).lower()
    assert "What would move it" in page
    # The extra-mile ledger, contact intensity and profit are filled, with their charts.
    ledger = _section(page, "ledger")
    assert 'id="chart-ledger"' in ledger
    assert "of goodwill (" in ledger
    assert 'id="chart-contact"' in _section(page, "contact")
    profit = _section(page, "profit")
    assert 'id="chart-profit"' in profit
    assert "Q1 2026" in profit
    assert 'id="chart-reliability"' in _section(page, "reliability")
    assert "Billed extra" in _section(page, "contracts")
    # What to do: the findings come with their recommendation.
    assert "What to do:" in _section(page, "findings")


def test_the_page_reads_a_bounded_number_of_queries(
    owner_client: Client,
    demo_trap: Customer,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    url = reverse("web:customer", args=[demo_trap.pk])
    with django_assert_max_num_queries(30):
        response = owner_client.get(url + "?comments=200", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200


def test_the_german_page_uses_german_words_and_formats(
    owner_client: Client, demo_trap: Customer
) -> None:
    page = _page(owner_client, demo_trap.pk, language="de")

    assert 'lang="de"' in page
    assert " EUR" in page
    assert ">Servicefalle<" in page
    assert not re.search(r"\d,\d{3} EUR", page)  # no English thousands separator


def test_answers_are_few_so_satisfaction_is_shown_per_quarter(
    owner_client: Client, new_york_customer: NewYorkCustomer
) -> None:
    analyze(now=NOW)

    satisfaction = _section(_page(owner_client, new_york_customer.customer.pk), "satisfaction")

    assert "Satisfaction per quarter" in satisfaction
    assert "Shown per quarter: the median month has 1 answer," in satisfaction
    assert SurveyAnswer.objects.filter(customer=new_york_customer.customer).count() == 1
