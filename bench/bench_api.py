"""Benchmark of the API's write routes: 100,000 tickets with their status changes, pushed.

    .venv/bin/python bench/bench_api.py
    SOLIDGROUND_BENCH_SCALE=0.1 .venv/bin/python bench/bench_api.py   # a quick run
    make bench ARGS=api

Each run starts from an empty store: a throw-away data dir (SQLite) or the database
``solidground_bench_api`` (PostgreSQL, dropped and created again; dropped at the end), migrated,
with an owner and a write token. It starts ``solidground serve`` (waitress, the production
server) on a free loopback port and, over one keep-alive connection, posts

* 200 customers (one request, not timed),
* 100,000 tickets (scaled by SOLIDGROUND_BENCH_SCALE) with their status changes (2-4 a ticket,
  about 300,000) in batches of 500 tickets, in two shapes, each on a fresh store:

  - **nested**: each ticket carries its ``status_changes``, one ``POST /api/v1/tickets`` a
    batch (200 requests); this is how a PSA pushes "a ticket with its history", and the
    shape issue 13's target is measured on;
  - **separate routes**: the tickets to ``POST /api/v1/tickets``, then their changes in
    batches of 500 to ``POST /api/v1/status-changes`` (about 800 requests);

then the same batches a second time, which must leave everything unchanged (idempotent upserts).
The nested shape runs once more over **two connections at once** against ``solidground serve
--workers 2`` (one server process per core), each connection posting half of the batches in
order, as a sync tool with two workers would. Request bodies are encoded before the clock
starts; the time is the server's work plus the loopback round trips. Each write also queues the
customers' re-analysis (no worker runs here, so the queue only grows; that insert is part of the
time).

It prints tickets a second (tickets with their status changes) and records a second, on SQLite
and, when reachable, PostgreSQL. Issue 13's target: at least 5,000 tickets a second on
PostgreSQL.

SOLIDGROUND_BENCH_API_ONLY narrows a run for a quick look: comma-separated words matched
against "<database> <shape>", e.g. ``postgresql`` or ``postgresql nested`` (every word of one
item must match). The server's rate limit is lifted for the bench token's run
(SOLIDGROUND_API_RATE_PER_MINUTE), since the bench sends far more than 600 requests a minute.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import postgres_db

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TICKETS_AT_SCALE_1 = 100_000
BATCH = 500
CUSTOMERS = 200
SEED = 20261202
SOURCE = "bench"
DATABASE = "solidground_bench_api"
TARGET_TICKETS_PER_SECOND = 5_000
START = datetime(2025, 1, 6, 7, 0, tzinfo=UTC)


def _scale() -> float:
    return float(os.environ.get("SOLIDGROUND_BENCH_SCALE", "1.0"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- the records ------------------------------------------------------------------------------


def _iso(instant: datetime) -> str:
    return instant.isoformat().replace("+00:00", "Z")


def _customers() -> list[dict[str, Any]]:
    return [
        {"external_id": f"C{number:04d}", "name": f"Bench-Kunde {number:04d} GmbH"}
        for number in range(CUSTOMERS)
    ]


def _ticket_and_changes(
    number: int, rng: random.Random
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One ticket as a PSA would push it, and its 2-4 status changes."""
    created = START + timedelta(minutes=7 * number + rng.randint(0, 6))
    responded = created + timedelta(minutes=rng.randint(5, 240))
    path = ["new", "in_progress"]
    if rng.random() < 0.35:
        path.append("waiting_customer")
    if rng.random() < 0.8:
        path.append("closed")
    moments = [created]
    for _ in path[1:]:
        moments.append(moments[-1] + timedelta(minutes=rng.randint(10, 2_000)))
    ticket_id = f"T{number:07d}"
    done = path[-1] == "closed"
    ticket = {
        "external_id": ticket_id,
        "customer_ref": f"C{number % CUSTOMERS:04d}",
        "subject": f"Ticket {number}: Drucker, VPN oder Postfach",
        "created_at": _iso(created),
        "status": path[-1],
        "priority": rng.choice((2, 3, 3, 3, 4)),
        "channel": rng.choice(("email", "phone", "portal")),
        "category": rng.choice(("Incident", "Service Request", "Change")),
        "first_response_at": _iso(responded),
        "resolved_at": _iso(moments[-1]) if done else None,
        "closed_at": _iso(moments[-1]) if done else None,
    }
    changes = [
        {
            "external_id": f"{ticket_id}-{step}",
            "ticket_ref": ticket_id,
            "changed_at": _iso(moment),
            "status": status,
            "source_status": status.replace("_", " ").title(),
        }
        for step, (status, moment) in enumerate(zip(path, moments, strict=True))
    ]
    return ticket, changes


@dataclass
class Request:
    path: str
    body: bytes
    records: int
    tickets: int


def _requests(total: int, *, nested: bool) -> list[Request]:
    """The batches in the order they are posted, encoded.

    ``nested``: each batch of 500 tickets carries their status changes (``status_changes`` of
    a ticket), one request a batch. Otherwise the tickets go to ``/tickets`` and their changes
    after them to ``/status-changes`` in batches of 500 (four requests a batch on average).
    """
    rng = random.Random(SEED)
    out: list[Request] = []
    for first in range(0, total, BATCH):
        tickets: list[dict[str, Any]] = []
        changes: list[dict[str, Any]] = []
        for number in range(first, min(first + BATCH, total)):
            ticket, its_changes = _ticket_and_changes(number, rng)
            if nested:
                ticket["status_changes"] = [
                    {key: value for key, value in change.items() if key != "ticket_ref"}
                    for change in its_changes
                ]
            tickets.append(ticket)
            changes.extend(its_changes)
        records = len(tickets) + (len(changes) if nested else 0)
        out.append(Request("/api/v1/tickets", _body(tickets), records, len(tickets)))
        if nested:
            continue
        for start in range(0, len(changes), BATCH):
            chunk = changes[start : start + BATCH]
            out.append(Request("/api/v1/status-changes", _body(chunk), len(chunk), 0))
    return out


def _body(records: list[dict[str, Any]]) -> bytes:
    return json.dumps({"source": SOURCE, "records": records}).encode()


# --- set-up inside the store's environment ------------------------------------------------------


def _setup() -> None:
    """Migrated store: an owner and a write token (printed on the last line)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "solidground.config.settings")
    import django

    django.setup()
    from solidground.accounts.actions import do_create_user
    from solidground.accounts.models import Role
    from solidground.api.tokens import do_create_token

    password = "bench-api-password-1"  # noqa: S105 (a throw-away user of a throw-away store)
    owner = do_create_user(username="bench-api-owner", password=password, role=Role.OWNER)
    print(do_create_token(user=owner, name="bench", scope="write").plain)


def _environment(database: str) -> tuple[dict[str, str], Path]:
    data_dir = Path(tempfile.mkdtemp(prefix="solidground-bench-api-"))
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "SOLIDGROUND_DATA_DIR": str(data_dir),
        # Far above what the bench sends; the default (600 a minute) would throttle it.
        "SOLIDGROUND_API_RATE_PER_MINUTE": "10000000",
    }
    if database == "postgresql":
        env["SOLIDGROUND_DATABASE_URL"] = postgres_db.recreate(DATABASE)
    else:
        env.pop("SOLIDGROUND_DATABASE_URL", None)
    return env, data_dir


def _command(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def _post_all(client: Any, requests: list[Request]) -> tuple[float, dict[str, int]]:
    totals = {"created": 0, "updated": 0, "unchanged": 0, "rejected": 0}
    started = time.perf_counter()
    for request in requests:
        response = client.post(
            request.path, content=request.body, headers={"Content-Type": "application/json"}
        )
        if response.status_code != 200:
            raise RuntimeError(
                f"{request.path}: HTTP {response.status_code}: {response.text[:500]}"
            )
        answer = response.json()
        for key in totals:
            totals[key] += int(answer[key])
    return time.perf_counter() - started, totals


def _post_parallel(clients: list[Any], requests: list[Request]) -> tuple[float, dict[str, int]]:
    """The batches over several connections at once, each connection posting its share in
    order (as a sync tool with several workers would); the time is until the last answers."""
    from concurrent.futures import ThreadPoolExecutor

    shares = [requests[n :: len(clients)] for n in range(len(clients))]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        results = list(pool.map(_post_all, clients, shares))
    totals = {key: sum(result[1][key] for result in results) for key in results[0][1]}
    return time.perf_counter() - started, totals


def _report(database: str, label: str, seconds: float, tickets: int, records: int) -> None:
    rate = tickets / seconds
    verdict = ""
    if database == "postgresql":
        verdict = "  (target met)" if rate >= TARGET_TICKETS_PER_SECOND else "  (BELOW TARGET)"
    print(
        f"[{database}] {label}: {tickets:,} tickets + {records - tickets:,} status changes "
        f"in {seconds:.1f} s: {rate:,.0f} tickets/s, {records / seconds:,.0f} records/s"
        f"{verdict}",
        flush=True,
    )


def _wait_until_up(base: str, server: subprocess.Popen[bytes]) -> None:
    import httpx

    for _ in range(300):
        if server.poll() is not None:
            raise RuntimeError(f"solidground serve exited with {server.returncode}")
        try:
            httpx.get(base + "/api/v1/openapi.json", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError("solidground serve did not answer within a minute")


def _run(
    database: str, shape: str, requests: list[Request], tickets: int, streams: int = 1
) -> None:
    import httpx

    env, data_dir = _environment(database)
    server: subprocess.Popen[bytes] | None = None
    try:
        subprocess.run(
            [_command("solidground"), "migrate", "--no-input", "-v", "0"], check=True, env=env
        )
        setup = subprocess.run(
            [sys.executable, str(Path(__file__)), "--setup"],
            check=True,
            env=env,
            capture_output=True,
            text=True,
        )
        token = setup.stdout.strip().splitlines()[-1]
        port = _free_port()
        server = subprocess.Popen(
            [
                _command("solidground"),
                "serve",
                "--port",
                str(port),
                "--no-migrate",
                "--workers",
                str(streams),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        _wait_until_up(base, server)
        headers = {"Authorization": f"Bearer {token}"}
        # One client, one connection: every request reuses it (HTTP/1.1 keep-alive).
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        clients = [
            httpx.Client(base_url=base, headers=headers, timeout=300, limits=limits)
            for _ in range(streams)
        ]
        client = clients[0]
        with contextlib.ExitStack() as stack:
            for each in clients:
                stack.enter_context(each)
            customers = client.post(
                "/api/v1/customers",
                content=_body(_customers()),
                headers={"Content-Type": "application/json"},
            )
            if customers.status_code != 200:
                raise RuntimeError(f"customers: HTTP {customers.status_code}: {customers.text}")
            records = sum(request.records for request in requests)
            post = _post_all if streams == 1 else _post_parallel
            target: Any = client if streams == 1 else clients
            seconds, first = post(target, requests)
            if first["created"] != records or first["rejected"]:
                raise RuntimeError(f"first pass: expected {records:,} created, got {first}")
            _report(database, f"{shape}, first push", seconds, tickets, records)
            seconds, again = post(target, requests)
            if again["unchanged"] != records:
                raise RuntimeError(f"second pass: expected all unchanged, got {again}")
            _report(database, f"{shape}, same batches again", seconds, tickets, records)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)
        if database == "postgresql":
            postgres_db.drop(DATABASE)


def _wanted(run: str) -> bool:
    """Whether SOLIDGROUND_BENCH_API_ONLY (see the module docstring) asks for this run."""
    only = os.environ.get("SOLIDGROUND_BENCH_API_ONLY", "").strip()
    if not only:
        return True
    return any(
        all(word in run for word in item.split()) for item in only.split(",") if item.strip()
    )


def main() -> None:
    tickets = max(BATCH, round(TICKETS_AT_SCALE_1 * _scale()))
    print(
        f"API write benchmark: {tickets:,} tickets in batches of {BATCH}, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()}",
        flush=True,
    )
    shapes = {
        "tickets with their changes nested": _requests(tickets, nested=True),
        "tickets and changes on separate routes": _requests(tickets, nested=False),
    }
    for shape, requests in shapes.items():
        changes = sum(request.records for request in requests) - tickets
        print(f"{shape}: {len(requests):,} requests, {changes:,} status changes", flush=True)
    databases = ["sqlite"] + (["postgresql"] if postgres_db.reachable() else [])
    nested = shapes["tickets with their changes nested"]
    # A sync tool with two workers against `serve --workers 2` (one process per core).
    runs = [(shape, requests, 1) for shape, requests in shapes.items()]
    runs.append(("nested, two connections at once (serve --workers 2)", nested, 2))
    for database in databases:
        for shape, requests, streams in runs:
            if _wanted(f"{database} {shape}"):
                _run(database, shape, requests, tickets, streams)
    print(f"load average (1, 5, 15 min): {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    if "--setup" in sys.argv:
        _setup()
    else:
        main()
