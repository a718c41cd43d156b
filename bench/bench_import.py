"""Import benchmark: a generated ticket CSV and time-entry CSV into SQLite and PostgreSQL.

    SOLIDGROUND_BENCH_SCALE=0.02 .venv/bin/python bench/bench_import.py
    SOLIDGROUND_BENCH_POSTGRES_URL=postgresql://127.0.0.1:5432/postgres \\
        .venv/bin/python bench/bench_import.py

Scale 1.0 is 1,000,000 tickets and 3,000,000 time entries (the target: PostgreSQL under 2
minutes, SQLite under 4). The files use the generic presets' column names in the German form
(";", dd.mm.yyyy HH:MM, decimal commas), so detection, time zones and value maps are on the
measured path. Each store is imported in a child process so the reported peak memory (max RSS)
is the import's own, not the generator's. For PostgreSQL a database ``bench_import`` is
created (and dropped first) on the server of SOLIDGROUND_BENCH_POSTGRES_URL. The seed is fixed
and printed.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

SEED = 20250303
TICKETS_AT_SCALE_1 = 1_000_000
ENTRIES_PER_TICKET = 3
CUSTOMERS = 400
REPO = Path(__file__).resolve().parents[1]


def generate(directory: Path, scale: float) -> tuple[Path, Path, int, int]:
    rng = np.random.default_rng(SEED)
    tickets = max(int(TICKETS_AT_SCALE_1 * scale), 10)
    entries = tickets * ENTRIES_PER_TICKET
    # Daytime instants (06:00-22:00 UTC): local times then never fall into the hour that
    # clocks skip or repeat, so every generated row is valid.
    days = np.datetime64("2023-01-02T06:00") + rng.integers(0, 2 * 365, tickets).astype(
        "timedelta64[D]"
    )
    created = days + rng.integers(0, 14 * 60, tickets).astype("timedelta64[m]")
    first_response = created + rng.integers(5, 120, tickets).astype("timedelta64[m]")
    resolved = (
        created
        + rng.integers(0, 5, tickets).astype("timedelta64[D]")
        + rng.integers(10, 120, tickets).astype("timedelta64[m]")
    )
    status = rng.choice(
        ["gelöst", "geschlossen", "offen", "wartet auf Kunde", "in Bearbeitung"],
        tickets,
        p=[0.5, 0.3, 0.1, 0.05, 0.05],
    )
    open_ticket = np.isin(status, ["offen", "wartet auf Kunde", "in Bearbeitung"])

    def berlin(instants: np.ndarray) -> pl.Series:
        """UTC instants as the wall-clock text a German export shows."""
        return (
            pl.Series(instants.astype("datetime64[ms]"))
            .dt.replace_time_zone("UTC")
            .dt.convert_time_zone("Europe/Berlin")
            .dt.strftime("%d.%m.%Y %H:%M")
        )

    ticket_frame = pl.DataFrame(
        {
            "ticket_id": [f"T-{n}" for n in range(1, tickets + 1)],
            "subject": rng.choice(
                ["Drucker druckt nicht", "VPN bricht ab", "Neues Postfach", "Kennwort"], tickets
            ),
            "customer": [f"K-{n}" for n in rng.integers(1, CUSTOMERS + 1, tickets)],
            "created_at": berlin(created),
            "first_response_at": berlin(first_response),
            "resolved_at": berlin(
                np.where(open_ticket, np.datetime64("NaT", "m"), resolved)
            ).fill_null(""),
            "status": status,
            "priority": rng.choice(["hoch", "mittel", "niedrig", "kritisch"], tickets),
            "billable": rng.choice(["ja", "nein"], tickets, p=[0.2, 0.8]),
        }
    )
    owner = rng.integers(0, tickets, entries)
    entry_start = (
        created[owner]
        + rng.integers(0, 3, entries).astype("timedelta64[D]")
        + rng.integers(0, 60, entries).astype("timedelta64[m]")
    )
    hours = rng.integers(1, 16, entries) * 0.25
    billing = rng.choice(["abgerechnet", "inklusive", "Kulanz", "intern"], entries)
    entry_frame = pl.DataFrame(
        {
            "entry_id": [f"Z-{n}" for n in range(1, entries + 1)],
            "ticket_id": [f"T-{n + 1}" for n in owner],
            "technician": rng.choice(["Jana Doe", "Ali Koch", "Eva Maier"], entries),
            "started_at": berlin(entry_start),
            "hours": [f"{value:.2f}".replace(".", ",") for value in hours],
            "billing": billing,
            "billed_amount": [
                f"{value * 95:.2f}".replace(".", ",") if kind == "abgerechnet" else ""
                for value, kind in zip(hours, billing, strict=True)
            ],
        }
    )
    ticket_path = directory / "tickets.csv"
    entry_path = directory / "time-entries.csv"
    ticket_frame.write_csv(ticket_path, separator=";")
    entry_frame.write_csv(entry_path, separator=";")
    return ticket_path, entry_path, tickets, entries


def run_import(ticket_path: Path, entry_path: Path) -> dict[str, float]:
    """In the child: set up Django on the configured store, migrate, import both files."""
    import django
    from django.core.management import call_command

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "solidground.config.settings")
    django.setup()
    call_command("migrate", verbosity=0)
    from solidground.importers.actions import do_import_file

    results: dict[str, float] = {}
    for label, path, preset in (
        ("tickets", ticket_path, "generic-tickets"),
        ("time_entries", entry_path, "generic-time-entries"),
    ):
        server_before = server_cpu_seconds()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        # The bulk path that files of 16 MiB and more take, also at small scales.
        outcome = do_import_file(path, preset=preset, analyze=False, defer_indexes=True)
        seconds = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_SELF)
        results[f"{label}_cpu"] = (after.ru_utime - usage.ru_utime) + (
            after.ru_stime - usage.ru_stime
        )
        results[f"{label}_server_cpu"] = server_cpu_seconds() - server_before
        run = outcome.run
        if run.rejected:
            raise SystemExit(f"{label}: {run.rejected} rows rejected: {run.first_errors[:3]}")
        results[f"{label}_rows"] = run.rows
        results[f"{label}_seconds"] = seconds
        results[f"{label}_created"] = run.created
    results["peak_rss_mib"] = peak_rss_mib()
    return results


def peak_rss_mib() -> float:
    """This process's peak resident memory.

    VmHWM, not ru_maxrss: Linux carries ru_maxrss over fork and exec, so a child would report
    the generator's peak.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def server_cpu_seconds() -> float:
    """CPU seconds of this connection's PostgreSQL backend (same machine), else 0."""
    from django.db import connection  # the child has set up Django by now

    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        row = cursor.fetchone()
    try:
        fields = Path(f"/proc/{row[0] if row else 0}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # another machine: not measurable
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def child(store: str, workdir: Path, ticket_path: Path, entry_path: Path) -> dict[str, float]:
    env = dict(os.environ)
    env["SOLIDGROUND_DATA_DIR"] = str(workdir / store)
    env.pop("SOLIDGROUND_DATABASE_URL", None)
    if store == "postgresql":
        base = os.environ["SOLIDGROUND_BENCH_POSTGRES_URL"]
        env["SOLIDGROUND_DATABASE_URL"] = base.rsplit("/", 1)[0] + "/bench_import"
    output = subprocess.run(
        [sys.executable, __file__, "--child", str(ticket_path), str(entry_path)],
        env=env,
        check=False,
        capture_output=True,
        text=True,
    )
    if output.returncode:
        raise SystemExit(f"the {store} import failed:\n{output.stderr[-3000:]}")
    return dict(json.loads(output.stdout.strip().splitlines()[-1]))


def recreate_postgres_database() -> None:
    import psycopg

    url = os.environ["SOLIDGROUND_BENCH_POSTGRES_URL"]
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("DROP DATABASE IF EXISTS bench_import")
        connection.execute("CREATE DATABASE bench_import")


def report(store: str, results: dict[str, float]) -> None:
    total_rows = results["tickets_rows"] + results["time_entries_rows"]
    total_seconds = results["tickets_seconds"] + results["time_entries_seconds"]
    print(
        f"{store:10} tickets {results['tickets_rows']:>9,.0f} in "
        f"{results['tickets_seconds']:6.1f} s ({results['tickets_rows'] / results['tickets_seconds']:>8,.0f}/s)"  # noqa: E501
        f"  time entries {results['time_entries_rows']:>9,.0f} in "
        f"{results['time_entries_seconds']:6.1f} s "
        f"({results['time_entries_rows'] / results['time_entries_seconds']:>8,.0f}/s)"
        f"  total {total_rows / total_seconds:>8,.0f} rows/s"
        f"  peak RSS {results['peak_rss_mib']:,.0f} MiB"
    )
    full_rows = TICKETS_AT_SCALE_1 * (1 + ENTRIES_PER_TICKET)
    at_full = full_rows / (total_rows / total_seconds)
    cpu = results["tickets_cpu"] + results["time_entries_cpu"]
    server = results["tickets_server_cpu"] + results["time_entries_server_cpu"]
    print(
        f"{'':10} CPU: importer {cpu:.1f} s ({total_rows / cpu:,.0f} rows per CPU second)"
        + (f", database server {server:.1f} s" if server else "")
        + f"; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    print(
        f"{'':10} extrapolated to 1M tickets + 3M time entries: {at_full:,.0f} s wall clock, "
        f"{full_rows / total_rows * max(cpu, server):,.0f} s on an idle machine "
        "(the busier of importer and server)"
    )


def main() -> None:
    scale = float(os.environ.get("SOLIDGROUND_BENCH_SCALE", "1.0"))
    print(f"seed {SEED}, scale {scale}")
    with tempfile.TemporaryDirectory(prefix="solidground-bench-") as tmp:
        workdir = Path(tmp)
        started = time.perf_counter()
        ticket_path, entry_path, tickets, entries = generate(workdir, scale)
        print(
            f"generated {tickets:,} tickets and {entries:,} time entries "
            f"({(ticket_path.stat().st_size + entry_path.stat().st_size) / 2**20:,.0f} MiB) "
            f"in {time.perf_counter() - started:.1f} s"
        )
        report("sqlite", child("sqlite", workdir, ticket_path, entry_path))
        if os.environ.get("SOLIDGROUND_BENCH_POSTGRES_URL"):
            recreate_postgres_database()
            report("postgresql", child("postgresql", workdir, ticket_path, entry_path))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        sys.path.insert(0, str(REPO / "src"))
        print(json.dumps(run_import(Path(sys.argv[2]), Path(sys.argv[3]))))
    else:
        main()
