"""Several waitress processes on one port: ``solidground serve --workers N``.

waitress serves from one process, and Python runs one thread's code at a time in a process,
so one process uses about one core however many threads it has. With ``--workers N`` the
parent opens the listening socket and starts N fresh processes (``serve --from-fd``, started
as new interpreters, not forked: the parent has loaded Polars, whose threads must not be
forked) that each run waitress with its threads on that socket; the kernel hands each new
connection to one of them. The parent only watches: a process that stops is replaced, and
SIGTERM or Ctrl-C stops them all (docs/decisions/0007-server-processes.md).
"""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from types import FrameType

# A process that fails by itself this soon after its start is broken (a setting, the
# database): a new one would fail too, so the server stops and says so.
EARLY_EXIT_SECONDS = 10.0
POLL_SECONDS = 0.5


class ServeError(Exception):
    """The processes could not start or keep running; the message says why."""


def listening_socket(host: str, port: int) -> socket.socket:
    try:
        sock = socket.create_server((host, port), backlog=1024)
    except OSError as exc:
        raise ServeError(f"Cannot listen on {host}:{port}: {exc.strerror}.") from exc
    sock.set_inheritable(True)
    return sock


def serve_processes(
    *, host: str, port: int, threads: int, workers: int, say: Callable[[str], None]
) -> None:
    """Run ``workers`` server processes on ``host:port`` until SIGTERM or Ctrl-C."""
    if sys.platform == "win32":
        raise ServeError("--workers above 1 needs Linux or macOS; on Windows run one process.")
    sock = listening_socket(host, port)
    command = [
        sys.executable,
        "-m",
        "solidground",
        "serve",
        "--no-migrate",
        "--threads",
        str(threads),
        "--from-fd",
        str(sock.fileno()),
        "--share-of",
        str(workers),
    ]
    processes: dict[subprocess.Popen[bytes], float] = {}
    stopping = False

    def start() -> None:
        process = subprocess.Popen(command, pass_fds=(sock.fileno(),))  # noqa: S603 (our own command)
        processes[process] = time.monotonic()

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for process in processes:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()

    previous = {n: signal.signal(n, stop) for n in (signal.SIGTERM, signal.SIGINT)}
    try:
        for _ in range(workers):
            start()
        while processes:
            time.sleep(POLL_SECONDS)
            for process, started in list(processes.items()):
                code = process.poll()
                if code is None:
                    continue
                del processes[process]
                if stopping:
                    continue
                early = time.monotonic() - started < EARLY_EXIT_SECONDS
                if early and code > 0:  # it failed by itself at once: a new one would too
                    stop(signal.SIGTERM, None)
                    raise ServeError(
                        f"A server process stopped right after its start (exit status {code}); "
                        "the messages above say why."
                    )
                say(f"A server process stopped (exit status {code}); starting another.")
                start()
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        for process in processes:  # after an error above: wait for the ones told to stop
            process.wait()
        sock.close()
