"""Benchmark of the renewal fit that ends every full analysis (issue 12: under 10 s on the
1M-ticket store).

    .venv/bin/python bench/bench_renewals.py
    SOLIDGROUND_BENCH_SCALE=0.1 .venv/bin/python bench/bench_renewals.py   # a quick run

It uses the store of ``bench_analyze.py`` (built there, once per scale and database, and
reused while its fingerprint matches), runs one full analysis if the store has none, and then
times ``do_fit_renewals`` on the stored figures three times: reading the quarterly figures,
contracts and events, the Cox fit, the proportional-hazards check, the held-out calibration,
the Kaplan-Meier curves, scoring every running contract, the thesis answers and storing.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _bench_analyze() -> object:
    spec = importlib.util.spec_from_file_location("bench_analyze", HERE / "bench_analyze.py")
    if spec is None or spec.loader is None:
        raise ImportError("cannot load bench_analyze.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _worker(database: str) -> None:
    analyze_bench = _bench_analyze()
    analyze_bench._worker(database, build_only=True)  # type: ignore[attr-defined]
    from solidground.insights.actions import analyze
    from solidground.insights.models import AnalysisRun
    from solidground.renewals.actions import do_fit_renewals
    from solidground.renewals.models import RenewalFit, RenewalRisk

    now = analyze_bench.NOW  # type: ignore[attr-defined]
    run = (
        AnalysisRun.objects.filter(status=AnalysisRun.Status.FINISHED, customer_ids=[])
        .order_by("-started_at")
        .first()
    )
    if run is None:
        started = time.perf_counter()
        run = analyze(now=now)
        print(
            f"[{database}] full analysis first (not timed here): "
            f"{time.perf_counter() - started:.1f} s"
        )
    timings = []
    stages: list[tuple[str, float]] = []
    for _ in range(3):
        marks: list[tuple[str, float]] = []
        started = time.perf_counter()
        do_fit_renewals(
            run=run,
            now=now.date(),
            progress=lambda message, marks=marks: marks.append((message, time.perf_counter())),
        )
        ended = time.perf_counter()
        timings.append(ended - started)
        stages = [
            (message, (marks[i + 1][1] if i + 1 < len(marks) else ended) - moment)
            for i, (message, moment) in enumerate(marks)
        ]
    fit = RenewalFit.objects.get()
    print(
        f"[{database}] renewal fit: {fit.history['contracts']:,} contracts, "
        f"{fit.history['cancellations']:,} cancellations, {fit.history['quarters']} quarters, "
        f"method {fit.method}, {RenewalRisk.objects.count():,} running contracts scored"
    )
    print(
        f"[{database}] do_fit_renewals: best {min(timings):.2f} s, worst {max(timings):.2f} s "
        "(target: under 10 s)"
    )
    for stage, spent in stages:
        print(f"[{database}]     {spent:6.2f} s  {stage}")
    print(f"[{database}] load average (1, 5, 15 min): {os.getloadavg()}")


def main() -> None:
    analyze_bench = _bench_analyze()
    databases = ["sqlite"] + (
        ["postgresql"] if analyze_bench._postgres_reachable() else []  # type: ignore[attr-defined]
    )
    for database in databases:
        subprocess.run(
            [sys.executable, __file__, "--worker", database],
            check=True,
            env={**os.environ, "PYTHONPATH": str(HERE.parent / "src")},
        )


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--worker":
        _worker(sys.argv[2])
    else:
        main()
