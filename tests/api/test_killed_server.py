"""A write interrupted by a killed server leaves nothing half-written (issue 13).

The production server (``solidground serve``) runs in its own process on a store of its own
(a throw-away SQLite data dir, or a throw-away PostgreSQL database in the PostgreSQL run). A
large batch is posted, the server is killed with SIGKILL while the batch's import run says
"running" (the write has begun), and the store is read directly: none of the batch's tickets
or status changes may be there. A restarted server marks the run failed, and the same batch
sent again is stored whole.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.django_db  # so that the PostgreSQL run runs it too

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
SOLIDGROUND = str(Path(sys.executable).parent / "solidground")
TICKETS = 1_000
CHANGES_PER_TICKET = 8
ATTEMPTS = 3


@dataclass
class Store:
    env: dict[str, str]
    postgres_url: str | None
    data_dir: Path

    def scalar(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        if self.postgres_url:
            import psycopg

            with psycopg.connect(self.postgres_url) as connection:
                row = connection.execute(sql, params).fetchone()
        else:
            connection = sqlite3.connect(self.data_dir / "solidground.sqlite3", timeout=30)
            try:
                row = connection.execute(sql.replace("%s", "?"), params).fetchone()
            finally:
                connection.close()
        return row[0] if row else None


@contextmanager
def throwaway_store() -> Iterator[Store]:
    data_dir = Path(tempfile.mkdtemp(prefix="solidground-killed-"))
    env = {
        **os.environ,
        "SOLIDGROUND_DATA_DIR": str(data_dir),
        "SOLIDGROUND_API_RATE_PER_MINUTE": "0",
        # The product's settings, not the test run's (pytest-django set tests.settings).
        "DJANGO_SETTINGS_MODULE": "solidground.config.settings",
    }
    postgres_url = None
    admin_url = os.environ.get("SOLIDGROUND_DATABASE_URL", "")
    name = f"solidground_killed_{os.getpid()}"
    if admin_url.startswith("postgres"):
        import psycopg

        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')
        postgres_url = admin_url.rsplit("/", 1)[0] + f"/{name}"
        env["SOLIDGROUND_DATABASE_URL"] = postgres_url
    else:
        env.pop("SOLIDGROUND_DATABASE_URL", None)
    try:
        subprocess.run([SOLIDGROUND, "migrate", "--no-input", "-v", "0"], env=env, check=True)
        yield Store(env=env, postgres_url=postgres_url, data_dir=data_dir)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
        if postgres_url:
            import psycopg

            with psycopg.connect(admin_url, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def write_token(store: Store) -> str:
    script = (
        "import django; django.setup()\n"
        "from solidground.accounts.actions import do_create_user\n"
        "from solidground.accounts.models import Role\n"
        "from solidground.api.tokens import do_create_token\n"
        "owner = do_create_user(username='owner', password='killed-server-pw-1', "
        "role=Role.OWNER)\n"
        "print(do_create_token(user=owner, name='t', scope='write').plain)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=store.env, check=True, capture_output=True, text=True
    )
    return done.stdout.strip().splitlines()[-1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def server(store: Store, *options: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    log = (store.data_dir / f"server-{port}.log").open("wb")
    process = subprocess.Popen(
        [SOLIDGROUND, "serve", "--port", str(port), "--no-migrate", *options],
        env=store.env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (store.data_dir / f"server-{port}.log").read_text()
            try:
                httpx.get(f"{base}/api/v1/openapi.json", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the server did not start within 60 s"
                time.sleep(0.2)
        yield base, process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)
        log.close()


def batch(source: str) -> bytes:
    records = []
    for number in range(TICKETS):
        created = START + timedelta(minutes=number)
        records.append(
            {
                "external_id": f"T{number}",
                "customer_ref": f"C{number % 20}",
                "customer_name": f"Kunde {number % 20}",
                "subject": f"Ticket {number}",
                "created_at": created.isoformat(),
                "status": "resolved",
                "resolved_at": (created + timedelta(hours=3)).isoformat(),
                "status_changes": [
                    {
                        "external_id": f"T{number}-{step}",
                        "changed_at": (created + timedelta(minutes=step)).isoformat(),
                        "status": "in_progress" if step else "new",
                    }
                    for step in range(CHANGES_PER_TICKET)
                ],
            }
        )
    return json.dumps({"source": source, "records": records}).encode()


def post_in_background(base: str, token: str, body: bytes) -> threading.Thread:
    def send() -> None:
        # The server is killed mid-request: a broken connection is the point.
        with contextlib.suppress(httpx.TransportError):
            httpx.post(
                f"{base}/api/v1/tickets",
                content=body,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                timeout=120,
            )

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread


def test_a_write_cut_off_by_a_killed_server_leaves_nothing_and_can_be_sent_again() -> None:
    with throwaway_store() as store:
        token = write_token(store)
        interrupted: list[str] = []
        for attempt in range(ATTEMPTS):
            if interrupted:
                break
            source = f"psa{attempt}"
            body = batch(source)
            # given a server in the middle of writing a batch of 1,000 tickets with histories
            with server(store) as (base, process):
                thread = post_in_background(base, token, body)
                deadline = time.monotonic() + 60
                while not store.scalar(
                    "SELECT COUNT(*) FROM importers_importrun WHERE source = %s "
                    "AND status = 'running'",
                    (source,),
                ):
                    assert time.monotonic() < deadline, "the write never started"
                    time.sleep(0.005)
                # when the server is killed outright
                os.kill(process.pid, signal.SIGKILL)
                process.wait(timeout=30)
                thread.join(timeout=30)
            status = store.scalar(
                "SELECT status FROM importers_importrun WHERE source = %s", (source,)
            )
            if status != "running":
                continue  # the write finished before the kill landed: try again
            interrupted.append(source)
            # then none of the batch is stored: no ticket, no status change, no customer
            assert (
                store.scalar("SELECT COUNT(*) FROM service_ticket WHERE source = %s", (source,))
                == 0
            )
            assert (
                store.scalar(
                    "SELECT COUNT(*) FROM service_ticketstatuschange WHERE source = %s", (source,)
                )
                == 0
            )
            assert (
                store.scalar(
                    "SELECT COUNT(*) FROM customers_customerreference WHERE source = %s",
                    (source,),
                )
                == 0
            )
        assert interrupted, f"no kill landed mid-write in {ATTEMPTS} attempts"
        # and when the server starts again, the runs say failed, and the batch goes through
        source = interrupted[0]
        with server(store) as (base, _process):
            assert (
                store.scalar("SELECT status FROM importers_importrun WHERE source = %s", (source,))
                == "failed"
            )
            answer = httpx.post(
                f"{base}/api/v1/tickets",
                content=batch(source),
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                timeout=120,
            )
        assert answer.status_code == 200, answer.text[:500]
        assert answer.json()["counts"]["tickets"]["created"] == TICKETS
        assert (
            store.scalar(
                "SELECT COUNT(*) FROM service_ticketstatuschange WHERE source = %s", (source,)
            )
            == TICKETS * CHANGES_PER_TICKET
        )
