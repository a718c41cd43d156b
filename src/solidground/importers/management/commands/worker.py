"""`solidground worker`: run the queued imports, survey mails and survey follow-ups until stopped.

A long-running process next to `solidground serve` (docs/imports-page.md). It wraps the
database worker of django-tasks-db (`db_worker`): that loop claims one queued task at a time,
records a failing task as failed and goes on with the next, and stops cleanly on SIGTERM or
Ctrl-C (after the import it is running; a second signal stops at once, and that import rolls
back). Around it, this command

- marks jobs that a previous, killed worker left "running" as failed, with a sentence;
- keeps a heartbeat file (``DATA_DIR/worker/<id>.alive``) so the imports page can say plainly
  when no worker runs.
"""

from __future__ import annotations

import os
import signal
import socket
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.utils.crypto import get_random_string
from django.utils.text import get_valid_filename

from solidground.importers.jobs import do_fail_orphaned_jobs, heartbeat
from solidground.surveys.tasks import queue_follow_up_if_due

SIGNALS = [signal.SIGINT, signal.SIGTERM] + ([signal.SIGQUIT] if hasattr(signal, "SIGQUIT") else [])


class Command(BaseCommand):
    help = "Run queued imports (and other background tasks) until stopped with Ctrl-C or SIGTERM."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="seconds to wait between looks at an empty queue (default 1)",
        )
        parser.add_argument(
            "--batch", action="store_true", help="run what is queued now, then exit"
        )
        parser.add_argument(
            "--max-tasks", type=int, default=None, help="exit after this many tasks"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Unique across workers and readable in a process list: host, process, random part.
        host = get_valid_filename(socket.gethostname())[:24] or "host"
        worker_id = f"{host}-{os.getpid()}-{get_random_string(8)}"
        orphaned = do_fail_orphaned_jobs()
        if orphaned and options["verbosity"]:
            self.stdout.write(
                f"{orphaned} import(s) left running by a stopped worker are marked failed."
            )
        if queue_follow_up_if_due() and options["verbosity"]:
            self.stdout.write("Survey answers left waiting by a stopped worker are queued.")
        if options["verbosity"]:
            self.stdout.write(
                f"Solidground worker {worker_id} (data in {settings.DATA_DIR}): running queued "
                "imports; Ctrl-C stops it after the current import."
            )
        previous = {number: signal.getsignal(number) for number in SIGNALS}
        try:
            with heartbeat(worker_id):
                call_command(
                    "db_worker",
                    queue_name="*",
                    interval=options["interval"],
                    batch=options["batch"],
                    max_tasks=options["max_tasks"],
                    worker_id=worker_id,
                    reload=False,
                    startup_delay=False,
                    verbosity=options["verbosity"],
                    stdout=self.stdout,
                    stderr=self.stderr,
                )
        finally:
            # db_worker installs its own handlers; give the caller (a test) its own back.
            for number, handler in previous.items():
                if handler is not None:
                    signal.signal(number, handler)
