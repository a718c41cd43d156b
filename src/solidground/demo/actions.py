"""Build the demo provider in the store: generate, load in one transaction, write ground truth."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from django.conf import settings
from django.db import transaction

from solidground.customers.models import Customer
from solidground.demo.generator import DemoData, generate
from solidground.demo.load import delete_domain_data, load_demo, sqlite_bulk_pragmas
from solidground.engine.periods import add_months

# (stage, done, total): generation stages count steps, loading stages count rows.
DemoProgress = Callable[[str, int, int], None]

GENERATION_STAGES = 7  # the stages generate() reports


class DemoStoreNotEmptyError(Exception):
    """The store already holds customers and the caller did not ask to rebuild it."""

    def __init__(self, customers: int) -> None:
        self.customers = customers
        super().__init__(
            f"The store already holds {customers:,} customers; run the demo with --fresh to "
            "delete all customer data (users are kept) and rebuild it."
        )


@dataclass(frozen=True)
class DemoSummary:
    seed: int
    customers: int
    months: int
    start: date  # first day of the first month
    end: date  # first day of the last month
    period_end: datetime  # first instant after the last month (UTC)
    counts: dict[str, int]  # rows written per model label
    replaced_customers: int  # customers deleted first (--fresh)
    generate_seconds: float
    load_seconds: float
    ground_truth_path: Path

    @property
    def tickets(self) -> int:
        return self.counts.get("service.ticket", 0)


def default_end(today: date) -> date:
    """The last full month before ``today`` (its first day)."""
    return add_months(date(today.year, today.month, 1), -1)


def ground_truth_path() -> Path:
    return Path(settings.DATA_DIR) / "demo" / "ground_truth.csv"


def build_demo(
    *,
    customers: int,
    months: int,
    seed: int,
    end: date,
    fresh: bool,
    progress: DemoProgress | None = None,
    renewal_effects: bool = True,
) -> DemoSummary:
    """Generate the demo provider and write it into the store.

    Refuses (``DemoStoreNotEmptyError``) when the store already holds customers, unless
    ``fresh``: then all domain data is deleted and rebuilt in the same transaction as the load,
    so an interrupted rebuild leaves the old store in place.
    """
    report = progress or (lambda _stage, _done, _total: None)
    # Fail before minutes of generation, and again inside the transaction (another process
    # may have loaded in between).
    existing = Customer.objects.count()
    if existing and not fresh:
        raise DemoStoreNotEmptyError(existing)

    started = time.perf_counter()
    step = 0

    def generation_stage(stage: str) -> None:
        nonlocal step
        report(f"Generating: {stage}", step, GENERATION_STAGES)
        step += 1

    data = generate(
        customers=customers,
        months=months,
        seed=seed,
        end=end,
        loaded_cost_per_hour=float(settings.LOADED_COST_PER_HOUR),
        progress=generation_stage,
        renewal_effects=renewal_effects,
    )
    report("Generating: done", GENERATION_STAGES, GENERATION_STAGES)
    generated = time.perf_counter()

    restore = sqlite_bulk_pragmas()
    try:
        with transaction.atomic():
            existing = Customer.objects.count()
            if existing and not fresh:
                raise DemoStoreNotEmptyError(existing)
            replaced = delete_domain_data() if fresh else 0
            counts = load_demo(
                data, progress=lambda label, done, total: report(f"Loading {label}", done, total)
            )
    finally:
        restore()
    loaded = time.perf_counter()
    path = write_ground_truth(data)
    return DemoSummary(
        seed=seed,
        customers=customers,
        months=months,
        start=data.start,
        end=data.end,
        period_end=data.period_end,
        counts=counts,
        replaced_customers=replaced,
        generate_seconds=generated - started,
        load_seconds=loaded - generated,
        ground_truth_path=path,
    )


def write_ground_truth(data: DemoData, path: Path | None = None) -> Path:
    """The planted archetypes, for tests and curious users; the analysis never reads it.

    Written after the load committed, via a temporary file and a rename, so the file always
    describes a store that exists.
    """
    target = path or ground_truth_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    header = (
        f"# solidground demo ground truth: seed={data.seed} customers={data.customers} "
        f"months={data.months} start={data.start:%Y-%m} end={data.end:%Y-%m}. "
        "Read with comment_prefix='#'; the analysis never reads this file.\n"
    )
    temporary = target.with_suffix(".csv.tmp")
    with temporary.open("w", encoding="utf-8", newline="") as handle:
        handle.write(header)
        handle.write(data.ground_truth.write_csv())
    os.replace(temporary, target)
    return target
