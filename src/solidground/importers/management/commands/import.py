"""`solidground import FILE --preset NAME | --mapping FILE`: a CSV/XLSX export into the store.

Staged: every row is validated; rejected rows are shown as a table and written to a rejects
CSV; the valid rows are written in one transaction (``--strict``: none if any row is bad).
Importing the same file again changes nothing. Exit status 1 when the import was refused,
failed, or (with ``--strict``) any row was rejected.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from solidground.importers.actions import do_import_file
from solidground.importers.mapping import MappingError, list_presets
from solidground.importers.models import ImportRun
from solidground.importers.reading import FileFormatError
from solidground.importers.records import KINDS

SHOWN_ERRORS = 20


class Command(BaseCommand):
    help = "Import a CSV or XLSX export with a preset or a column mapping (TOML/YAML)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the CSV or XLSX file")
        which = parser.add_mutually_exclusive_group()
        which.add_argument(
            "--preset", help="a preset name, e.g. connectwise-tickets (--list-presets)"
        )
        which.add_argument("--mapping", type=Path, help="your mapping file (.toml or .yaml)")
        which.add_argument("--list-presets", action="store_true", help="list the presets and exit")
        parser.add_argument(
            "--strict", action="store_true", help="import nothing if any row is bad"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="validate and count, write nothing"
        )
        parser.add_argument(
            "--no-create-customers",
            action="store_true",
            help="reject rows whose customer is not in the store instead of creating it",
        )
        parser.add_argument("--chunk-size", type=int, default=None, help="rows per chunk")
        parser.add_argument("--rejects", type=Path, default=None, help="where the rejects CSV goes")
        parser.add_argument(
            "--no-analysis", action="store_true", help="do not re-run the analysis afterwards"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        console = Console(file=cast(TextIO, self.stdout), highlight=False, soft_wrap=True)
        if options["list_presets"]:
            for name in list_presets():
                console.print(name)
            return
        path: Path = options["file"]
        if not options["preset"] and not options["mapping"]:
            raise CommandError(
                "give --preset NAME or --mapping FILE; presets: " + ", ".join(list_presets())
            )
        with Progress(
            TextColumn(f"Importing {path.name}"),
            BarColumn(),
            DownloadColumn(),
            TimeElapsedColumn(),
            console=Console(file=cast(TextIO, self.stderr)),
            transient=True,
            disable=options["verbosity"] < 1,
        ) as progress:
            task = progress.add_task("import", total=None)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            try:
                outcome = do_import_file(
                    path,
                    preset=options["preset"],
                    mapping=options["mapping"],
                    strict=options["strict"],
                    dry_run=options["dry_run"],
                    chunk_size=options["chunk_size"],
                    create_missing_customers=not options["no_create_customers"],
                    rejects_path=options["rejects"],
                    analyze=not options["no_analysis"],
                    progress=advance,
                )
            except (MappingError, FileFormatError) as exc:
                raise CommandError(str(exc)) from None
        run = outcome.run
        result = outcome.result
        for warning in outcome.warnings:
            console.print(f"[yellow]note:[/] {warning}")
        table = Table(title=f"{path.name} ({run.preset})")
        for column in ("kind", "created", "updated", "unchanged", "rejected"):
            table.add_column(column, justify="left" if column == "kind" else "right")
        for kind in sorted(result.counts, key=KINDS.index):
            counts = result.counts[kind]
            table.add_row(
                kind,
                str(counts.created),
                str(counts.updated),
                str(counts.unchanged),
                str(counts.rejected),
            )
        console.print(table)
        if result.errors:
            errors = Table(
                title=f"first {min(SHOWN_ERRORS, result.error_count)} of "
                f"{result.error_count} errors"
            )
            for column in ("row", "column", "value", "reason"):
                errors.add_column(column)
            for error in result.errors[:SHOWN_ERRORS]:
                errors.add_row(str(error.row), error.column, error.value, error.reason)
            console.print(errors)
        if outcome.rejects_path:
            console.print(f"Rejected rows: {outcome.rejects_path}")
        if run.status == ImportRun.Status.REFUSED:
            raise CommandError(
                f"--strict: {result.error_count} errors, nothing was imported; "
                "fix the rows above (all are in the rejects file) and import again"
            )
        verb = "Would import" if run.status == ImportRun.Status.DRY_RUN else "Imported"
        console.print(
            f"{verb} {run.rows} rows in {run.seconds or 0:.1f} s: {run.created} created, "
            f"{run.updated} updated, {run.unchanged} unchanged, {run.rejected} rejected "
            f"(import run {run.pk})."
        )
