"""The start page on the demo provider: tiles, attention list, charts, table, CSV, roles."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client

from solidground.accounts.actions import do_create_user
from solidground.accounts.models import Role
from solidground.customers.models import Customer
from solidground.demo.actions import build_demo
from solidground.insights.actions import analyze
from solidground.insights.models import CustomerSegment
from solidground.insights.selectors.common import Rate
from solidground.insights.selectors.portfolio import PortfolioRow, _sort_key, name_key

END = dt.date(2026, 3, 1)
NOW = dt.datetime(2026, 4, 1, 12, tzinfo=dt.UTC)
PASSWORD = "a-long-test-password"


@pytest.fixture
def demo() -> None:
    build_demo(customers=30, months=24, seed=3, end=END, fresh=True)
    analyze(now=NOW)


def _login(client: Client, role: Role, customers: list[int] | None = None) -> User:
    user = do_create_user(
        username=f"user-{role.value}", password=PASSWORD, role=role, customer_ids=customers or []
    )
    client.force_login(user)
    return user  # type: ignore[return-value]


def _chart_spec(page: str, key: str) -> dict[str, object]:
    match = re.search(rf'<script id="chart-{key}" type="application/json">(.*?)</script>', page)
    assert match, f"chart {key} missing"
    return json.loads(match.group(1))  # type: ignore[no-any-return]


@pytest.mark.django_db
def test_owner_sees_tiles_attention_charts_and_every_customer(client: Client, demo: None) -> None:
    _login(client, Role.OWNER)

    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    segments = dict(CustomerSegment.objects.values_list("customer_id", "segment"))
    trap_count = sum(1 for s in segments.values() if s == "service_trap")
    assert trap_count > 0
    tile = re.search(
        r'class="tile segment-service_trap.*?<span class="tile-count">(\d+)</span>', page, re.S
    )
    assert tile is not None
    assert int(tile.group(1)) == trap_count
    assert "since last quarter" in page or "unchanged since last quarter" in page
    assert "Needs attention first" in page
    scatter = _chart_spec(page, "satisfaction")
    points = scatter["data"]["values"]  # type: ignore[index]
    assert points
    assert all(p["url"].startswith("/customers/") for p in points)
    assert all(p["low"] - 1e-9 <= p["csat"] <= p["high"] + 1e-9 for p in points)
    whale = _chart_spec(page, "whale")
    assert whale["data"]["values"]  # type: ignore[index]
    for name in Customer.objects.values_list("name", flat=True):
        assert name.replace("&", "&amp;") in page


@pytest.mark.django_db
def test_segment_filter_and_search_narrow_the_table_and_the_csv(client: Client, demo: None) -> None:
    _login(client, Role.MANAGER)
    trap_ids = set(
        CustomerSegment.objects.filter(segment="service_trap").values_list("customer_id", flat=True)
    )
    trap_names = set(Customer.objects.filter(pk__in=trap_ids).values_list("name", flat=True))

    partial = client.get(
        "/?segment=service_trap",
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="customer-table",
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    csv_text = client.get("/portfolio.csv?segment=service_trap", HTTP_ACCEPT_LANGUAGE="en")
    body = b"".join(csv_text.streaming_content).decode("utf-8")  # type: ignore[attr-defined]

    assert "<html" not in partial  # only the table is swapped
    shown = set(re.findall(r'<th scope="row"><a href="/customers/\d+/">([^<]+)</a>', partial))
    assert {n.replace("&amp;", "&") for n in shown} == trap_names
    assert body.startswith("\ufeffCustomer,")
    assert len(body.strip().splitlines()) == len(trap_names) + 1

    one = sorted(trap_names)[0]
    searched = client.get("/", {"q": one.upper()[:6]}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert one.replace("&", "&amp;") in searched


@pytest.mark.django_db
def test_account_manager_sees_only_their_customers_everywhere(client: Client, demo: None) -> None:
    mine = list(Customer.objects.order_by("pk").values_list("pk", flat=True)[:3])
    others = Customer.objects.exclude(pk__in=mine).values_list("name", flat=True)
    _login(client, Role.ACCOUNT_MANAGER, customers=mine)

    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    response = client.get("/portfolio.csv", HTTP_ACCEPT_LANGUAGE="en")
    body = b"".join(response.streaming_content).decode("utf-8")  # type: ignore[attr-defined]
    searched = client.get("/", {"q": others[0]}, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    for name in others:
        escaped = name.replace("&", "&amp;")
        assert escaped not in page, name
        assert name not in body, name
    assert "No customer matches" in searched
    counts = [int(c) for c in re.findall(r'<span class="tile-count">(\d+)</span>', page)]
    assert sum(counts) <= 3
    assert len(_chart_spec(page, "whale")["data"]["values"]) <= 3  # type: ignore[index]
    assert 1 <= len(body.strip().splitlines()) - 1 <= 3


@pytest.mark.django_db
def test_german_csv_uses_semicolons_decimal_commas_and_guards_formulas(
    client: Client, demo: None
) -> None:
    customer = Customer.objects.order_by("pk").first()
    assert customer is not None
    Customer.objects.filter(pk=customer.pk).update(name="=HYPERLINK(1)")
    _login(client, Role.OWNER)

    response = client.get("/portfolio.csv", HTTP_ACCEPT_LANGUAGE="de")
    body = b"".join(response.streaming_content).decode("utf-8")  # type: ignore[attr-defined]

    assert response["Content-Type"].startswith("text/csv")
    assert body.startswith("\ufeffKunde;") or body.startswith("\ufeffCustomer;")
    assert "'=HYPERLINK(1)" in body
    assert re.search(r";\d+,\d+;", body)  # a decimal comma


@pytest.mark.django_db
def test_bad_parameters_fall_back_with_a_visible_message(client: Client, demo: None) -> None:
    _login(client, Role.OWNER)

    response = client.get(
        "/",
        {"months": "abc", "order": "drop table", "segment": "x", "page": "999"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "is not a number of months" in page
    assert "Unknown sort order" in page
    assert "Unknown segment" in page


@pytest.mark.django_db
def test_customer_names_are_escaped(client: Client, demo: None) -> None:
    customer = Customer.objects.order_by("pk").first()
    assert customer is not None
    Customer.objects.filter(pk=customer.pk).update(name="<script>alert(1)</script>")
    _login(client, Role.OWNER)

    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def _row(name: str, csat: Rate) -> PortfolioRow:
    return PortfolioRow(
        customer_id=1,
        name=name,
        status="active",
        tickets=1,
        hours_total=1.0,
        hours_goodwill=0.0,
        goodwill_share=0.0,
        revenue=Decimal(1),
        margin=Decimal(0),
        margin_share=0.0,
        csat=csat,
        sla_resolution=Rate.of(0, 0),
    )


def test_names_sort_as_a_german_reader_expects() -> None:
    names = ["Busch", "Böhm", "Zahn", "Ärzte am Dom", "Adler", "Straße 1", "Strasse 0"]
    assert sorted(names, key=name_key) == [
        "Adler",
        "Ärzte am Dom",
        "Böhm",
        "Busch",
        "Strasse 0",
        "Straße 1",
        "Zahn",
    ]


def test_csat_ranks_by_the_lower_bound_so_few_answers_do_not_win() -> None:
    few = _row("Few", Rate.of(1, 1))
    many = _row("Many", Rate.of(95, 100))
    unknown = _row("Unknown", Rate.of(0, 0))

    ordered = sorted([many, unknown, few], key=lambda r: _sort_key(r, "csat"))

    # Worst first; "no data" last; 1 of 1 (interval from 21%) ranks below 95 of 100.
    assert [r.name for r in ordered] == ["Few", "Many", "Unknown"]
