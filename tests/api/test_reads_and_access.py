"""Who may read and write what through the API, and what the read routes answer."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client, override_settings

from solidground.accounts.models import Role
from solidground.api.models import ApiToken
from solidground.api.tokens import do_revoke_token
from solidground.insights.actions import analyze
from solidground.service.models import Ticket
from tests.api.conftest import call, make_token
from tests.factories import ContractFactory, CustomerFactory, TicketFactory
from tests.portfolio_fixtures import SmallPortfolio

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 4, 15, 12, 0, tzinfo=dt.UTC)
TICKET = {
    "external_id": "T-1",
    "customer_ref": "C-1",
    "subject": "VPN",
    "created_at": "2026-03-02T09:00:00+01:00",
}


@pytest.fixture
def analysed(small_portfolio: SmallPortfolio) -> SmallPortfolio:
    analyze(now=NOW)
    return small_portfolio


def test_no_token_is_a_401(client: Client) -> None:
    answer = call(client, "get", "/customers", None)
    assert answer.status_code == 401
    assert answer.json()["detail"]
    assert answer["WWW-Authenticate"] == "Bearer"


def test_an_unknown_or_malformed_token_is_a_401(client: Client, owner_write_token: str) -> None:
    forged = owner_write_token[:-4] + "abcd"
    for token in (forged, "sg_nothing", "nonsense", "sg_12345678_"):
        assert call(client, "get", "/customers", token).status_code == 401


def test_a_revoked_token_is_a_401(client: Client, owner_write_token: str) -> None:
    assert call(client, "get", "/customers", owner_write_token).status_code == 200
    do_revoke_token(token=ApiToken.objects.get())
    assert call(client, "get", "/customers", owner_write_token).status_code == 401


def test_a_read_token_may_not_write(client: Client) -> None:
    token = make_token("reader", Role.OWNER, "read")
    answer = call(client, "post", "/tickets", token, {"source": "psa", "records": [TICKET]})
    assert answer.status_code == 403
    assert "write" in answer.json()["detail"]
    assert not Ticket.objects.exists()


def test_an_account_managers_write_token_may_not_write(client: Client) -> None:
    token = make_token("am", Role.ACCOUNT_MANAGER, "write")
    answer = call(client, "post", "/tickets", token, {"source": "psa", "records": [TICKET]})
    assert answer.status_code == 403
    assert not Ticket.objects.exists()


def test_an_account_manager_sees_only_their_customers(client: Client) -> None:
    # given two customers, one of them the account manager's
    mine = CustomerFactory(name="Mine GmbH")
    other = CustomerFactory(name="Other AG")
    token = make_token("am", Role.ACCOUNT_MANAGER, "read", customer_ids=[mine.pk])
    # when they list customers, then only theirs is there
    listing = call(client, "get", "/customers", token).json()
    assert [item["name"] for item in listing["items"]] == ["Mine GmbH"]
    # and the other customer is a 404, as is one that does not exist
    assert call(client, "get", f"/customers/{other.pk}", token).status_code == 404
    assert call(client, "get", f"/customers/{other.pk + 999}", token).status_code == 404
    assert call(client, "get", f"/customers/{mine.pk}", token).status_code == 200
    # and other customers' findings and SLA rows are not theirs to see
    assert call(client, "get", f"/sla?customer={other.pk}", token).json()["items"] == []


def test_customers_carry_segment_figures_and_intervals(
    client: Client, analysed: SmallPortfolio, owner_write_token: str
) -> None:
    items = call(client, "get", "/customers", owner_write_token).json()["items"]
    busy = next(i for i in items if i["id"] == analysed.busy.pk)
    silent = next(i for i in items if i["id"] == analysed.silent.pk)
    csat = busy["last_12_months"]["csat"]
    assert (csat["successes"], csat["n"]) == (3, 5)
    assert csat["low"] < csat["share"] < csat["high"]
    assert csat["small_sample"] is True
    assert busy["last_12_months"]["tickets"] == 4
    # no answers: no data, never 0 %
    assert silent["last_12_months"]["csat"] == {
        "successes": 0,
        "n": 0,
        "share": None,
        "low": None,
        "high": None,
        "small_sample": False,
    }
    assert busy["segment"] is None or busy["segment"]["reasons"]


def test_one_customer_with_its_months(
    client: Client, analysed: SmallPortfolio, owner_write_token: str
) -> None:
    busy = analysed.busy.pk
    answer = call(client, "get", f"/customers/{busy}?from=2026-03&to=2026-03", owner_write_token)
    assert answer.status_code == 200
    months = answer.json()["months"]
    assert [m["month"] for m in months] == ["2026-03"]
    assert months[0]["sla_resolution"]["n"] == 3
    # a month that is no month, or from after to: 400 naming the parameter
    bad = call(client, "get", f"/customers/{busy}?from=2026-13", owner_write_token)
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "from"
    assert (
        call(
            client, "get", f"/customers/{busy}?from=2026-05&to=2026-03", owner_write_token
        ).status_code
        == 400
    )


def test_findings_and_sla_rows(
    client: Client, analysed: SmallPortfolio, owner_write_token: str
) -> None:
    findings = call(client, "get", "/findings", owner_write_token).json()["items"]
    for finding in findings:
        assert finding["sentence"]
        assert finding["status"] in ("open", "done", "dismissed")
    sla = call(client, "get", f"/sla?customer={analysed.busy.pk}", owner_write_token).json()[
        "items"
    ]
    assert len(sla) >= 3
    assert {row["resolution_state"] for row in sla} >= {"met", "breached"}
    march = call(client, "get", "/sla?from=2026-03&to=2026-03", owner_write_token).json()["items"]
    # the ticket of 31 March 23:30 UTC is April in Berlin
    assert len(march) == 3


def test_cursor_pages_cover_every_ticket_exactly_once(
    client: Client, owner_write_token: str
) -> None:
    # given 23 tickets with SLA verdicts
    customer = CustomerFactory()
    contract = ContractFactory(customer=customer)
    for day in range(1, 24):
        TicketFactory(
            customer=customer,
            contract=contract,
            created_at=dt.datetime(2026, 3, day, 9, tzinfo=dt.UTC),
        )
    analyze(now=NOW)
    # when they are read 5 at a time
    seen: list[int] = []
    cursor = ""
    for _ in range(10):
        page = call(client, "get", f"/sla?limit=5&cursor={cursor}", owner_write_token).json()
        seen += [row["ticket_id"] for row in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    # then every ticket came exactly once
    assert sorted(seen) == sorted(Ticket.objects.values_list("pk", flat=True))
    assert len(seen) == len(set(seen)) == 23


def test_customer_pages_cover_every_customer_exactly_once(
    client: Client, owner_write_token: str
) -> None:
    ids = {CustomerFactory().pk for _ in range(7)}
    seen: list[int] = []
    page = call(client, "get", "/customers?limit=3", owner_write_token).json()
    seen += [i["id"] for i in page["items"]]
    while page["next_cursor"]:
        page = call(
            client, "get", f"/customers?limit=3&cursor={page['next_cursor']}", owner_write_token
        ).json()
        seen += [i["id"] for i in page["items"]]
    assert sorted(seen) == sorted(ids)


def test_bad_paging_parameters_are_4xx(client: Client, owner_write_token: str) -> None:
    for query in (
        "cursor=%25%25",
        "cursor=djE6LTE",
        "limit=0",
        "limit=100000",
        "limit=x",
        "customer=-3",
    ):
        answer = call(client, "get", f"/sla?{query}", owner_write_token)
        assert answer.status_code in (400, 422), query
        assert answer.json()["detail"]
    for query in ("lang=fr", "cursor=abc", "limit=-1"):
        answer = call(client, "get", f"/customers?{query}", owner_write_token)
        assert answer.status_code in (400, 422), query
        assert answer.json()["detail"]


@override_settings(SOLIDGROUND_API_RATE_PER_MINUTE=3)
def test_too_many_requests_are_a_429_with_retry_after(
    client: Client, owner_write_token: str
) -> None:
    answers = [call(client, "get", "/customers", owner_write_token) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert 1 <= int(answers[-1]["Retry-After"]) <= 61
    # another token has its own window
    other = make_token("other", Role.MANAGER, "read")
    assert call(client, "get", "/customers", other).status_code == 200


def test_the_openapi_spec_and_the_docs_page_are_served(client: Client) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/customers", "/api/v1/tickets", "/api/v1/sla", "/api/v1/findings"} <= set(
        spec["paths"]
    )
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()
