"""Stage 7 (continued): the revenue lines per customer and month."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from solidground.demo import texts
from solidground.demo.world.common import (
    AT_RISK,
    QUIET,
    SOURCE,
    UNPROFITABLE,
    Arr,
    date_series,
    external_ids,
    ids,
)
from solidground.demo.world.contracts import Fees
from solidground.demo.world.customers import Customers
from solidground.demo.world.planted import Planted
from solidground.demo.world.time_entries import Work
from solidground.demo.world.timeline import Timeline

_FEE_DESCRIPTIONS = pl.Series(
    ["Managed-Service-Pauschale", "Stundenkontingent", "Service nach Aufwand"]
)  # by contract kind


def revenue_lines(
    rng: np.random.Generator,
    customers: Customers,
    planted: Planted,
    fees: Fees,
    work: Work,
    timeline: Timeline,
) -> pl.DataFrame:
    """Fees, licences, billed extras and occasional projects, per customer and month."""
    month_epoch_days = np.array(
        [(day - date(1970, 1, 1)).days for day in timeline.month_starts], dtype=np.int64
    )
    fee_cells = np.nonzero(fees.monthly_fee > 0)
    licence_cells = np.nonzero(customers.active & planted.has_licences[:, None])
    extra_cells = np.nonzero(np.round(work.billed_extras) > 0)
    project_cells, project_amount, project_cost, project_name = _projects(rng, customers, timeline)
    parts = [
        _Lines(fee_cells, "recurring", fees.monthly_fee[fee_cells], np.zeros(fee_cells[0].size)),
        _Lines(
            licence_cells,
            "recurring",
            fees.licence_revenue[licence_cells[0]],
            fees.licence_cost[licence_cells[0]],
        ),
        _Lines(
            extra_cells,
            "extra",
            np.round(work.billed_extras[extra_cells]),
            np.zeros(extra_cells[0].size),
        ),
        _Lines(project_cells, "project", project_amount, project_cost),
    ]
    descriptions = [
        _FEE_DESCRIPTIONS.gather(customers.contract_kind[fee_cells[0]]),
        pl.Series(["Microsoft-365-Lizenzen"] * licence_cells[0].size, dtype=pl.String),
        pl.Series(["Zusatzleistungen nach Aufwand"] * extra_cells[0].size, dtype=pl.String),
        project_name,
    ]
    revenue = pl.concat(
        [
            part.frame(description, month_epoch_days)
            for part, description in zip(parts, descriptions, strict=True)
        ]
    ).sort("customer_id", "period", "kind", maintain_order=True)
    return revenue.select(
        ids(revenue.height),
        pl.lit(SOURCE).alias("source"),
        external_ids("R", revenue.height, 8).alias("external_id"),
        pl.all(),
    )


@dataclass(frozen=True)
class _Lines:
    """Revenue lines of one kind, one per (customer, month) cell."""

    cells: tuple[Arr, ...]  # customer indexes, month indexes
    kind: str
    amount: Arr  # cents
    cost: Arr  # direct cost, cents

    def frame(self, description: pl.Series, month_epoch_days: Arr) -> pl.DataFrame:
        customer, month = self.cells
        return pl.DataFrame(
            {
                "customer_id": customer.astype(np.int64) + 1,
                "contract_id": customer.astype(np.int64) + 1,
                "period": date_series(month_epoch_days[month]),
                "kind": [self.kind] * customer.size,
                "amount": self.amount.astype(np.int64),
                "direct_cost": self.cost.astype(np.int64),
                "description": description,
            }
        )


def _projects(
    rng: np.random.Generator, customers: Customers, timeline: Timeline
) -> tuple[tuple[Arr, ...], Arr, Arr, pl.Series]:
    """Occasional projects: hardware-heavy, so much of the amount is direct cost."""
    archetype = customers.archetype
    project_rate = np.select(
        [archetype == QUIET, archetype == AT_RISK, archetype == UNPROFITABLE],
        [0.05, 0.1, 0.0],
        0.25,
    )
    cells = np.nonzero(
        customers.active
        & (rng.random((customers.count, timeline.months)) < (project_rate / 12.0)[:, None])
    )
    amount = np.round(rng.lognormal(np.log(8000), 0.6, cells[0].size)) * 100
    cost = np.round(amount * rng.uniform(0.45, 0.7, amount.size))
    project = rng.integers(len(texts.PROJECTS), size=cells[0].size)
    return cells, amount, cost, pl.Series(texts.PROJECTS).gather(project)
