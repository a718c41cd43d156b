from __future__ import annotations

import io
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.table import Table

from solidground.accounts.selectors import Viewer
from solidground.insights.selectors.common import Rate
from solidground.insights.selectors.portfolio import ORDERINGS, portfolio


def percent(value: float | None) -> str:
    return "no data" if value is None else f"{value:.0%}"


def rate_text(rate: Rate) -> str:
    if rate.share is None or rate.low is None or rate.high is None:
        return "no data"
    text = f"{rate.share:.0%} ({rate.low:.0%}-{rate.high:.0%})"
    return f"{text} n={rate.n}" if rate.small_sample else text


def money(value: Decimal) -> str:
    return f"{value.quantize(Decimal(1), rounding=ROUND_HALF_UP):,} {settings.CURRENCY}"


class Command(BaseCommand):
    help = "Print each customer's figures over the last months of the analysis."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--months", type=int, default=settings.PORTFOLIO_MONTHS)
        parser.add_argument("--order", choices=ORDERINGS, default="goodwill_share")
        parser.add_argument("--limit", type=int, default=0, help="show only the first N rows")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["months"] < 1:
            raise CommandError("--months must be 1 or more.")
        result = portfolio(
            viewer=Viewer.everyone(), months=options["months"], order=options["order"]
        )
        if not result.rows:
            raise CommandError("No analysis results yet; run `solidground analyze` first.")
        rows = result.rows[: options["limit"]] if options["limit"] else result.rows
        table = Table(
            title=f"Portfolio {result.first_month:%Y-%m} to {result.last_month:%Y-%m}",
            caption="CSAT and SLA with 95% Wilson intervals; n shown when under 30 answers.",
        )
        for header, justify in [
            ("Customer", "left"),
            ("Status", "left"),
            ("Segment", "left"),
            ("Tickets", "right"),
            ("Hours", "right"),
            ("Goodwill", "right"),
            ("Revenue", "right"),
            ("Margin", "right"),
            ("CSAT", "right"),
            ("Resolution SLA", "right"),
        ]:
            table.add_column(header, justify=justify)  # type: ignore[arg-type]
        for row in rows:
            table.add_row(
                row.name,
                row.status,
                row.segment.replace("_", " ") or "no data",
                f"{row.tickets:,}",
                f"{row.hours_total:,.0f}",
                percent(row.goodwill_share),
                money(row.revenue),
                percent(row.margin_share),
                rate_text(row.csat),
                rate_text(row.sla_resolution),
            )
        # Render to text first so the table goes through the command's stdout (tests, pipes).
        buffer = io.StringIO()
        terminal = self.stdout.isatty()
        Console(file=buffer, width=max(160, Console().width), force_terminal=terminal).print(table)
        self.stdout.write(buffer.getvalue(), ending="")
