"""Where import jobs keep their files, and the live state that cannot wait for a commit.

An import writes in one transaction (``writer.BatchWriter``): a progress row updated on the
same connection would stay invisible until the commit, and on SQLite a second connection could
not write at all while the import holds the write lock. So the live state is in files:

- ``DATA_DIR/uploads/<token>.csv|xlsx``: the upload, deleted when the job ends;
- ``DATA_DIR/uploads/<token>.progress``: ``{"done": bytes, "total": bytes}`` while it runs;
- ``DATA_DIR/uploads/<token>.cancel``: asks the running import to stop (it rolls back);
- ``DATA_DIR/worker/<runner>.alive``: touched every few seconds by whoever runs imports;
- ``DATA_DIR/imports/``: the rejects files, the only folder downloads read.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.text import get_valid_filename

from solidground.importers.models import ImportJob, ImportRun

logger = logging.getLogger(__name__)

# A progress file is rewritten at most this often (seconds).
PROGRESS_INTERVAL = 0.5
# A runner touches its heartbeat file this often, and counts as gone when it is older than
# HEARTBEAT_STALE (a long chunk write does not stop the heartbeat: it has its own thread).
HEARTBEAT_INTERVAL = 5.0
HEARTBEAT_STALE = 30.0


def uploads_dir() -> Path:
    path = Path(settings.DATA_DIR) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def imports_dir() -> Path:
    """Where rejects files go (actions.rejects_path_for); the only folder downloads read."""
    return Path(settings.DATA_DIR) / "imports"


def worker_dir() -> Path:
    path = Path(settings.DATA_DIR) / "worker"
    path.mkdir(parents=True, exist_ok=True)
    return path


def upload_path(job: ImportJob) -> Path:
    return uploads_dir() / job.stored_name


def side_file(job: ImportJob, suffix: str) -> Path:
    return uploads_dir() / f"{Path(job.stored_name).stem}.{suffix}"


def rejects_file(run: ImportRun) -> Path | None:
    """The run's rejects CSV if it exists inside ``DATA_DIR/imports``; None for any other path.

    The path comes from the database (and the command line's ``--rejects``); a download must
    never serve a file outside the imports folder, whatever that column says.
    """
    if not run.rejects_path:
        return None
    folder = imports_dir().resolve()
    try:
        path = Path(run.rejects_path).resolve()
    except (OSError, RuntimeError):
        return None
    if not path.is_relative_to(folder) or not path.is_file():
        return None
    return path


def write_progress(path: Path, done: int, total: int, *, phase: str = "importing") -> None:
    """Rewrite the progress file; a full disk costs the progress display, never the import."""
    temporary = path.with_suffix(".progress-new")
    try:
        temporary.write_text(
            json.dumps({"done": done, "total": total, "phase": phase}), encoding="utf-8"
        )
        # A reader sees the old or the new figures, never half a file.
        temporary.replace(path)
    except OSError as exc:
        logger.warning("cannot write the progress file %s: %s", path, exc)


def read_progress(job: ImportJob) -> tuple[int, int, str] | None:
    try:
        data = json.loads(side_file(job, "progress").read_text(encoding="utf-8"))
        return int(data["done"]), int(data["total"]), str(data.get("phase", "importing"))
    except (OSError, ValueError, KeyError, TypeError):
        return None


@contextlib.contextmanager
def heartbeat(runner: str) -> Iterator[Path]:
    """Touch ``DATA_DIR/worker/<runner>.alive`` every few seconds until the block ends.

    A thread of its own, so a long chunk write or the analysis after an import does not make
    a live runner look dead.
    """
    path = worker_dir() / f"{get_valid_filename(runner)}.alive"
    path.write_text(
        json.dumps(
            {"pid": os.getpid(), "host": socket.gethostname(), "since": timezone.now().isoformat()}
        ),
        encoding="utf-8",
    )
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(HEARTBEAT_INTERVAL):
            try:
                path.touch()
            except OSError:
                logger.warning("cannot touch the heartbeat file %s", path)

    thread = threading.Thread(target=beat, name="solidground-heartbeat", daemon=True)
    thread.start()
    try:
        yield path
    finally:
        stop.set()
        thread.join(timeout=HEARTBEAT_INTERVAL)
        path.unlink(missing_ok=True)


def live_runners(*, now: float | None = None) -> set[str]:
    """The runners whose heartbeat is fresh (workers and requests importing a small file)."""
    moment = time.time() if now is None else now
    alive: set[str] = set()
    for path in worker_dir().glob("*.alive"):
        try:
            if moment - path.stat().st_mtime <= HEARTBEAT_STALE:
                alive.add(path.stem)
        except FileNotFoundError:  # removed by a runner that just stopped
            continue
    return alive


def worker_running() -> bool:
    return any(not name.startswith("inline-") for name in live_runners())
