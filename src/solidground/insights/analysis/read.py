"""Step 1 of an analysis: read what it works on, before anything is computed.

A full analysis (``customer_ids`` None) also reads the stored results along with the data,
so that the write step can store only the rows that changed. A re-analysis of some customers
(after an import) reads the last full analysis (its portfolio baseline and date) and those
customers' stored scope mappings (the classifier is not retrained for a few customers).
Every analysis also reads the SLA policies and which customers have cancelled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import polars as pl
from django.utils import timezone

from solidground.customers.models import Customer
from solidground.engine.sla import SlaPolicy
from solidground.insights.analysis import Progress
from solidground.insights.fetch import (
    Query,
    StoreFrames,
    default_reader,
    frame_queries,
    frames_from,
    load_policies,
    read_all,
)
from solidground.insights.models import (
    AnalysisRun,
    CustomerPeriod,
    CustomerTrend,
    TicketScope,
    TicketSla,
)
from solidground.insights.store import ResultTable

# The result tables a full analysis reads along with the data (as ``stored_<name>``) and then
# replaces by writing only the rows that changed (insights/store.py, analysis/write.py).
DIFFED = {
    "sla": ResultTable(TicketSla),
    "scope": ResultTable(TicketScope),
    "periods": ResultTable(CustomerPeriod),
    "trends": ResultTable(CustomerTrend),
}


@dataclass(frozen=True, eq=False)  # eq=False: frames do not compare with ==
class AnalysisInput:
    """Everything an analysis read from the store."""

    customer_ids: list[int] | None  # None: the whole portfolio (a full analysis)
    read_started: datetime  # when reading began (to find analyses that ran meanwhile)
    frames: StoreFrames
    # A full analysis: the stored results (``stored_sla`` etc., see ``DIFFED``), read
    # with the data; empty for a re-analysis of some customers.
    stored: Mapping[str, pl.DataFrame]
    previous: AnalysisRun | None  # the last full analysis (a re-analysis only)
    policies: dict[int, SlaPolicy]  # SLA policies by id
    pausing: dict[int, list[str]]  # each policy's pausing statuses
    previous_scope: pl.DataFrame | None  # stored scope mappings (a re-analysis only)
    cancelled: list[int]  # customers who have cancelled

    @property
    def full(self) -> bool:
        return self.customer_ids is None


def read_inputs(customer_ids: Sequence[int] | None, say: Progress) -> AnalysisInput:
    """Read the input frames (and the stored results, see the module's docstring)."""
    ids = list(customer_ids) if customer_ids is not None else None
    previous = _previous_full_run() if ids is not None else None
    say("Reading tickets, time, revenue and surveys")
    # Chosen outside the write transaction: the fast readers see only committed rows
    # (see fetch.default_reader).
    read_started = timezone.now()
    stored = stored_queries() if ids is None else {}
    results = read_all(default_reader(ids), frame_queries(ids) | stored)
    policies, pausing = load_policies()
    return AnalysisInput(
        customer_ids=ids,
        read_started=read_started,
        frames=frames_from(results),
        stored={name: results[name] for name in stored},
        previous=previous,
        policies=policies,
        pausing=pausing,
        previous_scope=_stored_scope(ids) if ids is not None else None,
        cancelled=_cancelled(ids),
    )


def stored_queries() -> dict[str, Query]:
    """The reads of the stored results of the ``DIFFED`` tables."""
    return {f"stored_{name}": spec.stored_query() for name, spec in DIFFED.items()}


def _previous_full_run() -> AnalysisRun | None:
    return (
        AnalysisRun.objects.filter(status=AnalysisRun.Status.FINISHED, customer_ids=[])
        .order_by("-started_at")
        .first()
    )


def _stored_scope(customer_ids: Sequence[int]) -> pl.DataFrame:
    rows = TicketScope.objects.filter(ticket__customer_id__in=customer_ids).values_list(
        "ticket_id", "catalogue_item_id", "method"
    )
    return pl.DataFrame(
        list(rows),
        schema={"ticket_id": pl.Int64, "item_id": pl.Int64, "method": pl.String},
        orient="row",
    )


def _cancelled(customer_ids: Sequence[int] | None) -> list[int]:
    """Customers who have cancelled (never solid, see engine.segments)."""
    customers = Customer.objects.filter(status=Customer.Status.CANCELLED)
    if customer_ids is not None:
        customers = customers.filter(pk__in=customer_ids)
    return list(customers.values_list("pk", flat=True))
