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
from solidground.renewals.display import thesis_rows
from solidground.renewals.management.commands import add_language_argument
from solidground.renewals.selectors import portfolio_statistics


class Command(BaseCommand):
    help = "Print the thesis test: the three questions, their effects and verdicts."

    def add_arguments(self, parser: CommandParser) -> None:
        add_language_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(options["language"]):
            statistics = portfolio_statistics(viewer=Viewer.everyone())
            if statistics is None:
                raise CommandError(
                    gettext("No renewal analysis yet; run `solidground analyze` first.")
                )
            buffer = io.StringIO()
            console = Console(file=buffer, width=160)
            for answer in thesis_rows(statistics):
                console.print(f"{answer.question}. {answer.text}", style="bold", markup=False)
                console.print(answer.thesis, markup=False)
                if answer.measures:
                    table = Table()
                    for header in (
                        gettext("Measure"),
                        gettext("Fan-like"),
                        gettext("Satisfied"),
                        gettext("Effect and its interval (95%)"),
                    ):
                        table.add_column(header)
                    for row in answer.measures:
                        table.add_row(*(Text(cell) for cell in row))
                    console.print(table)
                console.print(f"{gettext('Verdict')}: {answer.verdict}", markup=False)
                console.print()
            self.stdout.write(buffer.getvalue(), ending="")
