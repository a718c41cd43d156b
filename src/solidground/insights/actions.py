"""Run the engine on the store and keep the results (the insights write side).

``analyze()`` analyses all customers or some, in four steps (``insights/analysis/``):

1. read the frames and what the store already knows (``analysis/read.py``, ``fetch.py``);
2. compute: the SLA clock, scope mapping, monthly and quarterly figures compared with the
   portfolio, segments, trends and findings, as one ``AnalysisResult``
   (``analysis/compute.py``, the engine);
3. build the rows to store from it (``analysis/rows.py``);
4. store them in one transaction, then the whale curve from the stored profits and the
   run's record (``analysis/write.py``).

A full analysis then analyses again the customers that an import re-analysed meanwhile, and
fits renewal risk and the thesis test (``renewals``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from solidground.engine.findings import FindingThresholds
from solidground.engine.segments import SegmentThresholds
from solidground.insights.analysis import Progress
from solidground.insights.analysis.compute import AnalysisResult, compute, evaluate_sla
from solidground.insights.analysis.read import AnalysisInput, read_inputs
from solidground.insights.analysis.rows import build_rows
from solidground.insights.analysis.write import (
    WHALE_MONTHS,
    customers_analysed_since,
    record_failed,
    record_finished,
    write_rows,
    write_whale_curve,
)
from solidground.insights.models import AnalysisRun
from solidground.renewals.actions import do_fit_renewals

__all__ = [
    "WHALE_MONTHS",
    "AnalysisInput",
    "AnalysisResult",
    "Progress",
    "analyze",
    "analyze_customers",
    "evaluate_sla",
]


def analyze(
    *,
    customer_ids: Sequence[int] | None = None,
    now: datetime | None = None,
    progress: Progress | None = None,
    segment_thresholds: SegmentThresholds | None = None,
    finding_thresholds: FindingThresholds | None = None,
) -> AnalysisRun:
    """Analyse the whole portfolio, or re-analyse the given customers after an import.

    Results replace the previous ones for the same customers in one transaction: readers see
    either the old figures or the new ones, never a mix. A re-analysis compares with the
    portfolio baseline of the last full analysis and does not retrain the scope classifier.
    """
    say = progress or (lambda _message: None)
    now = now or timezone.now()
    started = time.perf_counter()
    ids = list(customer_ids) if customer_ids is not None else None
    run = AnalysisRun.objects.create(
        started_at=timezone.now(), status=AnalysisRun.Status.RUNNING, customer_ids=ids or []
    )
    try:
        data = read_inputs(ids, say)
        result = compute(
            data,
            now=now,
            segment_rules=segment_thresholds or SegmentThresholds(),
            finding_rules=finding_thresholds or FindingThresholds(),
            say=say,
        )
        say("Storing results")
        rows = build_rows(result, data.frames.tickets)
        with transaction.atomic():
            write_rows(rows, data, run)
            whale = write_whale_curve(result.as_of)
            record_finished(run, data, result, whale=whale, started=started)
            if data.full:
                # Customers re-analysed after an import while this analysis ran have newer
                # data than it read: analyse them again, inside this transaction.
                again = customers_analysed_since(data.read_started, run)
                if again:
                    analyze(
                        customer_ids=again,
                        now=now,
                        segment_thresholds=segment_thresholds,
                        finding_thresholds=finding_thresholds,
                    )
    except Exception as exc:
        record_failed(run, exc)
        raise
    if data.full:
        # Renewal risk and the thesis test, fitted on the figures just stored (issue 12).
        say("Renewal risk and the thesis test")
        do_fit_renewals(run=run, now=timezone.localdate(now))
    return run


def analyze_customers(customer_ids: Sequence[int]) -> AnalysisRun:
    """Re-analyse only these customers (called after an import or sync)."""
    return analyze(customer_ids=list(customer_ids))
