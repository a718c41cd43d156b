"""`solidground report`: service reviews as PDF or HTML files (docs/reports.md).

    solidground report CUSTOMER --quarter 2026Q3 [--internal] [--lang en] [--format pdf|html]
                       [--out DIR]
    solidground report --all --quarter 2026Q3 --out reviews/
    solidground report --portfolio --out reviews/

Reads stored results only. Input a user can fix (an unknown customer, a period in the future
or without figures) ends with one sentence and exit status 2; nothing is written then.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone, translation

from solidground.accounts.selectors import Viewer
from solidground.customers.models import Customer
from solidground.reports import worker
from solidground.reports.periods import (
    ReportInputError,
    ReportPeriod,
)
from solidground.reports.render import (
    FORMATS,
    Format,
    as_bytes,
    customer_file,
    file_name,
    portfolio_file_name,
    portfolio_html,
)
from solidground.reports.selectors import (
    CustomerReview,
    customer_review,
    find_customer,
    review_period,
)

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

# The portfolio (renewals, whale curve), the progress bar and the process pool are imported
# where they are used: one customer's review, the common case, needs none of them, and a
# fresh process pays every import (docs/reports.md, "Speed").

# CommandError's exit status for input a user can fix (argparse uses 2 for usage errors too).
USER_ERROR = 2


def _fail(message: str) -> CommandError:
    return CommandError(message, returncode=USER_ERROR)


@contextmanager
def _executor(jobs: int) -> Iterator[ProcessPoolExecutor | None]:
    """Worker processes for ``jobs`` > 1 (started fresh: "spawn", no inherited connections)."""
    if jobs <= 1:
        yield None
        return
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    with ProcessPoolExecutor(
        max_workers=jobs, mp_context=get_context("spawn"), initializer=worker.setup
    ) as pool:
        yield pool


class Command(BaseCommand):
    help = (
        "Write service reviews (PDF or HTML) for a customer or every active customer, "
        "or the owner's portfolio review, from the stored analysis results."
    )
    # Reading stored results needs none of Django's system checks, which cost a noticeable
    # share of a single review's start-up; `solidground check` and `serve` still run them.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("customer", nargs="?", help="the customer's id or exact name")
        parser.add_argument("--all", action="store_true", help="a review for every active customer")
        parser.add_argument("--portfolio", action="store_true", help="the owner's portfolio review")
        parser.add_argument(
            "--quarter",
            "--period",
            dest="period",
            default="",
            help="2026Q3 or a month such as 2026-07 (default: the last complete quarter)",
        )
        parser.add_argument(
            "--internal",
            action="store_true",
            help="the provider's version: margin, segment, findings, agenda",
        )
        parser.add_argument("--lang", choices=[code for code, _ in settings.LANGUAGES])
        parser.add_argument("--format", choices=FORMATS, default="pdf")
        parser.add_argument("--out", default=".", help="folder for the files (created if needed)")
        parser.add_argument(
            "--jobs",
            type=int,
            default=0,
            help="processes that render PDFs with --all (default: one per CPU, at most 4)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        language = options["lang"] or settings.LANGUAGE_CODE
        fmt: Format = options["format"]
        chosen = [bool(options["customer"]), options["all"], options["portfolio"]]
        if sum(chosen) != 1:
            raise _fail("Name one customer, or give --all or --portfolio (exactly one of them).")
        out = Path(options["out"]).expanduser()
        with translation.override(language):
            try:
                if options["portfolio"]:
                    self._portfolio(out, language, fmt)
                    return
                period = review_period(options["period"], today=timezone.localdate())
                viewer = Viewer.everyone()
                if options["all"]:
                    customers = list(
                        Customer.objects.filter(status=Customer.Status.ACTIVE).order_by(
                            "name", "pk"
                        )
                    )
                    if not customers:
                        raise _fail("There is no active customer to write a review for.")
                else:
                    customers = [find_customer(viewer=viewer, text=options["customer"])]
                jobs = options["jobs"] or min(os.cpu_count() or 1, 4)
                if jobs < 1:
                    raise _fail("--jobs must be 1 or more.")
                reviews = self._reviews(customers, period, options["internal"], language)
                self._folder(out)
                self._render(reviews, period, out, language, fmt, jobs if len(reviews) > 1 else 1)
            except ReportInputError as exc:
                raise _fail(str(exc)) from exc

    def _folder(self, out: Path) -> None:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _fail(f"Cannot create the folder {out}: {exc.strerror}.") from exc

    def _write(self, path: Path, data: bytes) -> None:
        # Write next to the target and rename: a reader never sees half a file.
        partial = path.with_name(f".{path.name}.part")
        try:
            partial.write_bytes(data)
            partial.replace(path)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise _fail(f"Cannot write {path}: {exc.strerror}.") from exc

    def _reviews(
        self, customers: list[Customer], period: ReportPeriod, internal: bool, language: str
    ) -> list[CustomerReview]:
        """Every review read from the store before anything is written."""
        viewer = Viewer.everyone()
        single = len(customers) == 1
        reviews = []
        for customer in customers:
            review = customer_review(
                viewer=viewer,
                customer_id=customer.pk,
                period=period,
                internal=internal,
                language=language,
            )
            if review is None:  # pragma: no cover - the command's viewer sees everyone
                continue
            if single and not review.has_data:
                raise _fail(
                    f"{customer.name} has no stored figures for {period.label}: "
                    "choose a period in which it had tickets, time or revenue."
                )
            reviews.append(review)
        return reviews

    def _render(
        self,
        reviews: list[CustomerReview],
        period: ReportPeriod,
        out: Path,
        language: str,
        fmt: Format,
        jobs: int,
    ) -> None:
        """Render and write each review; with several jobs, PDFs are rendered in parallel."""
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        started = time.perf_counter()
        quiet = len(reviews) == 1 or not self.stdout.isatty()
        with (
            Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                disable=quiet,
            ) as progress,
            _executor(jobs) as pool,
        ):
            task = progress.add_task(f"Reviews {period.label}", total=len(reviews))
            results = (
                pool.map(worker.render_file, reviews, repeat(language), repeat(fmt))
                if pool is not None
                else (customer_file(r, language, fmt) for r in reviews)
            )
            for review, data in zip(reviews, results, strict=True):
                path = out / file_name(review, fmt)
                self._write(path, data)
                progress.advance(task)
                if quiet:
                    note = "" if review.has_data else " (no figures for the period: says so)"
                    self.stdout.write(f"{path}{note}")
        if len(reviews) > 1:
            total = time.perf_counter() - started
            self.stdout.write(
                f"{len(reviews)} reviews in {total:.1f} s with {jobs} process(es) "
                f"({total / len(reviews):.2f} s per review)."
            )

    def _portfolio(self, out: Path, language: str, fmt: Format) -> None:
        from solidground.reports.portfolio import portfolio_review

        review = portfolio_review(viewer=Viewer.everyone(), language=language)
        if not review.sections:
            raise _fail("There are no analysis results yet; run `solidground analyze` first.")
        self._folder(out)
        path = out / portfolio_file_name(review.as_of, fmt)
        self._write(path, as_bytes(portfolio_html(review, language=language), fmt))
        self.stdout.write(str(path))
