"""Benchmark of `solidground analyze`: the whole portfolio, then one customer after an import.

    .venv/bin/python bench/bench_analyze.py
    SOLIDGROUND_BENCH_SCALE=0.1 .venv/bin/python bench/bench_analyze.py   # a quick run

At scale 1.0 the store holds about 1,000,000 tickets, 3,000,000 time entries and 100,000 survey
answers: the demo provider (about 3,100 customers over 36 months), with each ticket's work split
into more time entries (same minutes in total) and the survey answers thinned to 100,000, so the
store has the sizes issue 5 names. The store is built once per scale and database and kept in
``var/bench/`` (SQLite) or the database ``solidground_bench_<scale>`` (PostgreSQL); building it
takes minutes and is not part of the timing. A store is reused while its fingerprint matches:
the sizes, the seed and a hash of every migration (kept in the table ``bench_store`` inside the
store). Otherwise it is dropped and built again.

The run measures, on SQLite and (when reachable) on PostgreSQL, as of 2 March 2026:

* the first analysis: ``analyze()`` over every customer with no results stored yet (load, SLA
  clock, scope mapping, figures, trends, segments, findings, whale curve, and storing every
  result row, in one transaction);
* the nightly re-analysis: a day's new tickets (900, copied from the last month, with their
  status changes and time entries) imported through the importer, then ``analyze()`` a day
  later, which writes only the results that changed;
* ``analyze(customer_ids=[one])``: the re-analysis after an import of one customer.

The imported day is removed again at the end, so the store stays as built.

PostgreSQL is reached at ``SOLIDGROUND_BENCH_POSTGRES_URL`` (default
postgresql://127.0.0.1:5432/test, used only to create the bench database).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = 20260105
END = date(2026, 3, 1)
MONTHS = 36
CUSTOMERS_AT_SCALE_1 = 3_100
TIME_ENTRIES_AT_SCALE_1 = 3_000_000
SURVEYS_AT_SCALE_1 = 100_000


def _scale() -> float:
    return float(os.environ.get("SOLIDGROUND_BENCH_SCALE", "1.0"))


def _postgres_admin_url() -> str:
    return os.environ.get("SOLIDGROUND_BENCH_POSTGRES_URL", "postgresql://127.0.0.1:5432/test")


def _postgres_reachable() -> bool:
    try:
        import psycopg

        psycopg.connect(_postgres_admin_url(), connect_timeout=3).close()
    except Exception:
        return False
    return True


def _fingerprint(scale: float) -> str:
    """What the stored data depends on: sizes, seed and schema (every app's migrations).

    The demo generator is left out on purpose: it changes often, and a benchmark of the
    analysis does not need the very latest synthetic data (a rebuild takes minutes).
    """
    digest = hashlib.sha256(
        f"{scale:g} {SEED} {END} {MONTHS} {CUSTOMERS_AT_SCALE_1} {TIME_ENTRIES_AT_SCALE_1} "
        f"{SURVEYS_AT_SCALE_1}".encode()
    )
    package = ROOT / "src" / "solidground"
    for path in sorted(package.glob("*/migrations/*.py")):
        digest.update(str(path.relative_to(package)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


_FINGERPRINT_SQL = "SELECT fingerprint FROM bench_store"


def _stored_fingerprint_sqlite(path: Path) -> str | None:
    if not path.exists():
        return None
    try:
        with sqlite3.connect(path) as connection:
            row = connection.execute(_FINGERPRINT_SQL).fetchone()
    except sqlite3.Error:
        return None
    return str(row[0]) if row else None


def _stored_fingerprint_postgres(url: str) -> str | None:
    import psycopg

    try:
        with psycopg.connect(url) as connection:
            row = connection.execute(_FINGERPRINT_SQL).fetchone()
    except psycopg.Error:
        return None
    return str(row[0]) if row else None


def _drop_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def _drop_postgres(scale: float) -> None:
    import psycopg

    with psycopg.connect(_postgres_admin_url(), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{_database_name(scale)}"')


def _database_name(scale: float) -> str:
    return "solidground_bench_" + f"{scale:g}".replace(".", "_")


def _postgres_url(scale: float) -> str:
    import psycopg

    admin = _postgres_admin_url()
    name = _database_name(scale)
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')
    return admin.rsplit("/", 1)[0] + "/" + name


# --------------------------------------------------------------------------------------------
# The store (built once, in a worker process that has Django set up)


def _bench_frames(scale: float) -> object:
    """The demo provider reshaped to the issue's sizes (see the module docstring)."""
    import numpy as np
    import polars as pl

    from solidground.demo.generator import generate

    customers = max(20, round(CUSTOMERS_AT_SCALE_1 * scale))
    data = generate(customers=customers, months=MONTHS, seed=SEED, end=END)
    rng = np.random.default_rng(SEED)

    entries = data.frames["service.timeentry"]
    wanted = max(entries.height, round(TIME_ENTRIES_AT_SCALE_1 * scale))
    splittable = entries.filter(pl.col("ticket_id").is_not_null() & (pl.col("minutes") >= 10))
    extra = min(wanted - entries.height, splittable.height)
    if extra > 0:
        # Split a random set of ticket entries in two: the same minutes, two bookings.
        chosen = splittable.sample(extra, seed=SEED)
        first_part = (chosen["minutes"].to_numpy() // 10 * 5).clip(5)
        first = chosen.with_columns(minutes=pl.Series(first_part))
        second = chosen.with_columns(
            minutes=pl.col("minutes") - pl.Series(first_part),
            started_at=pl.col("started_at") + pl.duration(minutes=pl.lit(pl.Series(first_part))),
            billed_amount=pl.lit(None, dtype=entries.schema["billed_amount"]),
            external_id=pl.col("external_id") + "b",
        )
        keep = entries.filter(~pl.col("id").is_in(chosen["id"].implode()))
        entries = pl.concat([keep, first, second]).with_columns(
            id=pl.int_range(1, pl.len() + 1, dtype=pl.Int64)
        )
        data.frames["service.timeentry"] = entries
    surveys = data.frames["surveys.surveyanswer"]
    limit = round(SURVEYS_AT_SCALE_1 * scale)
    answered = surveys.filter(pl.col("answered_at").is_not_null())
    if answered.height > limit:
        # Keep the sent-but-unanswered invitations in proportion: response rates stay true.
        keep_share = limit / answered.height
        kept = rng.random(surveys.height) < keep_share
        surveys = surveys.filter(pl.Series(kept)).with_columns(
            id=pl.int_range(1, pl.len() + 1, dtype=pl.Int64)
        )
        data.frames["surveys.surveyanswer"] = surveys
    return data


def _build_store(scale: float) -> dict[str, int]:
    from django.db import transaction

    from solidground.demo.load import load_demo, sqlite_bulk_pragmas

    data = _bench_frames(scale)
    restore = sqlite_bulk_pragmas()
    try:
        with transaction.atomic():
            counts = load_demo(data)  # type: ignore[arg-type]
    finally:
        restore()
    return counts


def _worker(database: str, build_only: bool = False) -> None:
    scale = _scale()
    data_dir = ROOT / "var" / "bench" / f"analyze-{scale:g}"
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["SOLIDGROUND_DATA_DIR"] = str(data_dir)
    fingerprint = _fingerprint(scale)
    if database == "postgresql":
        stored = _stored_fingerprint_postgres(_postgres_url(scale))
        if stored != fingerprint:
            _drop_postgres(scale)
        os.environ["SOLIDGROUND_DATABASE_URL"] = _postgres_url(scale)
    else:
        os.environ.pop("SOLIDGROUND_DATABASE_URL", None)
        stored = _stored_fingerprint_sqlite(data_dir / "solidground.sqlite3")
        if stored != fingerprint:
            _drop_sqlite(data_dir / "solidground.sqlite3")
    if stored != fingerprint:
        print(f"[{database}] no store with fingerprint {fingerprint}: building one")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "solidground.config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from solidground.customers.models import Customer
    from solidground.insights.actions import analyze
    from solidground.service.models import Ticket, TimeEntry
    from solidground.surveys.models import SurveyAnswer

    call_command("migrate", verbosity=0)
    if stored != fingerprint or not Customer.objects.exists():
        started = time.perf_counter()
        _build_store(scale)
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_store")
            cursor.execute("CREATE TABLE bench_store (fingerprint TEXT NOT NULL)")
            cursor.execute("INSERT INTO bench_store VALUES (%s)", [fingerprint])
        print(f"[{database}] built the store in {time.perf_counter() - started:.0f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    if build_only:
        return
    tickets = Ticket.objects.count()
    entries = TimeEntry.objects.count()
    answers = SurveyAnswer.objects.filter(answered_at__isnull=False).count()
    print(
        f"[{database}] store: {Customer.objects.count():,} customers, {tickets:,} tickets, "
        f"{entries:,} time entries, {answers:,} survey answers"
    )
    _remove_imported_day()  # left over from an interrupted run
    _clear_results()
    first, first_stages = _timed_analysis(NOW)
    print(f"[{database}] first analysis (no stored results): {first:.1f} s")
    _print_stages(database, first_stages)

    imported = _import_a_day(NOW)
    print(
        f"[{database}] imported a day through the importer: {imported['tickets']:,} tickets, "
        f"{imported['status_changes']:,} status changes, {imported['time_entries']:,} "
        "time entries"
    )
    nightly, nightly_stages = _timed_analysis(NOW + timedelta(days=1))
    print(f"[{database}] nightly re-analysis (a day imported, a day later): {nightly:.1f} s")
    _print_stages(database, nightly_stages)

    customer = Customer.objects.order_by("-pk").values_list("pk", flat=True).first()
    assert customer is not None
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        analyze(customer_ids=[customer], now=NOW + timedelta(days=1))
        timings.append(time.perf_counter() - started)
    print(
        f"[{database}] analyze, one customer after an import: best {min(timings):.2f} s, "
        f"worst {max(timings):.2f} s"
    )
    _remove_imported_day()
    print(f"[{database}] load average (1, 5, 15 min): {os.getloadavg()}")


# The analysis runs as of the day after the store's last month; the imported day is that day.
NOW = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
IMPORTED = "bench-day-"  # prefix of the imported rows' external ids (removed afterwards)
TICKETS_A_DAY = 900  # about 1M tickets / 36 months / 30 days


def _timed_analysis(now: datetime) -> tuple[float, list[tuple[str, float]]]:
    from solidground.insights.actions import analyze

    marks: list[tuple[str, float]] = []
    started = time.perf_counter()
    analyze(now=now, progress=lambda message: marks.append((message, time.perf_counter())))
    ended = time.perf_counter()
    stages = [
        (message, (marks[i + 1][1] if i + 1 < len(marks) else ended) - moment)
        for i, (message, moment) in enumerate(marks)
    ]
    return ended - started, stages


def _print_stages(database: str, stages: list[tuple[str, float]]) -> None:
    for stage, spent in stages:
        print(f"[{database}]     {spent:6.2f} s  {stage}")


def _clear_results() -> None:
    """Delete every stored result, as before the very first analysis."""
    from django.db import connection, transaction

    from solidground.insights.models import (
        AnalysisRun,
        CustomerPeriod,
        CustomerSegment,
        CustomerTrend,
        Finding,
        TicketScope,
        TicketSla,
        WhalePoint,
    )

    models = (TicketSla, TicketScope, CustomerPeriod, CustomerTrend, CustomerSegment, Finding)
    with transaction.atomic(), connection.cursor() as cursor:
        for model in (*models, WhalePoint, AnalysisRun):
            cursor.execute(f"DELETE FROM {model._meta.db_table}")  # noqa: S608
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def _import_a_day(now: datetime) -> dict[str, int]:
    """A day's new tickets with their status changes and time entries, through the importer.

    Copies of random tickets of the store's last month, moved to the day before ``now``.
    """
    import random

    from solidground.customers.models import CustomerReference
    from solidground.demo.generator import SOURCE
    from solidground.importers.actions import do_import_batch
    from solidground.importers.records import (
        ImportBatch,
        StatusChangeRecord,
        TicketRecord,
        TimeEntryRecord,
    )
    from solidground.service.models import Ticket, TicketStatusChange, TimeEntry

    day = now - timedelta(days=1)
    last_month = Ticket.objects.filter(created_at__gte=now - timedelta(days=31))
    pool = list(last_month.values_list("pk", flat=True))
    chosen = random.Random(SEED).sample(pool, min(TICKETS_A_DAY, len(pool)))
    tickets = Ticket.objects.filter(pk__in=chosen).select_related("contract", "catalogue_item")
    references = dict(
        CustomerReference.objects.filter(
            source=SOURCE, customer_id__in=tickets.values("customer_id")
        ).values_list("customer_id", "external_id")
    )
    batch = ImportBatch(source=SOURCE)
    for ticket in tickets:
        shift = day.replace(hour=8) - ticket.created_at
        ref = f"{IMPORTED}{ticket.pk}"
        moved = {
            name: getattr(ticket, name) + shift if getattr(ticket, name) else None
            for name in ("created_at", "first_response_at", "resolved_at", "closed_at")
        }
        batch.add(
            TicketRecord(
                external_id=ref,
                customer_ref=references[ticket.customer_id],
                subject=ticket.subject,
                status=ticket.status,
                priority=ticket.priority,
                description=ticket.description,
                category=ticket.category,
                channel=ticket.channel,
                reopen_count=ticket.reopen_count,
                agent_touches=ticket.agent_touches,
                billable=ticket.billable,
                is_special_request=ticket.is_special_request,
                is_escalated=ticket.is_escalated,
                is_complaint=ticket.is_complaint,
                contract_ref=ticket.contract.external_id if ticket.contract else None,
                catalogue_item_ref=(
                    ticket.catalogue_item.external_id if ticket.catalogue_item else None
                ),
                **moved,
            )
        )
        for change in TicketStatusChange.objects.filter(ticket=ticket):
            batch.add(
                StatusChangeRecord(
                    external_id=f"{IMPORTED}{change.pk}",
                    ticket_ref=ref,
                    changed_at=change.changed_at + shift,
                    status=change.status,
                )
            )
        for entry in TimeEntry.objects.filter(ticket=ticket):
            batch.add(
                TimeEntryRecord(
                    external_id=f"{IMPORTED}{entry.pk}",
                    ticket_ref=ref,
                    started_at=entry.started_at + shift,
                    minutes=entry.minutes,
                    billing=entry.billing,
                    loaded_cost=entry.loaded_cost,
                )
            )
    run = do_import_batch(batch, analyze=False)
    assert run.rejected == 0, run.error
    counts = run.counts_by_kind
    return {
        kind: int(counts.get(kind, {}).get("created", 0))
        for kind in ("tickets", "status_changes", "time_entries")
    }


def _remove_imported_day() -> None:
    from django.db import transaction

    from solidground.demo.generator import SOURCE
    from solidground.service.models import Ticket

    with transaction.atomic():
        Ticket.objects.filter(source=SOURCE, external_id__startswith=IMPORTED).delete()


def main() -> None:
    scale = _scale()
    print(
        f"analyze benchmark, scale {scale:g}, seed {SEED}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()}"
    )
    databases = ["sqlite"] + (["postgresql"] if _postgres_reachable() else [])
    if "postgresql" not in databases:
        print("PostgreSQL not reachable: SQLite only.")
    for database in databases:
        # One process per database: Django's settings pick the database once, at start-up.
        subprocess.run(
            [sys.executable, __file__, "--worker", database],
            check=True,
            env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        )


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--worker":
        _worker(sys.argv[2], build_only="--build-only" in sys.argv)
    else:
        main()
