"""`solidground sync zammad|connectwise|django-helpdesk`: pull a helpdesk or PSA over its API.

URL and credentials come from flags or from the environment (``SOLIDGROUND_<TOOL>_...``,
secrets also as ``..._FILE``; see docs/connectors.md). Each sync is one ImportRun, writes in one
transaction, is idempotent (a second sync without changes changes nothing) and re-runs the
analysis for the customers it touched. An unreachable server, a refused login or an answer that
is not the tool's API ends with one sentence naming the URL and the status, and exit status 1.
"""

from __future__ import annotations

from typing import Any

import httpx
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from solidground.config.env import env_str
from solidground.importers.models import ImportRun
from solidground.importers.sources.apiclient import RetryPolicy, SourceError
from solidground.importers.sources.common import SyncOutcome
from solidground.importers.sources.connectwise.client import ConnectWiseClient
from solidground.importers.sources.connectwise.sync import sync_connectwise
from solidground.importers.sources.django_helpdesk.client import HelpdeskClient
from solidground.importers.sources.django_helpdesk.sync import (
    parse_queue_names,
    sync_django_helpdesk,
)
from solidground.importers.sources.zammad.client import ZammadClient
from solidground.importers.sources.zammad.sync import sync_zammad

TOOLS = ("zammad", "connectwise", "django-helpdesk")
# Tests put an httpx.MockTransport here; None means the network.
TRANSPORT: httpx.BaseTransport | None = None
SHOWN_PROBLEMS = 10


class RichProgress:
    """SyncProgress as rich progress bars: one line per step (a spinner when the total is open)."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task: TaskID | None = None

    def step(self, label: str, total: int | None = None) -> None:
        self._finish()
        self.task = self.progress.add_task(label, total=total)

    def advance(self, amount: int = 1) -> None:
        if self.task is not None:
            self.progress.advance(self.task, amount)

    def _finish(self) -> None:
        if self.task is not None:
            done = self.progress.tasks[self.task].completed
            self.progress.update(self.task, total=done, completed=done)

    def close(self) -> None:
        self._finish()


class Command(BaseCommand):
    help = (
        "Sync tickets, customers, time and contracts from Zammad, ConnectWise Manage or "
        "django-helpdesk over their REST APIs (incremental where the API allows)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("tool", choices=TOOLS, help="the system to sync from")
        parser.add_argument("--url", help="the server's address (default: SOLIDGROUND_<TOOL>_URL)")
        parser.add_argument("--token", help="Zammad access token, or django-helpdesk API token")
        parser.add_argument("--company-id", help="ConnectWise company id (login company)")
        parser.add_argument("--public-key", help="ConnectWise API member public key")
        parser.add_argument("--private-key", help="ConnectWise API member private key")
        parser.add_argument("--client-id", help="ConnectWise clientId of the integration")
        parser.add_argument("--user", help="django-helpdesk user (staff) for basic auth")
        parser.add_argument("--password", help="django-helpdesk password for basic auth")
        parser.add_argument(
            "--queue-name",
            action="append",
            default=[],
            metavar="ID=NAME",
            help="django-helpdesk: customer name for a queue id (repeatable; the API does not "
            "give queue titles); also SOLIDGROUND_DJANGO_HELPDESK_QUEUES='1=Acme;2=Beta'",
        )
        parser.add_argument(
            "--minutes-per-unit",
            type=float,
            default=None,
            help="Zammad: minutes per time accounting unit (default 1, or "
            "SOLIDGROUND_ZAMMAD_MINUTES_PER_UNIT)",
        )
        parser.add_argument(
            "--full", action="store_true", help="ignore the stored cursor and read everything"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="fetch and validate, write nothing"
        )
        parser.add_argument(
            "--attempts",
            type=int,
            default=5,
            help="tries per request before giving up (429 and 5xx answers, network errors)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        tool: str = options["tool"]
        if options["attempts"] < 1:
            raise CommandError("--attempts must be 1 or more.")
        policy = RetryPolicy(attempts=options["attempts"])
        console = Console(stderr=True)
        columns = (
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        try:
            with Progress(*columns, console=console, transient=False) as bars:
                progress = RichProgress(bars)
                outcome = self._sync(tool, options, policy, progress)
                progress.close()
        except SourceError as exc:
            raise CommandError(str(exc)) from None
        self._report(tool, outcome)

    def _sync(
        self, tool: str, options: dict[str, Any], policy: RetryPolicy, progress: RichProgress
    ) -> SyncOutcome:
        if tool == "zammad":
            return self._zammad(options, policy, progress)
        if tool == "connectwise":
            return self._connectwise(options, policy, progress)
        return self._django_helpdesk(options, policy, progress)

    def _zammad(
        self, options: dict[str, Any], policy: RetryPolicy, progress: RichProgress
    ) -> SyncOutcome:
        url = _setting(options, "url", "SOLIDGROUND_ZAMMAD_URL", "Zammad URL")
        token = _setting(options, "token", "SOLIDGROUND_ZAMMAD_TOKEN", "Zammad access token")
        minutes = options["minutes_per_unit"]
        if minutes is None:
            raw = env_str("SOLIDGROUND_ZAMMAD_MINUTES_PER_UNIT", "1")
            try:
                minutes = float(raw)
            except ValueError:
                raise CommandError(
                    f"SOLIDGROUND_ZAMMAD_MINUTES_PER_UNIT must be a number such as 1 or 60, "
                    f"not {raw!r}."
                ) from None
        if minutes <= 0:
            raise CommandError("The minutes per Zammad time unit must be above 0.")
        with ZammadClient(url, token, transport=TRANSPORT, policy=policy) as client:
            return sync_zammad(
                client,
                full=options["full"],
                minutes_per_unit=minutes,
                dry_run=options["dry_run"],
                progress=progress,
            )

    def _connectwise(
        self, options: dict[str, Any], policy: RetryPolicy, progress: RichProgress
    ) -> SyncOutcome:
        prefix = "SOLIDGROUND_CONNECTWISE"
        url = _setting(options, "url", f"{prefix}_URL", "ConnectWise URL")
        company = _setting(options, "company_id", f"{prefix}_COMPANY_ID", "ConnectWise company id")
        public = _setting(options, "public_key", f"{prefix}_PUBLIC_KEY", "ConnectWise public key")
        private = _setting(
            options, "private_key", f"{prefix}_PRIVATE_KEY", "ConnectWise private key"
        )
        client_id = _setting(options, "client_id", f"{prefix}_CLIENT_ID", "ConnectWise clientId")
        with ConnectWiseClient(
            url,
            company_id=company,
            public_key=public,
            private_key=private,
            client_id=client_id,
            transport=TRANSPORT,
            policy=policy,
        ) as client:
            return sync_connectwise(
                client, full=options["full"], dry_run=options["dry_run"], progress=progress
            )

    def _django_helpdesk(
        self, options: dict[str, Any], policy: RetryPolicy, progress: RichProgress
    ) -> SyncOutcome:
        prefix = "SOLIDGROUND_DJANGO_HELPDESK"
        url = _setting(options, "url", f"{prefix}_URL", "django-helpdesk URL")
        token = options["token"] or env_str(f"{prefix}_TOKEN")
        user = options["user"] or env_str(f"{prefix}_USER")
        password = options["password"] or env_str(f"{prefix}_PASSWORD")
        if not token and not (user and password):
            raise CommandError(
                f"No django-helpdesk login: set {prefix}_USER and {prefix}_PASSWORD (or "
                f"{prefix}_TOKEN), or pass --user and --password (or --token)."
            )
        try:
            names = parse_queue_names(
                [*options["queue_name"], *env_str(f"{prefix}_QUEUES").split(";")]
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        with HelpdeskClient(
            url,
            user=user or None,
            password=password or None,
            token=token or None,
            transport=TRANSPORT,
            policy=policy,
        ) as client:
            return sync_django_helpdesk(
                client, queue_names=names, dry_run=options["dry_run"], progress=progress
            )

    def _report(self, tool: str, outcome: SyncOutcome) -> None:
        run = outcome.run
        verb = (
            "Checked (dry run, nothing written)"
            if run.status == ImportRun.Status.DRY_RUN
            else "Synced"
        )
        self.stdout.write(
            f"{verb} {tool} (import run {run.pk}, {outcome.requests} requests, "
            f"{run.seconds or 0:.1f} s): {run.created} created, {run.updated} updated, "
            f"{run.unchanged} unchanged, {run.rejected} rejected."
        )
        for kind, counts in run.counts_by_kind.items():
            self.stdout.write(
                f"  {kind}: {counts['created']} created, {counts['updated']} updated, "
                f"{counts['unchanged']} unchanged, {counts['rejected']} rejected"
            )
        # first_errors holds the writer's rejections and then what the mapping skipped.
        problems = list(run.first_errors)
        total = run.rejected + len(outcome.skipped)
        for problem in problems[:SHOWN_PROBLEMS]:
            self.stdout.write(self.style.WARNING(f"  ! {problem}"))
        if total > min(len(problems), SHOWN_PROBLEMS):
            self.stdout.write(
                self.style.WARNING(
                    f"  ! {total} problems in all; see import run {run.pk} in the admin."
                )
            )


def _setting(options: dict[str, Any], option: str, variable: str, what: str) -> str:
    value = options.get(option) or env_str(variable)
    if not value:
        flag = "--" + option.replace("_", "-")
        raise CommandError(f"No {what}: set {variable} (or {variable}_FILE) or pass {flag}.")
    return str(value).strip()
