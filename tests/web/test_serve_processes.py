"""`solidground serve --workers N`: N processes share the port; one that dies is replaced,
and stopping the server stops them all (docs/decisions/0007-server-processes.md)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from solidground.common import ratelimit
from tests.api.test_killed_server import server, throwaway_store

pytestmark = pytest.mark.django_db  # so that the PostgreSQL run runs it too


def children_of(parent: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent and fields[0] != "Z":
            found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process table from /proc")
def test_server_processes_share_the_port_and_one_that_dies_is_replaced() -> None:
    with throwaway_store() as store:
        with server(store, "--workers", "2") as (base, parent):
            first = children_of(parent.pid)
            assert len(first) == 2
            assert all(httpx.get(f"{base}/login/").status_code == 200 for _ in range(10))

            # when one process dies
            killed = min(first)
            os.kill(killed, signal.SIGKILL)
            deadline = time.monotonic() + 30
            while children_of(parent.pid) in ({*first}, first - {killed}, set()):
                assert time.monotonic() < deadline, "no process replaced the killed one"
                time.sleep(0.2)

            # then another takes its place and the server goes on answering
            now = children_of(parent.pid)
            assert len(now) == 2
            assert killed not in now
            assert all(httpx.get(f"{base}/login/").status_code == 200 for _ in range(10))

        # stopping the server (SIGTERM) stops every process
        deadline = time.monotonic() + 30
        while any(alive(pid) for pid in now):
            assert time.monotonic() < deadline, "server processes outlived the server"
            time.sleep(0.2)
        log = next(store.data_dir.glob("server-*.log")).read_text()
        assert "2 processes" in log
        assert "A server process stopped (exit status -9); starting another." in log


def test_workers_below_one_are_refused() -> None:
    with pytest.raises(CommandError, match="--workers and --threads must be 1 or more"):
        call_command("serve", "--workers", "0", "--no-migrate")


def test_each_process_allows_its_share_of_a_rate_limit() -> None:
    try:
        ratelimit.share_among(2)
        windows = [ratelimit.count("test-share", 5) for _ in range(4)]
    finally:
        ratelimit.share_among(1)
    # 5 a minute over two processes: this one allows 3 (rounded up), the fourth is over
    assert [w.over for w in windows] == [False, False, False, True]
    assert 0 < windows[-1].retry_after <= 61
