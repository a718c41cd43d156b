from __future__ import annotations

import io
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext
from rich.console import Console
from rich.table import Table
from rich.text import Text

from solidground.accounts.selectors import Viewer
from solidground.renewals.display import calendar_rows, model_rows
from solidground.renewals.management.commands import add_language_argument
from solidground.renewals.selectors import WINDOWS, portfolio_statistics, renewal_calendar


class Command(BaseCommand):
    help = "Print the contracts due for notice or renewal, with their risk and its reasons."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, choices=WINDOWS, default=90)
        parser.add_argument("--limit", type=int, default=0, help="show only the first N rows")
        add_language_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(options["language"]):
            self._print(days=options["days"], limit=options["limit"])

    def _print(self, *, days: int, limit: int) -> None:
        viewer = Viewer.everyone()
        calendar = renewal_calendar(viewer=viewer, days=days)
        if calendar.fit is None:
            raise CommandError(gettext("No renewal analysis yet; run `solidground analyze` first."))
        buffer = io.StringIO()
        console = Console(file=buffer, width=160)
        statistics = portfolio_statistics(viewer=viewer)
        model = model_rows(statistics) if statistics is not None else None
        if model is not None:
            console.print(f"{gettext('Method')}: {model.method}. {model.history}", markup=False)
            if model.note:
                console.print(model.note, markup=False)
        rows = calendar_rows(calendar)
        table = Table(
            title=gettext("Renewals in the next %(days)s days") % {"days": days},
            caption=gettext("Ordered by revenue at risk."),
        )
        for header in (
            gettext("Customer"),
            gettext("Notice by"),
            gettext("Renewal"),
            gettext("Risk"),
            gettext("Revenue at risk"),
            gettext("Reasons"),
        ):
            table.add_column(header)
        for row in rows[:limit] if limit else rows:
            # Text, not markup: a customer called "Bau [Nord]" stays as it is.
            table.add_row(
                *(
                    Text(cell)
                    for cell in (
                        f"{row.customer}\n{row.contract}",
                        row.notice,
                        row.renewal,
                        f"{row.level} {row.risk}".strip(),
                        row.at_risk,
                        "\n".join(row.reasons) or gettext("no warning sign"),
                    )
                )
            )
        console.print(table)
        if model is not None and model.calibration:
            cal = model.calibration
            console.print(
                gettext(
                    "Calibration on held-out time: concordance %(concordance)s, %(n)s "
                    "cancellations after %(cutoff)s"
                )
                % {
                    "concordance": cal["concordance"],
                    "n": cal["cancellations"],
                    "cutoff": cal["cutoff"],
                },
                markup=False,
            )
        self.stdout.write(buffer.getvalue(), ending="")
