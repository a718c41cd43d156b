"""What every selector shares: a share with its interval, month arithmetic, the last analysis."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from solidground.engine.stats import wilson_interval
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
        if n == 0:
            return cls(successes, n, None, None, None)
        low, high = wilson_interval(np.array([successes]), np.array([n]))
        return cls(successes, n, successes / n, float(low[0]), float(high[0]))

    @classmethod
    def stored(
        cls, successes: int, n: int, share: float | None, low: float | None, high: float | None
    ) -> Rate:
        """A share as the analysis stored it (no recomputation)."""
        if n == 0 or share is None:
            return cls(successes, n, None, None, None)
        return cls(successes, n, share, low, high)

    @property
    def small_sample(self) -> bool:
        # Fewer than 30 answers: the interval is wide; the UI says so next to the figure.
        return 0 < self.n < SMALL_SAMPLE


def month_minus(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def last_analysis() -> AnalysisRun | None:
    """The last finished analysis (full or per customer), for "figures as of" lines."""
    return (
        AnalysisRun.objects.filter(status=AnalysisRun.Status.FINISHED)
        .order_by("-finished_at")
        .first()
    )
