"""Zammad sync against recorded API responses served by an httpx.MockTransport (no network).

The fake server below answers like Zammad does: plain lists paged by ``page``/``per_page``, the
search endpoint filtered by ``updated_at:>=`` and sorted by ``updated_at``, ticket history as
``{"history": [...], "assets": {...}}``. Every payload comes from the recorded fixtures in
``src/solidground/importers/sources/zammad/fixtures``.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.core.management import CommandError, call_command

from solidground.customers.models import Contact, Customer
from solidground.importers.models import ImportRun, SyncCursor
from solidground.importers.sources.apiclient import RetryPolicy, SourceError
from solidground.importers.sources.zammad.client import ZammadClient
from solidground.importers.sources.zammad.sync import sync_zammad
from solidground.service.models import Ticket, TicketStatusChange, TimeEntry
from tests.importers.sync_support import Sleeps, instant

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[2] / (
    "src/solidground/importers/sources/zammad/fixtures"
)
URL = "https://zammad.example.com"
TOKEN = "secret-token"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


class FakeZammad:
    """Serves the recorded payloads; ``fail`` queues error answers for a path."""

    def __init__(self) -> None:
        self.files: dict[str, Any] = {
            path.relative_to(FIXTURES).as_posix(): json.loads(path.read_text(encoding="utf-8"))
            for path in FIXTURES.glob("*.json")
        }
        self.requests: list[httpx.Request] = []
        self.failures: dict[str, list[httpx.Response]] = {}

    def change(self) -> None:
        """The next morning: ticket 102 was reopened by the customer, then closed."""
        for path in (FIXTURES / "changed").glob("*.json"):
            self.files[path.name] = json.loads(path.read_text(encoding="utf-8"))

    def fail(self, path: str, *responses: httpx.Response) -> None:
        self.failures.setdefault(path, []).extend(responses)

    def paths(self) -> list[str]:
        return [request.url.path.removeprefix("/api/v1/") for request in self.requests]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.headers.get("Authorization") != f"Token token={TOKEN}":
            return httpx.Response(401, json={"error": "Invalid token!"})
        path = request.url.path.removeprefix("/api/v1/")
        if self.failures.get(path):
            return self.failures[path].pop(0)
        params = request.url.params
        lists = {
            "organizations": "organizations.json",
            "users": "users.json",
            "ticket_states": "ticket_states.json",
            "ticket_priorities": "ticket_priorities.json",
            "tickets": "tickets.json",
        }
        if path in lists:
            return httpx.Response(200, json=self._page(self.files[lists[path]], params))
        if path == "tickets/search":
            match = re.fullmatch(r"updated_at:>=(\S+)", params["query"])
            assert match, params["query"]
            since = instant(match.group(1))
            found = [t for t in self.files["tickets.json"] if instant(t["updated_at"]) >= since]
            found.sort(key=lambda t: (instant(t["updated_at"]), t["id"]))
            return httpx.Response(200, json=self._page(found, params))
        if path == "time_accounting/types":
            return httpx.Response(200, json=self.files["time_accounting_types.json"])
        if match := re.fullmatch(r"ticket_history/(\d+)", path):
            return httpx.Response(200, json=self.files[f"ticket_history_{match.group(1)}.json"])
        if match := re.fullmatch(r"tickets/(\d+)/time_accountings", path):
            return httpx.Response(200, json=self.files[f"time_accountings_{match.group(1)}.json"])
        return httpx.Response(404, json={"error": "No route matches"})

    @staticmethod
    def _page(items: list[Any], params: httpx.QueryParams) -> list[Any]:
        page, per_page = int(params.get("page", 1)), min(int(params.get("per_page", 100)), 100)
        return items[(page - 1) * per_page : page * per_page]


@pytest.fixture
def server() -> FakeZammad:
    return FakeZammad()


@pytest.fixture
def client(server: FakeZammad, sleeps: Sleeps) -> ZammadClient:
    return ZammadClient(
        URL,
        TOKEN,
        per_page=2,
        transport=httpx.MockTransport(server),
        policy=RetryPolicy(attempts=3, sleep=sleeps),
    )


def test_first_sync_imports_customers_tickets_pauses_and_time(
    server: FakeZammad, client: ZammadClient
) -> None:
    outcome = sync_zammad(client)

    run = outcome.run
    assert run.kind == ImportRun.Kind.SYNC
    assert run.status == ImportRun.Status.FINISHED
    assert run.source == "zammad"
    assert run.rejected == 0
    assert run.counts_by_kind["tickets"]["created"] == 3
    assert sorted(Customer.objects.values_list("name", flat=True)) == [
        "Kanzlei Berger & Partner",
        "Metallbau Huber GmbH",
        "Zammad Foundation",
    ]
    assert sorted(Contact.objects.values_list("name", flat=True)) == [
        "Empfang",
        "Josef Huber",
        "Sabine Berger",
    ]
    # The ticket from a sender without organization is skipped with a reason, not guessed.
    assert Ticket.objects.count() == 3
    assert any("#31003" in note for note in outcome.skipped)

    printer = Ticket.objects.get(source="zammad", external_id="101")
    assert printer.customer.name == "Kanzlei Berger & Partner"
    assert printer.contact is not None
    assert printer.contact.name == "Sabine Berger"
    assert printer.reference == "31001"
    assert printer.status == "closed"
    assert printer.priority == 3
    assert printer.channel == "email"
    assert printer.created_at == datetime(2024, 3, 4, 8, 12, tzinfo=UTC)
    assert printer.first_response_at == datetime(2024, 3, 4, 8, 30, 12, tzinfo=UTC)
    assert printer.resolved_at == printer.closed_at == datetime(2024, 3, 4, 11, 2, 45, tzinfo=UTC)
    assert printer.reopen_count == 0
    # The pause ("pending reminder") is in the status history the SLA engine reads.
    assert list(printer.status_changes.values_list("status", flat=True)) == [
        "new",
        "open",
        "waiting_customer",
        "open",
        "closed",
    ]
    assert printer.status_changes.get(status="waiting_customer").changed_at == datetime(
        2024, 3, 4, 9, 0, tzinfo=UTC
    )
    entries = {e.external_id: e for e in TimeEntry.objects.filter(source="zammad")}
    assert {k: (e.minutes, e.billing) for k, e in entries.items()} == {
        "901": (15, "included"),
        "902": (30, "goodwill"),
        "903": (20, "billed"),
    }
    assert entries["901"].technician == "Tom Krause"
    assert entries["901"].customer == printer.customer

    vpn = Ticket.objects.get(source="zammad", external_id="104")
    assert (vpn.status, vpn.priority, vpn.channel) == ("new", 4, "portal")
    workplace = Ticket.objects.get(source="zammad", external_id="102")
    assert (workplace.status, workplace.priority) == ("waiting_customer", 2)
    assert workplace.category == "Service Request"

    # Paging: two tickets a page, so pages 1, 2 and an empty 3 were asked for.
    pages = [r.url.params["page"] for r in server.requests if r.url.path == "/api/v1/tickets"]
    assert pages == ["1", "2", "3"]
    assert SyncCursor.objects.get(source="zammad", kind="tickets").cursor == (
        "2024-03-05T15:00:00Z"
    )


def test_second_sync_asks_only_for_changes_and_changes_nothing(
    server: FakeZammad, client: ZammadClient
) -> None:
    sync_zammad(client)
    counts = (Ticket.objects.count(), TimeEntry.objects.count(), TicketStatusChange.objects.count())
    server.requests.clear()

    run = sync_zammad(client).run

    assert (run.created, run.updated) == (0, 0)
    assert run.unchanged > 0
    assert (
        Ticket.objects.count(),
        TimeEntry.objects.count(),
        TicketStatusChange.objects.count(),
    ) == counts
    searches = [r for r in server.requests if r.url.path == "/api/v1/tickets/search"]
    assert searches
    assert "tickets" not in server.paths()
    assert searches[0].url.params["query"] == "updated_at:>=2024-03-05T15:00:00Z"
    # Only the boundary ticket (updated exactly at the cursor) came back, so only its history
    # and time were read again.
    assert [p for p in server.paths() if p.startswith("ticket_history/")] == ["ticket_history/104"]
    assert ImportRun.objects.filter(source="zammad").count() == 2


def test_a_changed_ticket_is_updated_in_place(server: FakeZammad, client: ZammadClient) -> None:
    sync_zammad(client)
    server.change()

    run = sync_zammad(client).run

    assert run.counts_by_kind["tickets"] == {
        "created": 0,
        "updated": 1,
        "unchanged": 1,
        "rejected": 0,
    }
    workplace = Ticket.objects.get(source="zammad", external_id="102")
    assert workplace.status == "closed"
    assert workplace.resolved_at == datetime(2024, 3, 6, 9, 0, tzinfo=UTC)
    assert workplace.reopen_count == 0
    assert Ticket.objects.filter(source="zammad").count() == 3
    assert workplace.time_entries.get(external_id="904").minutes == 45
    assert list(workplace.status_changes.values_list("status", flat=True)) == [
        "new",
        "open",
        "waiting_customer",
        "open",
        "closed",
    ]
    assert SyncCursor.objects.get(source="zammad", kind="tickets").cursor == (
        "2024-03-06T09:00:05.250Z"
    )


def test_rate_limit_waits_as_told_then_succeeds(
    server: FakeZammad, client: ZammadClient, sleeps: Sleeps
) -> None:
    server.fail(
        "organizations",
        httpx.Response(429, headers={"Retry-After": "7"}, json={"error": "Too many requests"}),
    )

    run = sync_zammad(client).run

    assert run.status == ImportRun.Status.FINISHED
    assert sleeps == [7.0]
    assert server.paths()[:2] == ["organizations", "organizations"]


def test_server_error_is_retried_with_backoff(
    server: FakeZammad, client: ZammadClient, sleeps: Sleeps
) -> None:
    server.fail("ticket_history/101", httpx.Response(500, text="Internal Server Error"))

    run = sync_zammad(client).run

    assert run.status == ImportRun.Status.FINISHED
    assert len(sleeps) == 1
    assert 0 < sleeps[0] <= 60
    assert Ticket.objects.get(external_id="101").status_changes.count() == 5


def test_an_outage_ends_in_one_sentence_and_writes_nothing(
    server: FakeZammad, client: ZammadClient
) -> None:
    server.fail("users", *[httpx.Response(503) for _ in range(3)])

    with pytest.raises(SourceError) as raised:
        sync_zammad(client)

    assert str(raised.value) == (
        "Zammad at https://zammad.example.com/api/v1/users?expand=true&page=1&per_page=2 "
        "answered 503 Service Unavailable 3 times in a row; try again later."
    )
    assert not Ticket.objects.exists()
    assert not SyncCursor.objects.exists()


def test_sync_command_names_url_and_status_on_a_bad_token(
    monkeypatch: pytest.MonkeyPatch, server: FakeZammad
) -> None:
    from solidground.importers.management.commands import sync as command

    monkeypatch.setattr(command, "TRANSPORT", httpx.MockTransport(server))
    with pytest.raises(CommandError) as raised:
        call_command("sync", "zammad", "--url", URL, "--token", "wrong")
    message = str(raised.value)
    assert message.startswith("Zammad at https://zammad.example.com/api/v1/organizations")
    assert "401 Unauthorized" in message
    assert "SOLIDGROUND_ZAMMAD_TOKEN" in message


def test_sync_command_reads_settings_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, server: FakeZammad, tmp_path: Path
) -> None:
    from solidground.importers.management.commands import sync as command

    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n", encoding="utf-8")
    monkeypatch.setenv("SOLIDGROUND_ZAMMAD_URL", URL)
    monkeypatch.setenv("SOLIDGROUND_ZAMMAD_TOKEN_FILE", str(token_file))
    monkeypatch.setattr(command, "TRANSPORT", httpx.MockTransport(server))

    call_command("sync", "zammad")
    call_command("sync", "zammad")

    runs = list(ImportRun.objects.filter(source="zammad").order_by("started_at"))
    assert [(r.created > 0, r.created, r.updated) for r in runs][1] == (False, 0, 0)
    assert Ticket.objects.filter(source="zammad").count() == 3


def test_sync_command_without_a_url_says_which_setting_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SOLIDGROUND_ZAMMAD_URL", raising=False)
    with pytest.raises(CommandError, match="SOLIDGROUND_ZAMMAD_URL"):
        call_command("sync", "zammad", "--token", TOKEN)
