"""Benchmark of the dashboard pages on the 1M-ticket store, served by the production server.

    .venv/bin/python bench/bench_pages.py
    SOLIDGROUND_BENCH_SCALE=0.1 .venv/bin/python bench/bench_pages.py   # a quick run

Uses the store of bench_analyze.py (built there once per scale and database, ~1,000,000
tickets at scale 1.0) and analyses it once if it holds no results. Then it starts
`solidground serve` (waitress, the production server) on a free loopback port, logs in as an
owner and as an account manager, and requests each page 200 times, one request at a time
after 5 warm-up requests:

* portfolio: the start page (tiles, charts, attention list, first 100 table rows);
* customer: 200 different customers' pages (the busiest first);
* SLA: breaches and near-breaches, pages 1-20 of the default filter and per customer;
* findings: the open findings, filtered by severity and customer in turn;
* the same four as an account manager with 30 customers.

It prints the median, the 95th percentile and the maximum per page, on SQLite and (when
reachable) PostgreSQL. Issue 9's target: p95 under 300 ms.
"""

from __future__ import annotations

import importlib.util
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
REQUESTS = 200
WARM_UP = 5
PASSWORD = "bench-pages-password-1"  # noqa: S105 (a throw-away user of the bench store)
TARGET_MS = 300.0


def _analyze_module() -> object:
    spec = importlib.util.spec_from_file_location("bench_analyze", HERE / "bench_analyze.py")
    if spec is None or spec.loader is None:
        raise ImportError("cannot load bench_analyze.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _prepare(database: str) -> dict[str, str]:
    """Build the store if needed (bench_analyze's own code), analyse it once, add users."""
    bench_analyze = _analyze_module()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    subprocess.run(
        [sys.executable, str(HERE / "bench_analyze.py"), "--worker", database, "--build-only"],
        check=True,
        env=env,
    )
    scale = bench_analyze._scale()  # type: ignore[attr-defined]
    env["SOLIDGROUND_DATA_DIR"] = str(ROOT / "var" / "bench" / f"analyze-{scale:g}")
    if database == "postgresql":
        env["SOLIDGROUND_DATABASE_URL"] = bench_analyze._postgres_url(scale)  # type: ignore[attr-defined]
    else:
        env.pop("SOLIDGROUND_DATABASE_URL", None)
    subprocess.run([sys.executable, str(Path(__file__)), "--setup"], check=True, env=env)
    return env


def _setup() -> None:
    """Inside the store's environment: results and two users (idempotent)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "solidground.config.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from solidground.accounts.actions import do_assign_customers, do_create_user
    from solidground.accounts.models import Role
    from solidground.customers.models import Customer
    from solidground.insights.actions import analyze
    from solidground.insights.models import AnalysisRun

    if not AnalysisRun.objects.filter(status="finished", customer_ids=[]).exists():
        started = time.perf_counter()
        analyze(now=_analyze_module().NOW)  # type: ignore[attr-defined]
        print(f"analysed the store once: {time.perf_counter() - started:.1f} s", flush=True)
    users = get_user_model()
    for name, role in (("bench-owner", Role.OWNER), ("bench-am", Role.ACCOUNT_MANAGER)):
        if not users.objects.filter(username=name).exists():
            do_create_user(username=name, password=PASSWORD, role=role)
    manager = users.objects.get(username="bench-am")
    ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True)[::100][:30])
    do_assign_customers(user_id=manager.pk, customer_ids=ids)


def _ids(env: dict[str, str], query: str) -> list[int]:
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE',"
        "'solidground.config.settings'); django.setup(); from django.db import connection;"
        f"cur = connection.cursor(); cur.execute({query!r});"
        "print(' '.join(str(r[0]) for r in cur.fetchall()))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, env=env, capture_output=True, text=True
    )
    return [int(x) for x in out.stdout.split()]


def _login(base: str, username: str) -> object:
    import httpx

    client = httpx.Client(base_url=base, timeout=60, headers={"Accept-Language": "de"})
    page = client.get("/login/").text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token, "no CSRF token on the login page"
    response = client.post(
        "/login/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)},
        headers={"Referer": base + "/login/"},
    )
    assert response.status_code == 302, f"login failed: {response.status_code}"
    return client


def _first_request(client: object, url: str) -> float:
    """The first request of a freshly started server: nothing cached yet."""
    started = time.perf_counter()
    response = client.get(url)  # type: ignore[attr-defined]
    if response.status_code != 200:
        raise RuntimeError(f"{url}: HTTP {response.status_code}")
    return (time.perf_counter() - started) * 1000


def _measure(client: object, urls: Iterator[str]) -> list[float]:
    timings = []
    for index in range(WARM_UP + REQUESTS):
        url = next(urls)
        started = time.perf_counter()
        response = client.get(url)  # type: ignore[attr-defined]
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"{url}: HTTP {response.status_code}")
        if index >= WARM_UP:
            timings.append(elapsed)
    return timings


def _report(database: str, who: str, page: str, timings: list[float]) -> None:
    ordered = sorted(timings)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    verdict = "ok" if p95 < TARGET_MS else "OVER TARGET"
    print(
        f"[{database}] {who:<15} {page:<10} median {statistics.median(ordered):7.1f} ms   "
        f"p95 {p95:7.1f} ms   max {ordered[-1]:7.1f} ms   ({len(ordered)} requests, {verdict})",
        flush=True,
    )


def _cycle(items: list[str]) -> Iterator[str]:
    while True:
        yield from items


def _run(database: str) -> None:
    env = _prepare(database)
    busiest = _ids(
        env,
        "SELECT customer_id FROM service_ticket GROUP BY customer_id ORDER BY COUNT(*) DESC "
        "LIMIT 205",
    )
    am_ids = _ids(
        env,
        "SELECT c.id FROM customers_customer c JOIN auth_user u ON u.id = c.account_manager_id "
        "WHERE u.username = 'bench-am' ORDER BY c.id",
    )
    port = _free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "solidground"),
            "serve",
            "--port",
            str(port),
            "--no-migrate",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        import httpx

        for _ in range(100):
            try:
                httpx.get(base + "/login/", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        for who, ids in (("owner", busiest), ("account manager", am_ids)):
            client = _login(base, "bench-owner" if who == "owner" else "bench-am")
            pages = {
                "portfolio": _cycle(["/"]),
                "customer": _cycle([f"/customers/{i}/" for i in ids]),
                "sla": _cycle(
                    [f"/sla/?page={n}" for n in range(1, 21)]
                    + [f"/sla/?customer={i}" for i in ids[:20]]
                ),
                "findings": _cycle(
                    ["/findings/", "/findings/?severity=3", "/findings/?severity=2"]
                    + [f"/findings/?customer={i}" for i in ids[:20]]
                ),
            }
            if who == "owner":
                cold = _first_request(client, "/")
                print(
                    f"[{database}] owner           portfolio  first request after start "
                    f"(sums not cached yet): {cold:.0f} ms",
                    flush=True,
                )
            for page, urls in pages.items():
                _report(database, who, page, _measure(client, urls))
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    print(f"pages benchmark, {os.cpu_count()} cores, load average {os.getloadavg()}")
    bench_analyze = _analyze_module()
    databases = ["sqlite"] + (
        ["postgresql"] if bench_analyze._postgres_reachable() else []  # type: ignore[attr-defined]
    )
    for database in databases:
        _run(database)
    print(f"load average (1, 5, 15 min): {os.getloadavg()}")


if __name__ == "__main__":
    if "--setup" in sys.argv:
        _setup()
    else:
        main()
