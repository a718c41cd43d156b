"""What every selector shares: a share with its interval, month arithmetic, the last analysis."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TypeVar, cast

import numpy as np
from django.core.cache import cache
from django.utils import translation

from solidground.accounts.selectors import Viewer
from solidground.customers.models import Customer
from solidground.engine.periods import add_months
from solidground.engine.stats import wilson_interval
from solidground.insights import messages
from solidground.insights.models import AnalysisRun

# Fewer answers than this make an interval wide; pages show n next to the figure.
SMALL_SAMPLE = 30


@dataclass(frozen=True)
class Rate:
    """A share with its 95% Wilson interval; ``share`` is None when n is 0 ("no data")."""

    successes: int
    n: int
    share: float | None
    low: float | None
    high: float | None

    @classmethod
    def of(cls, successes: int, n: int) -> Rate:
        return cls.many([successes], [n])[0]

    @classmethod
    def stored(
        cls, successes: int, n: int, share: float | None, low: float | None, high: float | None
    ) -> Rate:
        """A share as the analysis stored it (no recomputation)."""
        if n == 0 or share is None:
            return cls(successes, n, None, None, None)
        return cls(successes, n, share, low, high)

    @classmethod
    def many(cls, successes: list[int], n: list[int]) -> list[Rate]:
        """``Rate.of`` for whole columns at once (one vectorised interval computation)."""
        if not n:
            return []
        low, high = wilson_interval(np.array(successes), np.array(n))
        return [
            cls(k, m, None, None, None) if m == 0 else cls(k, m, k / m, float(lo), float(hi))
            for k, m, lo, hi in zip(successes, n, low.tolist(), high.tolist(), strict=True)
        ]

    @property
    def small_sample(self) -> bool:
        # Fewer than 30 answers: the interval is wide; the UI says so next to the figure.
        return 0 < self.n < SMALL_SAMPLE


def month_minus(day: date, months: int) -> date:
    """The first of the month ``months`` before ``day``'s month."""
    return add_months(day, -months)


def last_analysis() -> AnalysisRun | None:
    """The last finished analysis (full or per customer), for "figures as of" lines."""
    return (
        AnalysisRun.objects.filter(status=AnalysisRun.Status.FINISHED)
        .order_by("-finished_at")
        .first()
    )


def message_context(run: AnalysisRun | None = None) -> messages.Context:
    """What the sentences of the last analysis (or ``run``) name besides their figures: the
    days its data cover and the levels of its intervals (messages.Context)."""
    run = run or last_analysis()
    if run is None:
        return messages.Context()
    return messages.Context.stored(run.baseline, run.thresholds)


def results_version() -> str:
    """Changes whenever an analysis (full or per customer) finishes: stored results changed."""
    latest = (
        AnalysisRun.objects.filter(status=AnalysisRun.Status.FINISHED)
        .order_by("-finished_at", "-pk")
        .values_list("pk", "finished_at")
        .first()
    )
    return "none" if latest is None else f"{latest[0]}-{latest[1]:%Y%m%d%H%M%S%f}"


def scope_key(viewer: Viewer) -> str:
    """Who sees what, as part of a cache key: all customers, or exactly these customers."""
    if viewer.sees_all_customers:
        return "all"
    ids = viewer.restrict(Customer.objects, path="").order_by("pk").values_list("pk", flat=True)
    digest = hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()[:16]
    return f"u{viewer.user_id}-{digest}"


T = TypeVar("T")
# Results change only when an analysis finishes (the key carries its version); the timeout
# bounds how long a change outside an analysis (a rename in the admin) takes to show.
CACHE_SECONDS = 300


def cached(name: str, viewer: Viewer, *parts: object, compute: Callable[[], T]) -> T:
    """``compute()`` once per analysis, viewer scope and ``parts``; then from the cache.

    A page over thousands of customers sums their stored months in about a second; the sums
    change only when an analysis finishes, so they are kept per process (Django's cache) under
    a key naming the analysis run, the viewer's customers and the page's parameters.
    """
    # Parameters may hold any text (a search); the key carries their digest. The language is
    # part of the key: cached rows carry translated labels (a segment's name in a badge).
    parts_digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:24]
    language = translation.get_language() or ""
    key = f"sg:{name}:{results_version()}:{scope_key(viewer)}:{language}:{parts_digest}"
    hit = cache.get(key)
    if hit is not None:
        return cast(T, hit)
    value = compute()
    cache.set(key, value, CACHE_SECONDS)
    return value
