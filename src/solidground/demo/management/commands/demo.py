"""`solidground demo`: build the demo provider (a plausible German MSP) in the store."""

from __future__ import annotations

import io
import re
import sys
from datetime import date
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from solidground.customers.models import Customer
from solidground.demo.actions import DemoStoreNotEmptyError, DemoSummary, build_demo, default_end
from solidground.demo.login import DemoLogin, ensure_demo_login

_MONTH = re.compile(r"(\d{4})-(\d{2})")


def _month(value: str) -> date:
    match = _MONTH.fullmatch(value.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise CommandError(f"--end must be a month such as 2025-06, not {value!r}.")
    return date(int(match.group(1)), int(match.group(2)), 1)


def _positive(name: str, value: int, largest: int) -> int:
    if not 1 <= value <= largest:
        raise CommandError(f"--{name} must be between 1 and {largest:,}, not {value}.")
    return value


class Command(BaseCommand):
    help = (
        "Build the demo provider: customers, contracts, tickets, time, surveys and revenue of a "
        "plausible German MSP, with planted archetypes (see <data dir>/demo/ground_truth.csv)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customers", type=int, default=60, help="customers (default 60)")
        parser.add_argument("--months", type=int, default=24, help="months of history (24)")
        parser.add_argument("--seed", type=int, default=42, help="random seed (42)")
        parser.add_argument(
            "--end", type=str, default=None, help="last month, YYYY-MM (last full month)"
        )
        parser.add_argument(
            "--fresh",
            action="store_true",
            help="delete all customer data first (users are kept) and rebuild",
        )
        parser.add_argument(
            "--no-analyze",
            action="store_true",
            help="only build the data; skip the analysis, the portfolio and the login",
        )
        parser.add_argument(
            "--no-renewal-effects",
            action="store_true",
            help="cancellations and expansions independent of the service (the thesis test's null)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        customers = _positive("customers", options["customers"], 100_000)
        months = _positive("months", options["months"], 120)
        seed = int(options["seed"])
        end = _month(options["end"]) if options["end"] else default_end(timezone.localdate())
        self.stdout.write(
            f"Demo provider: {customers:,} customers, {months} months up to {end:%Y-%m}, "
            f"seed {seed}."
        )
        # A fresh machine has no tables yet: `make demo` must work as the very first command.
        call_command("migrate", interactive=False, verbosity=0)
        fresh = bool(options["fresh"]) or self._confirm_rebuild()
        effects = not options["no_renewal_effects"]
        summary = self._build(customers, months, seed, end, fresh, renewal_effects=effects)
        self.stdout.write(self._report(summary), ending="")
        if options["no_analyze"]:
            return
        call_command("analyze", stdout=self.stdout, stderr=self.stderr)
        call_command("portfolio", stdout=self.stdout)
        self.stdout.write(self._login_text(ensure_demo_login()))

    def _confirm_rebuild(self) -> bool:
        """Ask before replacing an existing store, when someone is there to answer."""
        existing = Customer.objects.count()
        if not existing or not sys.stdin.isatty():
            return False
        answer = input(
            f"The store already holds {existing:,} customers. Delete them and rebuild the demo? "
            "[y/N] "
        )
        if answer.strip().lower() not in {"y", "yes", "j", "ja"}:
            raise CommandError("Left the store as it was.")
        return True

    def _login_text(self, login: DemoLogin) -> str:
        if login.password:
            credentials = (
                f"  user {login.username}, password {login.password}\n"
                "  (shown only this once; change it with "
                f"`solidground changepassword {login.username}`)"
            )
        else:
            credentials = (
                f"  user {login.username} (its password was shown when the demo first ran; "
                f"reset it with `solidground changepassword {login.username}`)"
            )
        return (
            "\nOpen the dashboard: `make serve` (or `.venv/bin/solidground serve`), then "
            f"http://127.0.0.1:8000/ and log in as\n{credentials}\n"
        )

    def _build(
        self,
        customers: int,
        months: int,
        seed: int,
        end: date,
        fresh: bool,
        *,
        renewal_effects: bool = True,
    ) -> DemoSummary:
        console = Console(stderr=True)
        columns = (
            TextColumn("{task.description:<44}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        tasks: dict[str, TaskID] = {}
        with Progress(*columns, console=console, transient=True) as bar:

            def progress(stage: str, done: int, total: int) -> None:
                # Generation stages share one bar; each table being loaded gets its own.
                key = "Generating" if stage.startswith("Generating") else stage
                if key not in tasks:
                    tasks[key] = bar.add_task(stage, total=max(total, 1))
                bar.update(tasks[key], description=stage, completed=done, total=max(total, 1))

            try:
                return build_demo(
                    customers=customers,
                    months=months,
                    seed=seed,
                    end=end,
                    fresh=fresh,
                    progress=progress,
                    renewal_effects=renewal_effects,
                )
            except DemoStoreNotEmptyError as exc:
                raise CommandError(str(exc)) from exc

    def _report(self, summary: DemoSummary) -> str:
        table = Table(title=f"Demo provider (seed {summary.seed})", show_edge=False)
        table.add_column("table")
        table.add_column("rows", justify="right")
        for label, rows in summary.counts.items():
            table.add_row(label, f"{rows:,}")
        buffer = io.StringIO()
        console = Console(file=buffer, width=100, force_terminal=False)
        if summary.replaced_customers:
            console.print(
                f"Replaced the previous {summary.replaced_customers:,} customers.", soft_wrap=True
            )
        console.print(table)
        console.print(
            f"Months {summary.start:%Y-%m} to {summary.end:%Y-%m}. Generated in "
            f"{summary.generate_seconds:.1f} s, loaded in {summary.load_seconds:.1f} s. "
            f"Ground truth: {summary.ground_truth_path}",
            soft_wrap=True,
        )
        return buffer.getvalue()
