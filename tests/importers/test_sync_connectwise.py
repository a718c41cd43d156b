"""ConnectWise Manage sync against recorded API responses via httpx.MockTransport (no network).

The fake server answers like ConnectWise: ``conditions`` (``id>N``, ``lastUpdated>[...]``)
filter, ``orderBy=id asc`` sorts, ``page``/``pageSize`` page and a ``Link`` header announces the
next page. Payloads come from ``src/solidground/importers/sources/connectwise/fixtures``.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.core.management import call_command

from solidground.contracts.models import Contract
from solidground.customers.models import Contact, Customer
from solidground.importers.models import ImportRun, SyncCursor
from solidground.importers.sources.apiclient import RetryPolicy, SourceError
from solidground.importers.sources.connectwise.client import ConnectWiseClient
from solidground.importers.sources.connectwise.sync import sync_connectwise
from solidground.service.models import Ticket, TicketStatusChange, TimeEntry
from tests.importers.sync_support import Sleeps, instant

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[2] / (
    "src/solidground/importers/sources/connectwise/fixtures"
)
URL = "https://eu.myconnectwise.net"
API = "/v4_6_release/apis/3.0/"
CREDENTIALS = {
    "company_id": "itwolf",
    "public_key": "Pk9fJ2aQ",
    "private_key": "sK3cr3tPr1v4t3",
    "client_id": "0d4c3b2a-1f1e-4d5c-8b7a-6f5e4d3c2b1a",
}
PATHS = {
    "company/companies": "companies.json",
    "finance/agreements": "agreements.json",
    "service/tickets": "tickets.json",
    "time/entries": "time_entries.json",
}


class FakeConnectWise:
    def __init__(self) -> None:
        self.files = {name: self._load(FIXTURES / name) for name in PATHS.values()}
        self.requests: list[httpx.Request] = []
        self.failures: dict[str, list[httpx.Response]] = {}

    @staticmethod
    def _load(path: Path) -> Any:
        return json.loads(path.read_text(encoding="utf-8"))

    def change(self) -> None:
        for path in (FIXTURES / "changed").glob("*.json"):
            self.files[path.name] = self._load(path)

    def fail(self, path: str, *responses: httpx.Response) -> None:
        self.failures.setdefault(path, []).extend(responses)

    def conditions(self, path: str) -> list[str]:
        return [
            r.url.params["conditions"]
            for r in self.requests
            if r.url.path == API + path and "conditions" in r.url.params
        ]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        user = f"{CREDENTIALS['company_id']}+{CREDENTIALS['public_key']}"
        basic = base64.b64encode(f"{user}:{CREDENTIALS['private_key']}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {basic}":
            return httpx.Response(
                401, json={"code": "Unauthorized", "message": "Authentication failed."}
            )
        if request.headers.get("clientId") != CREDENTIALS["client_id"]:
            return httpx.Response(
                403, json={"code": "Forbidden", "message": "clientId is required."}
            )
        path = request.url.path.removeprefix(API)
        if self.failures.get(path):
            return self.failures[path].pop(0)
        if path not in PATHS:
            return httpx.Response(404, json={"code": "NotFound", "message": "Not found"})
        items = list(self.files[PATHS[path]])
        conditions = request.url.params.get("conditions", "")
        if match := re.search(r"id>(\d+)", conditions):
            items = [item for item in items if item["id"] > int(match.group(1))]
        if match := re.search(r"lastUpdated>\[([^\]]+)\]", conditions):
            since = instant(match.group(1))
            items = [item for item in items if instant(item["_info"]["lastUpdated"]) > since]
        assert request.url.params["orderBy"] == "id asc"
        items.sort(key=lambda item: item["id"])
        page, size = int(request.url.params["page"]), int(request.url.params["pageSize"])
        body = items[(page - 1) * size : page * size]
        headers = {}
        if page * size < len(items):
            following = request.url.copy_set_param("page", str(page + 1))
            headers["Link"] = f'<{following}>; rel="next"'
        return httpx.Response(200, json=body, headers=headers)


@pytest.fixture
def server() -> FakeConnectWise:
    return FakeConnectWise()


@pytest.fixture
def client(server: FakeConnectWise, sleeps: Sleeps) -> ConnectWiseClient:
    return ConnectWiseClient(
        URL,
        page_size=2,
        transport=httpx.MockTransport(server),
        policy=RetryPolicy(attempts=3, sleep=sleeps),
        **CREDENTIALS,
    )


def test_first_sync_imports_companies_agreements_tickets_and_time(
    server: FakeConnectWise, client: ConnectWiseClient
) -> None:
    outcome = sync_connectwise(client)

    run = outcome.run
    assert run.status == ImportRun.Status.FINISHED
    assert run.rejected == 0
    # Clients become customers; the owner and the vendor do not; the deleted client comes in
    # only because its (cancelled) agreement names it.
    assert sorted(Customer.objects.values_list("name", flat=True)) == [
        "Alt & Kunde KG",
        "Kanzlei Berger & Partner",
        "Metallbau Huber GmbH",
    ]
    berger = Customer.objects.get(name="Kanzlei Berger & Partner")
    assert berger.customer_since == date(2021, 4, 1)

    managed = Contract.objects.get(source="connectwise", external_id="40")
    assert (managed.kind, managed.status, managed.customer) == ("managed", "active", berger)
    assert managed.monthly_fee == Decimal("1440.00")
    assert managed.included_hours_per_month == Decimal("6.00")
    assert managed.start_date == date(2023, 1, 1)
    assert managed.end_date is None
    block = Contract.objects.get(source="connectwise", external_id="41")
    assert (block.kind, block.monthly_fee) == ("block_hours", Decimal("300.00"))
    assert block.included_hours_per_month == Decimal("3.33")
    assert Contract.objects.get(external_id="42").status == "cancelled"

    printer = Ticket.objects.get(source="connectwise", external_id="5101")
    assert printer.reference == "#5101"
    assert printer.contract == managed
    assert printer.contact is not None
    assert printer.contact.email == "s.berger@kanzlei-berger.example"
    assert (printer.status, printer.priority, printer.channel) == ("closed", 3, "email")
    assert printer.category == "Incident / Printer"
    assert printer.created_at == datetime(2024, 3, 4, 8, 12, tzinfo=UTC)
    assert printer.first_response_at == datetime(2024, 3, 4, 8, 30, 12, tzinfo=UTC)
    assert printer.resolved_at == printer.closed_at == datetime(2024, 3, 4, 11, 2, 45, tzinfo=UTC)
    assert printer.billable is True
    outage = Ticket.objects.get(external_id="5102")
    assert (outage.status, outage.priority, outage.channel) == ("waiting_third_party", 1, "phone")
    request = Ticket.objects.get(external_id="5103")
    assert (request.status, request.priority, request.channel) == ("new", 4, "portal")
    assert request.contract is None  # agreement 99 is not in ConnectWise's agreement list

    entries = {e.external_id: e for e in TimeEntry.objects.filter(source="connectwise")}
    assert {k: (e.minutes, e.billing, e.ticket_id is not None) for k, e in entries.items()} == {
        "90001": (15, "included", True),
        "90002": (30, "goodwill", True),
        "90003": (120, "billed", True),
        "90005": (90, "billed", False),  # a project ticket: the customer's, not a service ticket
    }
    assert entries["90003"].billed_amount == Decimal("240.00")
    assert entries["90003"].technician == "Tom Krause"
    assert any("charge codes" in note for note in outcome.skipped)
    assert Contact.objects.filter(source="connectwise").count() == 3

    # Keyset paging: each request asks for ids after the last one seen.
    assert server.conditions("service/tickets") == ["id>0", "id>5102"]
    assert SyncCursor.objects.get(source="connectwise", kind="tickets").cursor == (
        "2024-03-05T15:00:00Z"
    )


def test_second_sync_asks_only_for_changes_and_changes_nothing(
    server: FakeConnectWise, client: ConnectWiseClient
) -> None:
    sync_connectwise(client)
    counts = (Ticket.objects.count(), TimeEntry.objects.count(), Contract.objects.count())
    server.requests.clear()

    run = sync_connectwise(client).run

    assert (run.created, run.updated, run.unchanged, run.rejected) == (0, 0, 0, 0)
    assert (Ticket.objects.count(), TimeEntry.objects.count(), Contract.objects.count()) == counts
    assert server.conditions("service/tickets") == ["id>0 and lastUpdated>[2024-03-05T15:00:00Z]"]
    assert server.conditions("time/entries") == ["id>0 and lastUpdated>[2024-03-05T15:30:00Z]"]


def test_a_changed_ticket_and_new_time_update_in_place(
    server: FakeConnectWise, client: ConnectWiseClient
) -> None:
    sync_connectwise(client)
    server.change()

    run = sync_connectwise(client).run

    assert run.counts_by_kind["tickets"] == {
        "created": 0,
        "updated": 1,
        "unchanged": 0,
        "rejected": 0,
    }
    assert run.counts_by_kind["time_entries"]["created"] == 1
    outage = Ticket.objects.get(source="connectwise", external_id="5102")
    assert outage.status == "resolved"
    assert outage.resolved_at == datetime(2024, 3, 6, 9, 0, tzinfo=UTC)
    assert sorted(outage.time_entries.values_list("minutes", flat=True)) == [45, 120]
    assert outage.status_changes.filter(status="resolved").count() == 1
    assert Ticket.objects.filter(source="connectwise").count() == 3
    assert TicketStatusChange.objects.filter(ticket=outage).count() == 2


def test_rate_limit_and_server_errors_are_retried(
    server: FakeConnectWise, client: ConnectWiseClient, sleeps: Sleeps
) -> None:
    server.fail(
        "service/tickets",
        httpx.Response(
            429,
            headers={"Retry-After": "3"},
            json={"code": "TooManyRequests", "message": "Rate limit exceeded"},
        ),
        httpx.Response(502, text="<html>Bad Gateway</html>"),
    )

    run = sync_connectwise(client).run

    assert run.status == ImportRun.Status.FINISHED
    assert sleeps[0] == 3.0
    assert len(sleeps) == 2
    assert Ticket.objects.filter(source="connectwise").count() == 3


def test_wrong_keys_end_in_one_sentence(server: FakeConnectWise, sleeps: Sleeps) -> None:
    credentials = {**CREDENTIALS, "private_key": "wrong"}
    client = ConnectWiseClient(
        URL, transport=httpx.MockTransport(server), policy=RetryPolicy(sleep=sleeps), **credentials
    )

    with pytest.raises(SourceError) as raised:
        sync_connectwise(client)

    message = str(raised.value)
    assert message.startswith(
        "ConnectWise at https://eu.myconnectwise.net/v4_6_release/apis/3.0/company/companies?"
    )
    assert "answered 401 Unauthorized; check the company id" in message
    assert sleeps == []  # a refused login is not retried
    assert not Customer.objects.exists()


def test_sync_command_with_environment_settings(
    monkeypatch: pytest.MonkeyPatch, server: FakeConnectWise, capsys: pytest.CaptureFixture[str]
) -> None:
    from solidground.importers.management.commands import sync as command

    monkeypatch.setattr(command, "TRANSPORT", httpx.MockTransport(server))
    monkeypatch.setenv("SOLIDGROUND_CONNECTWISE_URL", URL)
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(f"SOLIDGROUND_CONNECTWISE_{name.upper()}", value)

    call_command("sync", "connectwise")
    call_command("sync", "connectwise")

    out = capsys.readouterr().out
    assert "Synced connectwise" in out
    assert "  ! 1 ConnectWise time entries charged to charge codes" in out
    assert out.rstrip().splitlines()[-1].startswith("Synced connectwise")  # nothing new
    last = ImportRun.objects.filter(source="connectwise").order_by("-started_at").first()
    assert last is not None
    assert (last.created, last.updated) == (0, 0)
