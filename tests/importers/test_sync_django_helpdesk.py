"""django-helpdesk sync against a real django-helpdesk server (a live peer on loopback).

The session fixture installs the pinned django-helpdesk (``helpdesk_live/requirements.txt``,
with its own Django) into a virtual environment of its own, cached under
``<repo>/.cache/helpdesk-venv/<version, python, requirements hash>`` so that later runs skip the
install; writes the small Django project from ``helpdesk_live/`` to a temporary directory,
migrates a SQLite database, seeds queues, tickets and follow-ups with time spent, starts
``runserver`` on 127.0.0.1 and a free port, and stops it at the end.

Without PyPI the install cannot happen: under CI (``CI=true``) that fails the test with a
sentence saying so; elsewhere the test is skipped with the same sentence.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from django.core.management import CommandError, call_command

from solidground.customers.models import Contact, Customer
from solidground.importers.models import ImportRun
from solidground.importers.sources.apiclient import RetryPolicy
from solidground.importers.sources.django_helpdesk.client import HelpdeskClient
from solidground.importers.sources.django_helpdesk.sync import sync_django_helpdesk
from solidground.service.models import Ticket, TicketStatusChange, TimeEntry

pytestmark = [pytest.mark.live, pytest.mark.django_db]

# The peer under test; helpdesk_live/requirements.txt pins it and everything it pulls in.
DJANGO_HELPDESK_VERSION = "2.6.1"
PEER = Path(__file__).resolve().parent / "helpdesk_live"
REQUIREMENTS = PEER / "requirements.txt"
REPO = Path(__file__).resolve().parents[2]
VENV_CACHE = REPO / ".cache" / "helpdesk-venv"
PIP_TIMEOUT_SECONDS = 30  # per network request pip makes
INSTALL_TIMEOUT_SECONDS = 600  # the whole install
START_TIMEOUT_SECONDS = 60
USER, PASSWORD = "sync", "live-test-password-7"


def _unavailable(message: str) -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _venv_python() -> Path:
    """The helpdesk venv's python, installing it into the cache the first time."""
    pins = REQUIREMENTS.read_text(encoding="utf-8")
    assert f"django-helpdesk=={DJANGO_HELPDESK_VERSION}\n" in pins, "pin and version differ"
    digest = hashlib.sha256(pins.encode()).hexdigest()[:12]
    key = f"django-helpdesk-{DJANGO_HELPDESK_VERSION}-py{sys.version_info[0]}{sys.version_info[1]}"
    target = VENV_CACHE / f"{key}-{digest}"
    python = target / "bin" / "python"
    if (target / ".complete").exists() and python.exists():
        return python
    VENV_CACHE.mkdir(parents=True, exist_ok=True)
    # Build beside the cache entry and rename when complete: an interrupted install never
    # leaves a half-built venv where the next run would trust it.
    building = Path(tempfile.mkdtemp(prefix=f"{key}-building-", dir=VENV_CACHE))
    try:
        subprocess.run(
            [sys.executable, "-m", "venv", str(building)],
            check=True,
            capture_output=True,
            timeout=120,
        )
        install = subprocess.run(
            [
                str(building / "bin" / "python"),
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--no-input",
                "--quiet",
                "--timeout",
                str(PIP_TIMEOUT_SECONDS),
                "--retries",
                "2",
                "-r",
                str(REQUIREMENTS),
            ],
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        shutil.rmtree(building, ignore_errors=True)
        _unavailable(
            f"Installing django-helpdesk {DJANGO_HELPDESK_VERSION} from PyPI took more than "
            f"{INSTALL_TIMEOUT_SECONDS} s; is PyPI reachable from this machine?"
        )
        raise
    if install.returncode != 0:
        shutil.rmtree(building, ignore_errors=True)
        tail = " | ".join((install.stderr or install.stdout).strip().splitlines()[-3:])
        _unavailable(
            f"pip could not install django-helpdesk {DJANGO_HELPDESK_VERSION} from PyPI "
            f"(is PyPI reachable?): {tail}"
        )
    (building / ".complete").write_text(pins, encoding="utf-8")
    try:
        building.rename(target)
    except OSError:  # another run finished the same entry first: use that one
        shutil.rmtree(building, ignore_errors=True)
    return python


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class Peer:
    url: str
    user: str
    password: str

    def client(self, **kwargs: object) -> HelpdeskClient:
        return HelpdeskClient(self.url, user=self.user, password=self.password, **kwargs)  # type: ignore[arg-type]


def _run(python: Path, args: list[str], workdir: Path, env: dict[str, str], what: str) -> None:
    done = subprocess.run(
        [str(python), *args],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"{what} failed in the helpdesk venv:\n{done.stderr[-2000:]}", pytrace=False)


@pytest.fixture(scope="session")
def helpdesk() -> Iterator[Peer]:
    started = time.monotonic()
    python = _venv_python()
    installed = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="helpdesk-peer-"))
    shutil.copytree(PEER / "hdsite", workdir / "hdsite")
    for name in ("manage.py", "seed.py"):
        shutil.copy(PEER / name, workdir / name)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "VIRTUAL_ENV") and not key.startswith("SOLIDGROUND_")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="hdsite.settings",
        HELPDESK_LIVE_DB=str(workdir / "helpdesk.sqlite3"),
        HELPDESK_LIVE_USER=USER,
        HELPDESK_LIVE_PASSWORD=PASSWORD,
        PYTHONDONTWRITEBYTECODE="1",
    )
    # The migrated and seeded database is cached beside the venv too (keyed by the project
    # and seed files): django-helpdesk's hundred-odd migrations are most of a warm start.
    project = f"{USER}:{PASSWORD}".encode() + b"".join(
        path.read_bytes() for path in sorted(PEER.rglob("*.py")) if "__pycache__" not in path.parts
    )
    seeded = python.parent.parent / f"seeded-{hashlib.sha256(project).hexdigest()[:12]}.sqlite3"
    if seeded.exists():
        shutil.copy(seeded, env["HELPDESK_LIVE_DB"])
    else:
        _run(python, ["manage.py", "migrate", "--noinput", "-v", "0"], workdir, env, "migrate")
        _run(python, ["seed.py"], workdir, env, "seeding")
        partial = seeded.with_suffix(f".{os.getpid()}.partial")
        shutil.copy(env["HELPDESK_LIVE_DB"], partial)
        partial.replace(seeded)
    port = _free_port()
    log = (workdir / "server.log").open("w", encoding="utf-8")
    server = subprocess.Popen(
        [str(python), "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/helpdesk"
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            if server.poll() is not None:
                pytest.fail(
                    "The django-helpdesk server stopped while starting:\n"
                    + (workdir / "server.log").read_text(encoding="utf-8")[-2000:],
                    pytrace=False,
                )
            try:
                httpx.get(f"{url}/api/tickets/", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"django-helpdesk did not answer on {url} within "
                        f"{START_TIMEOUT_SECONDS} s.",
                        pytrace=False,
                    )
                time.sleep(0.2)
        ready = time.monotonic()
        print(  # shown with -s: how long the cold or warm peer took
            f"\ndjango-helpdesk peer: venv {installed - started:.1f} s, "
            f"migrate+seed+start {ready - installed:.1f} s"
        )
        yield Peer(url=url, user=USER, password=PASSWORD)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()
        shutil.rmtree(workdir, ignore_errors=True)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# The tests below run in file order against one seeded server; the last one changes it.


def test_sync_brings_tickets_queues_time_and_creation_times(helpdesk: Peer) -> None:
    with helpdesk.client(page_size=2) as client:  # 4 tickets: two pages and the paging path
        outcome = sync_django_helpdesk(client, queue_names={1: "Acme GmbH"})

    run = outcome.run
    assert run.status == ImportRun.Status.FINISHED
    assert run.kind == ImportRun.Kind.SYNC
    assert run.rejected == 0
    assert outcome.skipped == []
    # Queues are customers: named by configuration, else by their id.
    assert sorted(Customer.objects.values_list("name", flat=True)) == [
        "Acme GmbH",
        "django-helpdesk queue 2",
    ]
    assert Ticket.objects.filter(source="django-helpdesk").count() == 4
    assert Contact.objects.filter(email="it@acme.example").count() == 1

    printer = Ticket.objects.get(source="django-helpdesk", subject="Printer offline")
    assert printer.customer.name == "Acme GmbH"
    # /api/tickets/ has no creation time: the earliest follow-up ("Ticket Opened") gives it.
    assert printer.created_at == _at("2025-03-03 08:15:00")
    assert printer.first_response_at == _at("2025-03-03 08:40:00")
    assert printer.status == "closed"
    assert printer.resolved_at == _at("2025-03-03 10:00:00")
    assert printer.closed_at == _at("2025-03-05 09:00:00")
    assert printer.priority == 3
    assert printer.contact is not None
    assert printer.contact.email == "it@acme.example"

    vpn = Ticket.objects.get(subject="VPN broken for home office")
    assert (vpn.status, vpn.priority, vpn.reopen_count) == ("open", 1, 1)
    assert vpn.resolved_at is None
    laptop = Ticket.objects.get(subject="New laptop for Max")
    assert (laptop.status, laptop.priority) == ("waiting_customer", 4)
    assert laptop.customer.name == "django-helpdesk queue 2"

    # Follow-ups with time spent are the time entries.
    minutes = {
        ticket.subject: sorted(ticket.time_entries.values_list("minutes", flat=True))
        for ticket in Ticket.objects.filter(source="django-helpdesk")
    }
    assert minutes == {
        "Printer offline": [30, 45],
        "VPN broken for home office": [20, 90],
        "New laptop for Max": [75],
        "Shared mailbox for sales": [25],
    }
    entry = printer.time_entries.get(minutes=45)
    assert entry.started_at == _at("2025-03-03 10:00:00")
    assert entry.billing == "included"
    assert entry.technician == "helpdesk user #2"
    assert entry.customer == printer.customer
    assert list(vpn.status_changes.values_list("status", flat=True)) == [
        "new",
        "resolved",
        "open",
    ]


def test_a_second_sync_changes_nothing(helpdesk: Peer) -> None:
    with helpdesk.client() as client:
        sync_django_helpdesk(client, queue_names={1: "Acme GmbH"})
        counts = (
            Customer.objects.count(),
            Ticket.objects.count(),
            TimeEntry.objects.count(),
            TicketStatusChange.objects.count(),
        )
        run = sync_django_helpdesk(client, queue_names={1: "Acme GmbH"}).run

    assert (run.created, run.updated, run.rejected) == (0, 0, 0)
    assert {kind: c["unchanged"] for kind, c in run.counts_by_kind.items()} == {
        "contacts": 3,
        "tickets": 4,
        "status_changes": 9,
        "time_entries": 6,
    }
    assert (
        Customer.objects.count(),
        Ticket.objects.count(),
        TimeEntry.objects.count(),
        TicketStatusChange.objects.count(),
    ) == counts


def test_sync_command_reports_and_fails_clearly_on_a_wrong_password(
    helpdesk: Peer, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command(
        "sync",
        "django-helpdesk",
        "--url",
        helpdesk.url,
        "--user",
        helpdesk.user,
        "--password",
        helpdesk.password,
        "--queue-name",
        "1=Acme GmbH",
    )
    assert "Synced django-helpdesk" in capsys.readouterr().out
    assert Ticket.objects.filter(source="django-helpdesk").count() == 4

    with pytest.raises(CommandError) as raised:
        call_command(
            "sync",
            "django-helpdesk",
            "--url",
            helpdesk.url,
            "--user",
            helpdesk.user,
            "--password",
            "wrong",
        )
    assert str(raised.value) == (
        f"django-helpdesk at {helpdesk.url}/api/tickets/?page_size=100 answered 401 "
        "Unauthorized; check the user and password (SOLIDGROUND_DJANGO_HELPDESK_USER and "
        "_PASSWORD, or _TOKEN) and that the user is staff."
    )


def test_a_change_in_the_helpdesk_updates_the_ticket(helpdesk: Peer) -> None:
    with helpdesk.client() as client:
        sync_django_helpdesk(client, queue_names={1: "Acme GmbH"})
    laptop = Ticket.objects.get(subject="New laptop for Max")
    # An agent resolves the laptop ticket through django-helpdesk's own API, logging 40 minutes.
    posted = httpx.post(
        f"{helpdesk.url}/api/followups/",
        auth=(helpdesk.user, helpdesk.password),
        json={
            "ticket": int(laptop.external_id or 0),
            "title": "Laptop delivered and set up",
            "comment": "Delivered, set up, old one wiped.",
            "public": True,
            "new_status": 3,
            "time_spent": "00:40:00",
        },
        timeout=30,
    )
    assert posted.status_code == 201, posted.text

    with helpdesk.client() as client:
        run = sync_django_helpdesk(client, queue_names={1: "Acme GmbH"}).run

    assert run.counts_by_kind["tickets"]["updated"] == 1
    assert run.counts_by_kind["tickets"]["created"] == 0
    assert run.counts_by_kind["time_entries"]["created"] == 1
    laptop.refresh_from_db()
    assert laptop.status == "resolved"
    assert laptop.resolved_at is not None
    assert sorted(laptop.time_entries.values_list("minutes", flat=True)) == [40, 75]
    assert Ticket.objects.filter(source="django-helpdesk").count() == 4


def test_an_unreachable_helpdesk_ends_in_one_sentence_without_traceback(tmp_path: Path) -> None:
    port = _free_port()  # nothing listens there
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "solidground",
            "sync",
            "django-helpdesk",
            "--url",
            f"http://127.0.0.1:{port}/helpdesk",
            "--user",
            "x",
            "--password",
            "y",
            "--attempts",
            "1",
        ],
        env={**os.environ, "SOLIDGROUND_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert f"Cannot reach django-helpdesk at http://127.0.0.1:{port}/helpdesk/api/" in done.stderr


def test_the_client_follows_the_servers_next_links(helpdesk: Peer) -> None:
    with helpdesk.client(page_size=3, policy=RetryPolicy(attempts=1)) as client:
        pages = list(client.ticket_pages())
    assert [len(page) for page in pages] == [3, 1]
