"""Benchmark of the service reviews: `solidground report --all` for the demo's 60 customers.

    .venv/bin/python bench/bench_reports.py

Builds the demo provider (60 customers, 24 months, seed 42) in its own data folder under
var/bench/reports/ once, analyses it, then times, each in a fresh process as a user runs it:

* one review (the customer version, PDF) of the busiest customer;
* one internal review of the same customer;
* `report --all` (PDF, the customer version) with the default number of processes.

It prints the wall time and the time per review. Issue 11's targets: one review under 3 s,
`--all` for the 60 demo customers under 60 s.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = ROOT / "var" / "bench" / "reports"
SG = [sys.executable, "-m", "solidground"]
QUARTER = "2026Q3"
END = "2026-09"


def _env() -> dict[str, str]:
    env = {**os.environ, "SOLIDGROUND_DATA_DIR": str(DATA), "PYTHONPATH": str(ROOT / "src")}
    env.pop("SOLIDGROUND_DATABASE_URL", None)
    return env


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(*args: str) -> tuple[float, float, str]:
    """Wall time, CPU time (of the command and its worker processes) and output."""
    started, cpu = time.perf_counter(), _cpu()
    result = subprocess.run(
        [*SG, *args], capture_output=True, text=True, env=_env(), check=False, timeout=1800
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"solidground {' '.join(args)} failed:\n{result.stderr[-2000:]}")
    return elapsed, _cpu() - cpu, result.stdout


def _prepare() -> None:
    if (DATA / "solidground.sqlite3").exists():
        return
    DATA.mkdir(parents=True, exist_ok=True)
    _run("migrate", "-v0")
    _run("demo", "--customers", "60", "--months", "24", "--seed", "42", "--end", END)


def _busiest() -> str:
    code = (
        "import django; django.setup(); "
        "from django.db.models import Count; "
        "from solidground.customers.models import Customer; "
        "print(Customer.objects.annotate(n=Count('tickets')).order_by('-n', 'pk')[0].pk)"
    )
    env = {**_env(), "DJANGO_SETTINGS_MODULE": "solidground.config.settings"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    return result.stdout.strip()


def main() -> None:
    _prepare()
    out = DATA / "out"
    shutil.rmtree(out, ignore_errors=True)
    customer = _busiest()
    # A fresh process pays Django's start-up; the wall time is what a user waits. The CPU time
    # (user + system, worker processes included) does not depend on what else the machine
    # runs, so it is printed too: on a busy shared machine the wall time says little.
    print(f"CPUs: {os.cpu_count()}, load average before: {os.getloadavg()[0]:.1f}")
    one, one_cpu, _ = _run("report", customer, "--quarter", QUARTER, "--out", str(out))
    internal, internal_cpu, _ = _run(
        "report", customer, "--quarter", QUARTER, "--internal", "--out", str(out)
    )
    every, every_cpu, text = _run(
        "report", "--all", "--quarter", QUARTER, "--out", str(out / "all")
    )
    count = len(list((out / "all").glob("*.pdf")))
    summary = re.search(r"(\d+) reviews in ([\d.]+) s with (\d+) process", text)
    jobs = summary.group(3) if summary else "?"
    print(
        f"one review (customer version, PDF, incl. start-up): {one:.2f} s wall, "
        f"{one_cpu:.2f} s CPU (target < 3 s)"
    )
    print(
        f"one review (internal version, PDF, incl. start-up): {internal:.2f} s wall, "
        f"{internal_cpu:.2f} s CPU"
    )
    print(
        f"--all: {count} reviews in {every:.1f} s wall with {jobs} processes "
        f"({every / max(count, 1):.2f} s per review); {every_cpu:.1f} s CPU in all, "
        f"{every_cpu / max(count, 1):.2f} s CPU per review (target: 60 customers < 60 s)"
    )
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
