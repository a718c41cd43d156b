"""Benchmark of the survey loop (issue 10).

    .venv/bin/python bench/bench_surveys.py
    SOLIDGROUND_BENCH_SCALE=0.1 .venv/bin/python bench/bench_surveys.py   # a quick run
    make bench ARGS=surveys

Each part starts from an empty store: a throw-away data dir (SQLite) or the database
``solidground_bench_surveys`` (PostgreSQL, when reachable; dropped and created again, dropped
at the end).

1. **Clicks.** 20,000 sent invitations (scaled). ``solidground serve --workers 2`` (waitress,
   the production server, in two processes) on a free loopback port, the per-address limit
   lifted (every click comes from 127.0.0.1). A bounded locust run (headless, ``--run-time``,
   stops by itself) posts answers to the answer links as customers confirming on the answer page
   do: every user picks links at random, so many invitations are answered twice or more at the
   same time (a change, never a second answer). Prints answers a second and checks the store
   afterwards: every invitation that got a 303 has exactly one answer (0 lost), no invitation
   has two (0 duplicated), no answer without a 303. Target: at least 500 answers a second.
2. **Mails.** 10,000 queued invitations (scaled) sent by ``do_send_due`` through an aiosmtpd
   server on loopback, over one SMTP connection; prints mails a second, and checks that the
   server received each invitation's mail exactly once.
3. **Click to customer page.** With the server running and logged in as the owner: one answer
   with a comment, then the customer page is read until it shows the comment; prints the time
   from the click to the page showing it.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import postgres_db

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CLICK_INVITATIONS_AT_SCALE_1 = 20_000
MAILS_AT_SCALE_1 = 10_000
TARGET_ANSWERS_PER_SECOND = 500
DATABASE = "solidground_bench_surveys"
LOCUST_USERS = 40
LOCUST_SECONDS = 20
SERVER_THREADS = 4  # per process
SERVER_PROCESSES = 2  # `serve --workers`: one per core of these machines
OWNER = "bench-surveys-owner"
PASSWORD = "bench-surveys-password-1"  # noqa: S105 (a throw-away user of a throw-away store)
SEED = 20261202


def _scale() -> float:
    return float(os.environ.get("SOLIDGROUND_BENCH_SCALE", "1.0"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time so far of a process and its child processes (the server
    processes of ``serve --workers``), from Linux's /proc: the share of a loaded machine the
    server really got."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        if int(entry.name) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _command(name: str) -> str:
    return str(Path(sys.executable).parent / name)


# --- inside the store's environment (run as child processes) ----------------------------------


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "solidground.config.settings")
    import django

    django.setup()


def _make_invitations(count: int, *, sent: bool) -> list[Any]:
    """``count`` invitations for as many resolved tickets of 100 customers."""
    from datetime import timedelta

    from django.utils import timezone

    from solidground.customers.models import Contact, Customer
    from solidground.service.models import Ticket
    from solidground.surveys import actions
    from solidground.surveys.models import Invitation

    now = timezone.now()
    customers = Customer.objects.bulk_create(
        [Customer(name=f"Bench-Kunde {n:03d} GmbH") for n in range(100)]
    )
    contacts = Contact.objects.bulk_create(
        [
            Contact(
                customer=customers[n % 100],
                name=f"Kontakt {n}",
                email=f"kontakt{n}@bench.test",
                language="de" if n % 8 else "en",
            )
            for n in range(count)
        ],
        batch_size=2000,
    )
    tickets = Ticket.objects.bulk_create(
        [
            Ticket(
                customer_id=contact.customer_id,
                contact=contact,
                subject=f"Ticket {n}: VPN, Drucker oder Postfach",
                status="resolved",
                created_at=now - timedelta(hours=5),
                resolved_at=now - timedelta(hours=1),
            )
            for n, contact in enumerate(contacts)
        ],
        batch_size=2000,
    )
    invitations = [
        Invitation(
            kind=Invitation.Kind.TICKET_CSAT,
            key=actions.new_key(),
            customer_id=ticket.customer_id,
            contact_id=ticket.contact_id,
            ticket=ticket,
            email=f"kontakt{n}@bench.test",
            language="de",
            state=Invitation.State.SENT if sent else Invitation.State.QUEUED,
            created_at=now,
            next_attempt_at=now,
            sent_at=now if sent else None,
        )
        for n, ticket in enumerate(tickets)
    ]
    return Invitation.objects.bulk_create(invitations, batch_size=2000)


def _setup_clicks(count: int, out: str) -> None:
    """Sent invitations and an owner; their answer paths (id, path) into ``out``."""
    _django()
    from django.urls import reverse

    from solidground.accounts.actions import do_create_user
    from solidground.accounts.models import Role
    from solidground.surveys import links

    do_create_user(username=OWNER, password=PASSWORD, role=Role.OWNER)
    rng = random.Random(SEED)
    rows = []
    for invitation in _make_invitations(count, sent=True):
        answer = rng.choice(list(links.CSAT_SCORES))
        token = links.make_token(invitation, "answer", answer)
        path = reverse("surveys:answer", args=[token])
        rows.append([invitation.pk, path, answer, invitation.customer_id])
    Path(out).write_text(json.dumps(rows), encoding="utf-8")


def _count_answers(answered_file: str) -> None:
    """Compare the store with the clicks that got a 303: prints a JSON line."""
    _django()
    from django.db.models import Count

    from solidground.surveys.models import Invitation, SurveyAnswer

    answered: set[int] = set()
    for path in Path(answered_file).parent.glob(Path(answered_file).name + ".*"):
        answered.update(json.loads(path.read_text(encoding="utf-8")))
    stored = SurveyAnswer.objects.filter(source="solidground")
    per_invitation = {
        int(row["external_id"].split("-")[1]): row["n"]
        for row in stored.values("external_id").annotate(n=Count("pk"))
    }
    linked = set(Invitation.objects.filter(answer__isnull=False).values_list("pk", flat=True))
    print(
        json.dumps(
            {
                "answered": len(answered),
                "stored": stored.count(),
                "lost": len(answered - set(per_invitation)),
                "duplicated": sum(n - 1 for n in per_invitation.values() if n > 1),
                "unasked": len(set(per_invitation) - answered),
                "unlinked": len(set(per_invitation) - linked),
            }
        )
    )


def _send_mails(count: int, port: int) -> None:
    """Queue ``count`` invitations and send them to the SMTP server on ``port``; prints JSON."""
    _django()
    from django.conf import settings

    from solidground.surveys import actions

    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 30},
        }
    }
    config = actions.survey_settings()
    config.provider_name = "Bench IT"
    config.save()
    _make_invitations(count, sent=False)
    import resource

    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    report = actions.do_send_due()
    seconds = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    print(json.dumps({"sent": report.sent, "seconds": seconds, "cpu": cpu}))


def _smtp_server(port: int, out: str) -> None:
    """A local SMTP server (aiosmtpd) in its own process, as a real one would be; on SIGTERM it
    writes the recipients of every mail it accepted into ``out``."""
    import signal
    import threading

    from aiosmtpd.controller import Controller

    received: list[str] = []

    class Catcher:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            received.extend(envelope.rcpt_tos)
            return "250 Message accepted"

    controller = Controller(Catcher(), hostname="127.0.0.1", port=port)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("ready", flush=True)
    stop.wait()
    controller.stop()
    Path(out).write_text(json.dumps(received), encoding="utf-8")


# --- the driver -------------------------------------------------------------------------------


LOCUSTFILE = """
import json, os, random
from locust import FastHttpUser, task, events

ROWS = json.load(open(os.environ["BENCH_SURVEY_LINKS"], encoding="utf-8"))
ANSWERED = set()


class Customer(FastHttpUser):
    @task
    def answer(self):
        invitation_id, path, answer, _customer = random.choice(ROWS)
        with self.client.post(
            path, data={"answer": answer}, allow_redirects=False, catch_response=True,
            name="POST /s/a/<token>/",
        ) as response:
            if response.status_code == 303:
                ANSWERED.add(invitation_id)
                response.success()
            else:
                response.failure(f"HTTP {response.status_code}")


@events.quitting.add_listener
def _dump(environment, **kwargs):
    out = os.environ["BENCH_SURVEY_ANSWERED"] + f".{os.getpid()}"
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(sorted(ANSWERED), handle)
"""


def _environment(database: str) -> tuple[dict[str, str], Path]:
    data_dir = Path(tempfile.mkdtemp(prefix="solidground-bench-surveys-"))
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "SOLIDGROUND_DATA_DIR": str(data_dir),
        "SOLIDGROUND_SURVEY_RATE_PER_MINUTE": "0",  # every click comes from 127.0.0.1
        "SOLIDGROUND_LOG_LEVEL": "ERROR",
    }
    if database == "postgresql":
        env["SOLIDGROUND_DATABASE_URL"] = postgres_db.recreate(DATABASE)
    else:
        env.pop("SOLIDGROUND_DATABASE_URL", None)
    return env, data_dir


def _child(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(Path(__file__)), *args],
        check=True,
        env=env,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def _wait_until_up(base: str, server: subprocess.Popen[bytes]) -> None:
    import httpx

    for _ in range(300):
        if server.poll() is not None:
            raise RuntimeError(f"solidground serve exited with {server.returncode}")
        try:
            httpx.get(base + "/s/brand.css", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError("solidground serve did not answer within a minute")


def _clicks(database: str, env: dict[str, str], data_dir: Path, base: str, server_pid: int) -> None:
    links_file = data_dir / "links.json"
    answered_file = data_dir / "answered.json"
    locustfile = data_dir / "locustfile.py"
    locustfile.write_text(LOCUSTFILE, encoding="utf-8")
    seconds = max(5, round(LOCUST_SECONDS * min(1.0, _scale() * 4)))
    stats = data_dir / "locust"
    cpu_before = _cpu_seconds(server_pid)
    subprocess.run(
        [
            _command("locust"),
            "-f",
            str(locustfile),
            "--headless",
            "--users",
            str(LOCUST_USERS),
            "--spawn-rate",
            str(LOCUST_USERS),
            "--run-time",
            f"{seconds}s",
            "--stop-timeout",
            "5",
            "--host",
            base,
            "--csv",
            str(stats),
            "--only-summary",
            "--loglevel",
            "ERROR",
        ],
        check=False,  # locust exits 1 when any request failed; the counts below say which
        env={
            **env,
            "BENCH_SURVEY_LINKS": str(links_file),
            "BENCH_SURVEY_ANSWERED": str(answered_file),
        },
        capture_output=True,
    )
    server_cpu = _cpu_seconds(server_pid) - cpu_before
    rows = (stats.parent / (stats.name + "_stats.csv")).read_text(encoding="utf-8").splitlines()
    header = rows[0].split(",")
    total = dict(zip(header, rows[-1].split(","), strict=False))
    requests = int(total["Request Count"])
    failures = int(total["Failure Count"])
    rate = float(total["Requests/s"])
    median = total.get("50%", "?")
    p99 = total.get("99%", "?")
    counts = json.loads(_child(env, "--count", str(answered_file)))
    verdict = "target met" if rate >= TARGET_ANSWERS_PER_SECOND else "BELOW TARGET"
    print(
        f"[{database}] clicks: {requests:,} answers posted by {LOCUST_USERS} locust users in "
        f"{seconds} s: {rate:,.0f} answers/s ({verdict}; target {TARGET_ANSWERS_PER_SECOND}), "
        f"median {median} ms, 99% {p99} ms, {failures} failed requests",
        flush=True,
    )
    if requests:
        per_answer = server_cpu / requests
        print(
            f"[{database}] the server used {server_cpu:.1f} CPU s for them: "
            f"{per_answer * 1000:.1f} ms CPU an answer, at most {1 / per_answer:,.0f} answers/s "
            f"a free core (load average during the run: {os.getloadavg()[0]:.1f} on "
            f"{os.cpu_count()} cores)",
            flush=True,
        )
    print(
        f"[{database}] store after the run: {counts['answered']:,} invitations answered "
        f"(got a 303), {counts['stored']:,} answers stored: {counts['lost']} lost, "
        f"{counts['duplicated']} duplicated, {counts['unasked']} stored without a 303, "
        f"{counts['unlinked']} not linked to their invitation",
        flush=True,
    )


def _click_to_page(database: str, base: str, links_file: Path) -> None:
    """Seconds from an answer's 303 to the customer page showing its comment."""
    import httpx

    rows = json.loads(links_file.read_text(encoding="utf-8"))
    with httpx.Client(base_url=base, timeout=30, follow_redirects=False) as client:
        login = client.get("/login/")
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text)
        if csrf is None:
            raise RuntimeError("no CSRF token on the login page")
        client.post(
            "/login/",
            data={"username": OWNER, "password": PASSWORD, "csrfmiddlewaretoken": csrf[1]},
            headers={"Referer": base + "/login/"},
        )
        timings = []
        for number in range(5):
            _invitation, path, _answer, customer_id = rows[-1 - number]
            comment = f"Kommentar {number} {random.random():.6f}"
            started = time.perf_counter()
            answer = client.post(path, data={"answer": "negative", "comment": comment})
            if answer.status_code != 303:
                raise RuntimeError(f"answer: HTTP {answer.status_code}")
            while True:
                page = client.get(f"/customers/{customer_id}/")
                if comment in page.text:
                    break
                if time.perf_counter() - started > 30:
                    raise RuntimeError(
                        f"the comment did not show within 30 s: HTTP {page.status_code}, "
                        f"{page.headers.get('location', '')} {page.text[:300]!r}"
                    )
            timings.append(time.perf_counter() - started)
    print(
        f"[{database}] click to customer page: the comment shows "
        f"{max(timings) * 1000:,.0f} ms after the click at most (5 answers, median "
        f"{sorted(timings)[2] * 1000:,.0f} ms)",
        flush=True,
    )


def _scalar(env: dict[str, str], data_dir: Path, sql: str, params: tuple[Any, ...]) -> Any:
    """One value straight from the store (no Django: the bench polls it many times a second)."""
    url = env.get("SOLIDGROUND_DATABASE_URL", "")
    if url.startswith("postgres"):
        import psycopg

        with psycopg.connect(url) as connection:
            row = connection.execute(sql, params).fetchone()
    else:
        import sqlite3

        store = sqlite3.connect(data_dir / "solidground.sqlite3", timeout=30)
        try:
            row = store.execute(sql.replace("%s", "?"), params).fetchone()
        finally:
            store.close()
    return row[0] if row else None


def _due(env: dict[str, str], data_dir: Path, external_id: str | None = None) -> int:
    sql = "SELECT COUNT(*) FROM surveys_surveyanswer WHERE follow_up_due"
    if external_id is None:
        return int(_scalar(env, data_dir, sql, ()))
    return int(_scalar(env, data_dir, sql + " AND external_id = %s", (external_id,)))


def _click_to_figures(
    database: str, env: dict[str, str], data_dir: Path, base: str, links_file: Path
) -> None:
    """Seconds from an answer's 303 to its follow-up done: the customer analysed again (the
    figures and findings the customer page shows) with ``solidground worker`` running."""
    import httpx

    rows = json.loads(links_file.read_text(encoding="utf-8"))
    worker = subprocess.Popen(
        [_command("solidground"), "worker", "-v", "0"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        backlog_started = time.perf_counter()
        backlog = _due(env, data_dir)
        while _due(env, data_dir):  # the answers of the load run first
            if time.perf_counter() - backlog_started > 600:
                raise RuntimeError("the worker did not finish the load run's follow-ups in 600 s")
            time.sleep(0.5)
        backlog_seconds = time.perf_counter() - backlog_started
        time.sleep(4)  # the sweep after that run
        timings = []
        with httpx.Client(base_url=base, timeout=30, follow_redirects=False) as client:
            for number in range(5):
                invitation_id, path, _answer, _customer = rows[len(rows) // 2 + number]
                started = time.perf_counter()
                answer = client.post(path, data={"answer": "negative"})
                if answer.status_code != 303:
                    raise RuntimeError(f"answer: HTTP {answer.status_code}")
                while _due(env, data_dir, f"invitation-{invitation_id}"):
                    if time.perf_counter() - started > 60:
                        raise RuntimeError("the follow-up did not finish within 60 s")
                    time.sleep(0.02)
                timings.append(time.perf_counter() - started)
                time.sleep(4)  # let the sweep pass: each click starts from a quiet worker
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    print(
        f"[{database}] click to figures: the worker (polling every second) analysed the "
        f"customer again {sorted(timings)[2]:.2f} s after the click (median of 5, at most "
        f"{max(timings):.2f} s); before that it followed up the load run's {backlog:,} waiting "
        f"answers in {backlog_seconds:.1f} s",
        flush=True,
    )


def _run(database: str) -> None:
    env, data_dir = _environment(database)
    server: subprocess.Popen[bytes] | None = None
    try:
        subprocess.run(
            [_command("solidground"), "migrate", "--no-input", "-v", "0"], check=True, env=env
        )
        count = max(200, round(CLICK_INVITATIONS_AT_SCALE_1 * _scale()))
        links_file = data_dir / "links.json"
        _child(env, "--setup-clicks", str(count), str(links_file))
        port = _free_port()
        server = subprocess.Popen(
            [
                _command("solidground"),
                "serve",
                "--port",
                str(port),
                "--threads",
                str(SERVER_THREADS),
                "--workers",
                str(SERVER_PROCESSES),
                "--no-migrate",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        _wait_until_up(base, server)
        _clicks(database, env, data_dir, base, server.pid)
        _click_to_page(database, base, links_file)
        _click_to_figures(database, env, data_dir, base, links_file)
        server.terminate()
        server.wait(timeout=30)
        server = None
        mails = max(100, round(MAILS_AT_SCALE_1 * _scale()))
        env_mail, mail_dir = _environment(database)
        smtp_port = _free_port()
        received_file = mail_dir / "received.json"
        smtp = subprocess.Popen(
            [sys.executable, str(Path(__file__)), "--smtp", str(smtp_port), str(received_file)],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            if smtp.stdout is None or smtp.stdout.readline().strip() != "ready":
                raise RuntimeError("the SMTP server did not start")
            subprocess.run(
                [_command("solidground"), "migrate", "--no-input", "-v", "0"],
                check=True,
                env=env_mail,
            )
            sent = json.loads(_child(env_mail, "--send-mails", str(mails), str(smtp_port)))
            smtp.terminate()
            smtp.wait(timeout=30)
            received = json.loads(received_file.read_text(encoding="utf-8"))
        finally:
            if smtp.poll() is None:
                smtp.kill()
            shutil.rmtree(mail_dir, ignore_errors=True)
            if database == "postgresql":
                postgres_db.drop(DATABASE)
        print(
            f"[{database}] mails: {sent['sent']:,} invitations sent through a local aiosmtpd "
            f"in {sent['seconds']:.1f} s: {sent['sent'] / sent['seconds']:,.0f} mails/s; the "
            f"server received {len(received):,} mails ({len(set(received)):,} distinct "
            f"addresses); the sender used {sent['cpu'] / max(1, sent['sent']) * 1000:.1f} ms "
            f"CPU a mail (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)",
            flush=True,
        )
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)
        if database == "postgresql":
            postgres_db.drop(DATABASE)


def _calibration() -> str:
    """How fast this machine runs plain Python right now: a loaded, shared machine makes every
    figure here slower, and this says by how much (a free modern core: about 0.1 ms)."""
    import timeit

    best = min(timeit.repeat("sum(range(10000))", number=100, repeat=5)) / 100
    return f"calibration: sum(range(10000)) takes {best * 1000:.2f} ms on this machine now"


def main() -> None:
    print(_calibration(), flush=True)
    print(
        f"scale {_scale()}: {max(200, round(CLICK_INVITATIONS_AT_SCALE_1 * _scale())):,} "
        f"invitations to click, {max(100, round(MAILS_AT_SCALE_1 * _scale())):,} mails",
        flush=True,
    )
    _run("sqlite")
    if postgres_db.reachable():
        _run("postgresql")
    else:
        print("[postgresql] not reachable: skipped", flush=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--setup-clicks":
        _setup_clicks(int(sys.argv[2]), sys.argv[3])
    elif len(sys.argv) > 1 and sys.argv[1] == "--count":
        _count_answers(sys.argv[2])
    elif len(sys.argv) > 1 and sys.argv[1] == "--send-mails":
        _send_mails(int(sys.argv[2]), int(sys.argv[3]))
    elif len(sys.argv) > 1 and sys.argv[1] == "--smtp":
        _smtp_server(int(sys.argv[2]), sys.argv[3])
    else:
        main()
