"""Benchmark of the service reviews: `solidground report --all` for the demo's 60 customers.

    .venv/bin/python bench/bench_reports.py

Builds the demo provider (60 customers, 24 months, seed 42) in its own data folder under
var/bench/reports/ once, analyses it, then times, each in a fresh process as a user runs it:

* one review (the customer version, PDF) of the busiest customer;
* one internal review of the same customer;
* `report --all` (PDF, the customer version) with the default number of processes.

Then it starts `solidground serve` on the same store, logs in as an owner (created once, user
"bench-owner") and times the first and the second click on the customer page's download button
(`/customers/<id>/review.pdf`) for the busiest customer: once against the server as it starts,
once against a server whose process called `solidground.reports.render.warm_up()` first (what
`serve` is to call at start). With `--serve-only` it times only the downloads.

It prints the wall time and the time per review. Issue 11's targets: one review under 3 s,
`--all` for the 60 demo customers under 60 s.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = ROOT / "var" / "bench" / "reports"
SG = [sys.executable, "-m", "solidground"]
QUARTER = "2026Q3"
END = "2026-09"
OWNER = "bench-owner"
PASSWORD = "bench-owner-password-2026"  # noqa: S105 (a bench user in the bench's own store)
# Starts the web server like `solidground serve`, after warming the review renderer up in the
# same process: what serve.py does once it calls warm_up() itself.
SERVE_WARM = (
    "import os, sys, django; "
    "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'solidground.config.settings'); "
    "django.setup(); "
    "from solidground.reports.render import warm_up; warm_up(); "
    "from django.core.management import execute_from_command_line; "
    "execute_from_command_line(['solidground', 'serve', *sys.argv[1:]])"
)


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
        # A store built by an older checkout lacks the newer migrations: apply them.
        _run("migrate", "-v0")
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


def _owner() -> None:
    """The bench's owner account (created on the first run; its password set on every run)."""
    code = (
        "import django; django.setup(); "
        "from django.contrib.auth import get_user_model; "
        "from solidground.accounts.actions import do_create_user; "
        "from solidground.accounts.models import Role; "
        f"user = get_user_model().objects.filter(username={OWNER!r}).first(); "
        f"do_create_user(username={OWNER!r}, password={PASSWORD!r}, role=Role.OWNER) "
        f"if user is None else (user.set_password({PASSWORD!r}), user.save())"
    )
    env = {**_env(), "DJANGO_SETTINGS_MODULE": "solidground.config.settings"}
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=300)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _process_cpu(pid: int) -> float | None:
    """CPU time (user + system, all threads) of a running process, from /proc (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def _server(command: list[str]) -> Iterator[tuple[str, int, float]]:
    """A running web server on a free port: its address, pid and seconds until it answered."""
    port = _free_port()
    log = DATA / "serve.log"
    started = time.perf_counter()
    with log.open("w") as errors:
        process = subprocess.Popen(
            [*command, "--port", str(port), "--no-migrate"],
            env=_env(),
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            if process.poll() is not None:
                raise SystemExit(f"the server stopped:\n{log.read_text()[-2000:]}")
            try:
                requests.get(base + "/login/", timeout=5)
                break
            except requests.ConnectionError:
                if time.perf_counter() - started > 300:
                    raise SystemExit("the server did not answer within 300 s") from None
                time.sleep(0.2)
        yield base, process.pid, time.perf_counter() - started
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _downloads(base: str, pid: int, customer: str) -> list[tuple[float, float | None]]:
    """Log in as the owner, then click the review download twice: wall and server CPU."""
    session = requests.Session()
    form = session.get(base + "/login/", timeout=60)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
    if token is None:
        raise SystemExit("the login page has no CSRF token")
    answer = session.post(
        base + "/login/",
        data={"username": OWNER, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)},
        headers={"Referer": base + "/login/"},
        timeout=60,
    )
    if "/login/" in answer.url:
        raise SystemExit(f"the bench owner could not log in (HTTP {answer.status_code})")
    session.get(f"{base}/customers/{customer}/", timeout=120)  # the page the button is on
    times = []
    for _ in range(2):
        cpu, started = _process_cpu(pid), time.perf_counter()
        pdf = session.get(f"{base}/customers/{customer}/review.pdf?period={QUARTER}", timeout=600)
        elapsed, after = time.perf_counter() - started, _process_cpu(pid)
        if pdf.status_code != 200 or not pdf.content.startswith(b"%PDF"):
            raise SystemExit(f"the download answered HTTP {pdf.status_code}, not a PDF")
        times.append((elapsed, None if cpu is None or after is None else after - cpu))
    return times


def _cpu_text(cpu: float | None) -> str:
    return "" if cpu is None else f", {cpu:.2f} s server CPU"


def bench_download(customer: str) -> None:
    """The customer page's download button against a real `solidground serve` process."""
    _owner()
    for label, command in (
        ("solidground serve", [*SG, "serve"]),
        ("serve after warm_up()", [sys.executable, "-c", SERVE_WARM]),
    ):
        with _server(command) as (base, pid, ready):
            (first, first_cpu), (second, second_cpu) = _downloads(base, pid, customer)
        print(
            f"download button, {label} (answered after {ready:.1f} s): "
            f"first {first:.2f} s wall{_cpu_text(first_cpu)}, "
            f"second {second:.2f} s wall{_cpu_text(second_cpu)} (target < 3 s)"
        )


def main() -> None:
    _prepare()
    if "--serve-only" in sys.argv[1:]:
        print(f"CPUs: {os.cpu_count()}, load average before: {os.getloadavg()[0]:.1f}")
        bench_download(_busiest())
        print(f"load average after: {os.getloadavg()[0]:.1f}")
        return
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
    bench_download(customer)
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
