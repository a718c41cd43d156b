"""Benchmark of the demo provider: generation, bulk load and the first analysis at about 10k
and 1M tickets.

    .venv/bin/python bench/bench_demo.py
    SOLIDGROUND_BENCH_SCALE=0.1 .venv/bin/python bench/bench_demo.py   # a quick run

Each size is built by ``build_demo`` (generate, then load in one transaction) into a new, empty
store: SQLite in a temporary data dir, and PostgreSQL when ``SOLIDGROUND_BENCH_POSTGRES_URL``
is set (a temporary database is created next to the one the URL names, and dropped after).
Migrating the empty store is not part of the timing. The last line times generation alone at
the size `solidground demo --customers 5000 --months 36` asks for.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = 42
END = date(2025, 12, 1)
# (customers at scale 1.0, months): about 10,000 and 1,000,000 tickets.
SIZES: tuple[tuple[int, int], ...] = ((65, 24), (3_500, 36))
CLI_EXAMPLE = (5_000, 36)


def _scale() -> float:
    return float(os.environ.get("SOLIDGROUND_BENCH_SCALE", "1.0"))


def _customers(base: int) -> int:
    return max(5, round(base * _scale()))


def _create_postgres_database(admin_url: str) -> tuple[str, str]:
    import psycopg

    name = f"solidground_bench_demo_{os.getpid()}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return name, admin_url.rsplit("/", 1)[0] + "/" + name


def _drop_postgres_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')


def _worker(database: str, customers: int, months: int) -> None:
    """Build one size into the store the environment names (runs in its own process)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "solidground.config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from solidground.demo.actions import build_demo

    call_command("migrate", verbosity=0)
    summary = build_demo(
        customers=customers, months=months, seed=SEED, end=END, fresh=False, progress=None
    )
    rows = sum(summary.counts.values())
    print(
        f"[{database}] {customers:,} customers x {months} months: "
        f"{summary.tickets:,} tickets, {rows:,} rows in all; "
        f"generated in {summary.generate_seconds:.1f} s, "
        f"loaded in {summary.load_seconds:.1f} s ({rows / summary.load_seconds:,.0f} rows/s)",
        flush=True,
    )
    from solidground.insights.actions import analyze

    # The first analysis of a fresh store: every SLA row and figure is written.
    run = analyze()
    print(
        f"[{database}] first `analyze` of that store: {run.seconds:.1f} s "
        f"({run.tickets / max(run.seconds or 1.0, 1e-9):,.0f} tickets/s)",
        flush=True,
    )


def _run(database: str, customers: int, months: int) -> None:
    data_dir = tempfile.mkdtemp(prefix="solidground-bench-demo-")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "SOLIDGROUND_DATA_DIR": data_dir}
    admin_url = os.environ.get("SOLIDGROUND_BENCH_POSTGRES_URL", "")
    name = ""
    try:
        if database == "postgresql":
            name, env["SOLIDGROUND_DATABASE_URL"] = _create_postgres_database(admin_url)
        else:
            env.pop("SOLIDGROUND_DATABASE_URL", None)
        # One process per store: Django reads its database settings once, at start-up.
        subprocess.run(
            [sys.executable, __file__, "--worker", database, str(customers), str(months)],
            check=True,
            env=env,
        )
    finally:
        if name:
            _drop_postgres_database(admin_url, name)
        shutil.rmtree(data_dir, ignore_errors=True)


def main() -> None:
    scale = _scale()
    print(f"demo benchmark, scale {scale:g}, seed {SEED}, months up to {END:%Y-%m}")
    databases = ["sqlite"]
    if os.environ.get("SOLIDGROUND_BENCH_POSTGRES_URL"):
        databases.append("postgresql")
    else:
        print("SOLIDGROUND_BENCH_POSTGRES_URL not set: SQLite only.")
    for database in databases:
        for base, months in SIZES:
            _run(database, _customers(base), months)

    from solidground.demo.generator import generate

    customers, months = _customers(CLI_EXAMPLE[0]), CLI_EXAMPLE[1]
    started = time.perf_counter()
    data = generate(customers=customers, months=months, seed=SEED, end=END)
    seconds = time.perf_counter() - started
    print(
        f"[generate only] {customers:,} customers x {months} months: "
        f"{data.frames['service.ticket'].height:,} tickets, "
        f"{sum(data.counts().values()):,} rows in {seconds:.1f} s"
    )


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--worker":
        _worker(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        main()
