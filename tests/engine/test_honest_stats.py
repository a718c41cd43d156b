"""Issue 14's statistical promises, as properties: the NPS interval contains the score shown,
the ranking prior is bounded and keeps its guarantee, stored bounds are exactly 0 and 1."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from solidground.demo.generator import generate
from solidground.engine.metrics import customer_period_metrics, portfolio_baseline
from solidground.engine.stats import (
    RANKING_PRIOR_STRENGTH,
    BetaPrior,
    nps_interval,
    ranking_prior,
    shrunk_rate,
    wilson_interval,
)
from tests.engine.demo_engine import LOADED_COST_PER_HOUR, TIMEZONE, metric_inputs


@st.composite
def nps_counts(draw: st.DrawFn) -> tuple[int, int, int]:
    n = draw(st.integers(1, 400))
    promoters = draw(st.integers(0, n))
    detractors = draw(st.integers(0, n - promoters))
    return promoters, detractors, n


@given(nps_counts())
def test_the_nps_interval_contains_the_score_shown(counts: tuple[int, int, int]) -> None:
    score, low, high = nps_interval(*counts)

    assert -100 <= float(low) <= float(score) <= float(high) <= 100


def test_one_promoter_is_shown_inside_its_interval() -> None:
    # The adjusted-Wald interval of 1 promoter of 1 answer is -48 to 98, which misses 100.
    score, low, high = nps_interval(1, 0, 1)

    assert (float(score), round(float(low)), float(high)) == (100.0, -48, 100.0)


@st.composite
def portfolios(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    size = draw(st.integers(0, 40))
    n = np.array(draw(st.lists(st.integers(0, 60), min_size=size, max_size=size)), dtype=float)
    shares = draw(st.lists(st.floats(0, 1), min_size=size, max_size=size))
    successes = np.floor(n * np.array(shares, dtype=float))
    return successes, n


@settings(max_examples=60, deadline=None)
@given(portfolios())
def test_the_ranking_prior_never_collapses_or_explodes(
    portfolio: tuple[np.ndarray, np.ndarray],
) -> None:
    prior = ranking_prior(*portfolio)

    low, high = RANKING_PRIOR_STRENGTH
    assert low - 1e-9 <= prior.strength <= high + 1e-9
    assert 0 < prior.mean < 1


@given(
    mean=st.floats(0.01, 0.99),
    strength=st.floats(*RANKING_PRIOR_STRENGTH),
    small=st.integers(1, 10),
    large=st.integers(100, 5_000),
    above=st.floats(0, 1),
)
def test_a_small_perfect_sample_never_outranks_a_large_one_above_the_prior(
    mean: float, strength: float, small: int, large: int, above: float
) -> None:
    # given a ranking prior, a perfect sample of up to 10 answers, and a sample of 100 or more
    # answers whose share lies at least halfway between the prior mean and 100%
    prior = BetaPrior(alpha=mean * strength, beta=(1 - mean) * strength)
    halfway = (1 + mean) / 2
    positive = min(large, math.ceil(large * (halfway + above * (1 - halfway))))

    # when both are shrunk towards the prior
    perfect, big = shrunk_rate([small, positive], [small, large], prior)

    # then the large sample ranks above the small perfect one
    assert big > perfect


def test_the_monthly_prior_stays_steady_on_the_demo() -> None:
    # given two years of the demo provider, by month
    data = generate(customers=60, months=24, seed=2, end=dt.date(2026, 3, 1))
    months = customer_period_metrics(
        metric_inputs(data),
        kind="month",
        timezone=TIMEZONE,
        loaded_cost_per_hour=LOADED_COST_PER_HOUR,
    )

    # when the portfolio's priors are fitted
    priors = portfolio_baseline(months).frame.sort("period_start")
    strength = priors["csat_prior_alpha"] + priors["csat_prior_beta"]
    mean = priors["csat_prior_alpha"] / strength

    # then once a year of answers is pooled (the second year) the prior barely moves
    settled = pl.DataFrame({"strength": strength, "mean": mean}).tail(12)
    assert settled["strength"].min() >= RANKING_PRIOR_STRENGTH[0]  # type: ignore[operator]
    assert settled["strength"].max() <= RANKING_PRIOR_STRENGTH[1]  # type: ignore[operator]
    assert settled["mean"].diff().abs().max() < 0.03  # type: ignore[operator]


@given(st.integers(1, 10_000), st.sampled_from([0.05, 0.01]))
def test_wilson_bounds_are_exactly_0_and_1_at_the_edges(n: int, alpha: float) -> None:
    low, high = wilson_interval([0, n], [n, n], alpha)

    assert float(low[0]) == 0.0
    assert float(high[1]) == 1.0
