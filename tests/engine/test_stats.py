"""Tests for the statistics toolbox: each statistic against an independent computation.

Random data use fixed seeds, named in the assertion messages so a failure reproduces.
"""

from __future__ import annotations

import doctest
import warnings
from typing import Literal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize
from scipy import stats as scipy_stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint
from statsmodels.stats.rates import test_poisson_2indep as statsmodels_poisson_2indep

from solidground.engine import stats as solidground_stats
from solidground.engine.stats import (
    BetaPrior,
    consecutive_rises,
    creep_flags,
    fit_beta_prior,
    mean_ci,
    newcombe_difference,
    nps,
    nps_interval,
    poisson_rate_test,
    share,
    shrunk_rate,
    wilson_interval,
)

SEED = 20240611
PoissonMethod = Literal["cond-midp", "exact-cond"]


@st.composite
def answer_counts(draw: st.DrawFn, max_n: int = 2_000) -> tuple[int, int]:
    n = draw(st.integers(min_value=1, max_value=max_n))
    return draw(st.integers(min_value=0, max_value=n)), n


def poisson_reference(
    count1: float, exposure1: float, count2: float, exposure2: float, method: PoissonMethod
) -> float:
    # statsmodels divides by zero computing the ratio when a count is 0; its p-value is fine.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        result = statsmodels_poisson_2indep(count1, exposure1, count2, exposure2, method=method)
    return float(result.pvalue)


# --- the module's own examples -------------------------------------------------------------


def test_docstring_examples_hold() -> None:
    # given the examples in the docstrings
    # when they are run
    result = doctest.testmod(solidground_stats)

    # then every one of them prints what it promises
    assert result.attempted > 10
    assert result.failed == 0


# --- share and Wilson interval --------------------------------------------------------------


def test_share_of_no_answers_is_missing_not_zero() -> None:
    # given one customer with answers and one without
    # when their shares are computed
    result = share([3, 0], [4, 0])

    # then the customer without answers has no share, rather than 0%
    assert result[0] == 0.75
    assert np.isnan(result[1])


@pytest.mark.parametrize(
    ("successes", "n"),
    [
        (0, 1),  # one answer, negative
        (1, 1),  # one answer, positive
        (20, 20),  # all positive
        (0, 20),  # all negative
        (18, 40),
        (950_123, 1_000_000),  # large n
    ],
)
def test_wilson_interval_matches_statsmodels(successes: int, n: int) -> None:
    # given a customer's answers
    # when the 95% Wilson interval is computed
    low, high = wilson_interval(successes, n)

    # then it is the interval statsmodels computes
    expected_low, expected_high = proportion_confint(successes, n, method="wilson")
    assert float(low) == pytest.approx(expected_low, abs=1e-12)
    assert float(high) == pytest.approx(expected_high, abs=1e-12)


def test_wilson_interval_honours_alpha() -> None:
    # given a 90% interval request
    low, high = wilson_interval([7, 45], [10, 50], alpha=0.10)

    # then it matches statsmodels at the same level
    expected_low, expected_high = proportion_confint([7, 45], [10, 50], 0.10, method="wilson")
    np.testing.assert_allclose(low, expected_low, atol=1e-12)
    np.testing.assert_allclose(high, expected_high, atol=1e-12)


def test_wilson_interval_of_all_positive_answers_reaches_one_but_not_down_to_it() -> None:
    # given a customer who answered positively three times out of three
    low, high = wilson_interval(3, 3)

    # then the interval touches 100% but admits a much lower true share
    assert float(high) == 1.0
    assert 0.4 < float(low) < 0.5


def test_wilson_interval_without_answers_is_missing() -> None:
    # given a column where one customer had no answers
    low, high = wilson_interval([5, 0, 9], [10, 0, 9])

    # then that customer's interval is missing, the others are not
    assert np.isnan(low[1])
    assert np.isnan(high[1])
    assert np.isfinite(low[[0, 2]]).all()
    assert np.isfinite(high[[0, 2]]).all()


def test_wilson_interval_passes_missing_counts_through() -> None:
    # given a count that is missing
    low, high = wilson_interval(np.nan, 10)

    # then so is the interval
    assert np.isnan(low)
    assert np.isnan(high)


def test_scalar_input_gives_plain_numbers() -> None:
    # given scalar counts
    low, high = wilson_interval(9, 10)

    # then the results are 0-d and convert to float
    assert np.shape(low) == ()
    assert isinstance(float(high), float)


def test_impossible_counts_are_refused_with_the_offending_values() -> None:
    # given more positive answers than answers in the second row
    # when the interval is requested
    # then the error names the row and the values
    with pytest.raises(ValueError, match=r"successes=12, n=10 at index \(1,\)"):
        wilson_interval([3, 12], [4, 10])


def test_bad_alpha_is_refused() -> None:
    with pytest.raises(ValueError, match="alpha"):
        wilson_interval(3, 4, alpha=1.5)


@settings(max_examples=200, deadline=None)
@given(st.lists(answer_counts(), min_size=1, max_size=20))
def test_wilson_interval_matches_statsmodels_for_any_counts(pairs: list[tuple[int, int]]) -> None:
    # given any column of (positive answers, answers)
    successes = np.array([s for s, _ in pairs])
    n = np.array([m for _, m in pairs])

    # when computed in one vectorised call
    low, high = wilson_interval(successes, n)

    # then each row agrees with statsmodels and contains the observed share
    expected_low, expected_high = proportion_confint(successes, n, method="wilson")
    np.testing.assert_allclose(low, expected_low, atol=1e-12)
    np.testing.assert_allclose(high, expected_high, atol=1e-12)
    observed = successes / n
    assert np.all((low <= observed + 1e-12) & (observed <= high + 1e-12))


# --- Newcombe difference --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("s1", "n1", "s2", "n2"),
    [
        (90, 100, 70, 100),
        (1, 1, 0, 1),  # one answer each
        (20, 20, 20, 20),  # all positive in both periods
        (0, 15, 0, 30),  # all negative in both
        (3, 3, 95, 100),
        (94_000, 100_000, 95_500, 100_000),  # large n
    ],
)
def test_newcombe_difference_matches_statsmodels(s1: int, n1: int, s2: int, n2: int) -> None:
    # given two periods' answers
    result = newcombe_difference(s1, n1, s2, n2)

    # then difference and interval are those of statsmodels' Newcombe method
    expected_low, expected_high = confint_proportions_2indep(
        s1, n1, s2, n2, compare="diff", method="newcomb"
    )
    assert float(result.diff) == pytest.approx(s1 / n1 - s2 / n2)
    assert float(result.low) == pytest.approx(expected_low, abs=1e-12)
    assert float(result.high) == pytest.approx(expected_high, abs=1e-12)


def test_newcombe_difference_flags_only_real_changes() -> None:
    # given the same drop from 90% to 70% once on 100 answers and once on 10
    result = newcombe_difference([90, 9], [100, 10], [70, 7], [100, 10])

    # then only the drop backed by 100 answers counts as significant
    assert result.significant.tolist() == [True, False]


def test_newcombe_difference_without_answers_in_one_period_is_missing() -> None:
    # given a period without answers
    result = newcombe_difference(5, 10, 0, 0)

    # then there is no difference to report, and it is not significant
    assert np.isnan(result.diff)
    assert np.isnan(result.low)
    assert np.isnan(result.high)
    assert not result.significant


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(answer_counts(), answer_counts()), min_size=1, max_size=20))
def test_newcombe_difference_matches_statsmodels_for_any_counts(
    rows: list[tuple[tuple[int, int], tuple[int, int]]],
) -> None:
    # given any column of two periods' counts
    s1 = np.array([first[0] for first, _ in rows])
    n1 = np.array([first[1] for first, _ in rows])
    s2 = np.array([second[0] for _, second in rows])
    n2 = np.array([second[1] for _, second in rows])

    # when computed in one vectorised call
    result = newcombe_difference(s1, n1, s2, n2)

    # then it agrees with statsmodels row by row
    expected_low, expected_high = confint_proportions_2indep(
        s1, n1, s2, n2, compare="diff", method="newcomb"
    )
    np.testing.assert_allclose(result.low, expected_low, atol=1e-12)
    np.testing.assert_allclose(result.high, expected_high, atol=1e-12)
    assert np.all(result.significant == ((result.low > 0) | (result.high < 0)))


# --- NPS -------------------------------------------------------------------------------------


def independent_margin(promoters: float, passives: float, detractors: float) -> float:
    # The NPS margin is 1.96 standard errors of the mean of the answers scored +1 / 0 / -1.
    values = np.array([1.0, 0.0, -1.0])
    weights = np.array([promoters, passives, detractors])
    total = weights.sum()
    mean = np.average(values, weights=weights)
    variance = np.average((values - mean) ** 2, weights=weights)
    return float(100 * scipy_stats.norm.isf(0.025) * np.sqrt(variance / total))


def test_nps_example_from_domain_reference() -> None:
    # given 40 answers: 18 promoters, 6 detractors (docs/domain.md)
    score, margin = nps(18, 6, 40)

    # then NPS is 30 +/- 22, the plain Wald margin (adjusted-Wald would say 21)
    assert float(score) == pytest.approx(30.0)
    assert round(float(margin)) == 22
    assert round(float(nps(18, 6, 40, method="adjusted-wald").margin)) == 21


def test_nps_wald_margin_is_the_standard_error_of_answer_scores() -> None:
    # given 40 answers: 18 promoters, 16 passives, 6 detractors
    _, margin = nps(18, 6, 40, method="wald")

    # then the margin is 1.96 standard errors of the +1/0/-1 answer scores
    assert float(margin) == pytest.approx(independent_margin(18, 16, 6))


def test_nps_small_sample_uses_adjusted_wald() -> None:
    # given 12 answers: 7 promoters, 2 detractors (below the small-n threshold)
    score, low, high = nps_interval(7, 2, 12)

    # then the score is the observed one, and the interval is Lewis and Sauro's adjusted Wald:
    # 3/4 answer added to promoters and detractors, 1.5 to passives (3 to n)
    adjusted_centre = 100 * (7.75 - 2.75) / 15
    adjusted_margin = independent_margin(7.75, 4.5, 2.75)
    assert float(score) == pytest.approx(100 * 5 / 12)
    assert float(low) == pytest.approx(adjusted_centre - adjusted_margin)
    assert float(high) == pytest.approx(adjusted_centre + adjusted_margin)


def test_nps_threshold_switches_method_at_thirty_answers() -> None:
    # given the same mix at 29 and at 30 answers
    margins = nps([10, 10], [5, 5], [29, 30]).margin

    # then 29 answers get the adjusted-Wald margin and 30 the plain Wald one
    assert margins[0] == pytest.approx(float(nps(10, 5, 29, method="adjusted-wald").margin))
    assert margins[1] == pytest.approx(float(nps(10, 5, 30, method="wald").margin))


def test_nps_of_all_promoters_is_not_claimed_certain() -> None:
    # given 40 answers, all promoters (Wald's margin would be 0)
    score, low, high = nps_interval(40, 0, 40)

    # then the score is 100 but the interval still admits a lower score
    assert float(score) == 100.0
    assert float(high) == 100.0
    assert float(low) < 95.0


def test_nps_interval_stays_within_the_scale() -> None:
    # given tiny samples at both extremes
    _, low, high = nps_interval([1, 0], [0, 1], [1, 1])

    # then no bound leaves [-100, 100]
    assert np.all(low >= -100)
    assert np.all(high <= 100)


def test_nps_without_answers_is_missing() -> None:
    score, margin = nps(0, 0, 0)
    assert np.isnan(score)
    assert np.isnan(margin)


def test_nps_refuses_more_promoters_and_detractors_than_answers() -> None:
    with pytest.raises(ValueError, match="promoters=8, detractors=5, n=10"):
        nps(8, 5, 10)


# --- empirical-Bayes shrinkage ------------------------------------------------------------


def portfolio(seed: int, customers: int = 80) -> tuple[np.ndarray, np.ndarray]:
    """Customers with true positive rates around 0.9 and 2 to 40 answers each."""
    rng = np.random.default_rng(seed)
    true_rates = rng.beta(18, 2, size=customers)
    n = rng.integers(2, 41, size=customers)
    return rng.binomial(n, true_rates), n


def test_three_of_three_does_not_outrank_ninety_five_of_a_hundred() -> None:
    # given a portfolio around 90% positive, plus one customer with 3 of 3 and one with 95 of 100
    successes, n = portfolio(SEED)
    successes = np.concatenate([successes, [3, 95]])
    n = np.concatenate([n, [3, 100]])

    # when rates are shrunk towards the portfolio mean
    rates = shrunk_rate(successes, n)

    # then 95 of 100 ranks above 3 of 3, though 3 of 3 has the higher raw share
    prior = fit_beta_prior(successes, n)
    assert 0.85 < prior.mean < 0.95, f"seed {SEED}: {prior}"
    assert rates[-1] > rates[-2], f"seed {SEED}: {rates[-2:]}"


def test_identical_customers_shrink_to_the_portfolio_mean() -> None:
    # given 50 customers with exactly 9 of 10 positive: no between-customer variance
    successes = np.concatenate([np.full(50, 9), [3, 95]])
    n = np.concatenate([np.full(50, 10), [3, 100]])

    # when the prior is fitted
    prior = fit_beta_prior(successes, n)

    # then it is as strong as the portfolio's answers allow, and 3 of 3 still does not win
    assert prior.method == "homogeneous"
    assert prior.strength == pytest.approx(n.sum(), rel=1e-4)
    rates = shrunk_rate(successes, n, prior)
    assert rates[-1] > rates[-2]


def test_fitted_prior_is_the_beta_binomial_maximum_likelihood() -> None:
    # given a portfolio
    successes, n = portfolio(SEED + 1, customers=300)

    # when fitted here and, independently, by Nelder-Mead on scipy's beta-binomial
    prior = fit_beta_prior(successes, n)

    def negative_log_likelihood(log_params: np.ndarray) -> float:
        a, b = np.exp(log_params)
        return -float(scipy_stats.betabinom.logpmf(successes, n, a, b).sum())

    reference = optimize.minimize(
        negative_log_likelihood, x0=np.log([5.0, 1.0]), method="Nelder-Mead"
    )

    # then the two fits agree and the likelihood is as high as the reference's
    reference_alpha, reference_beta = np.exp(reference.x)
    assert prior.method == "mle"
    assert prior.alpha == pytest.approx(reference_alpha, rel=1e-2), f"seed {SEED + 1}"
    assert prior.beta == pytest.approx(reference_beta, rel=1e-2), f"seed {SEED + 1}"
    ours = negative_log_likelihood(np.log([prior.alpha, prior.beta]))
    assert ours <= reference.fun + 1e-6


def test_fitted_prior_recovers_the_true_spread_of_rates() -> None:
    # given 3000 customers whose true rates follow Beta(18, 2)
    successes, n = portfolio(SEED + 2, customers=3_000)

    # when the prior is fitted
    prior = fit_beta_prior(successes, n)

    # then mean and strength are close to the truth (0.9 and 20)
    assert prior.mean == pytest.approx(0.9, abs=0.01), f"seed {SEED + 2}: {prior}"
    assert prior.strength == pytest.approx(20, rel=0.3), f"seed {SEED + 2}: {prior}"


def test_few_customers_get_the_weak_prior() -> None:
    # given only three customers with answers (and one without)
    prior = fit_beta_prior([8, 9, 10, 0], [10, 10, 10, 0])

    # then no spread is estimated: a weak prior at the pooled mean
    assert prior.method == "weak"
    assert prior.strength == pytest.approx(2.0)
    assert prior.mean == pytest.approx(27.5 / 31)


def test_all_positive_portfolio_gives_a_proper_prior() -> None:
    # given a portfolio where every answer was positive
    prior = fit_beta_prior(np.full(10, 6), np.full(10, 6))
    rates = shrunk_rate(np.full(10, 6), np.full(10, 6), prior)

    # then the prior is valid and shrunk rates stay below 100%
    assert 0 < prior.mean < 1
    assert np.all((rates > 0.9) & (rates < 1.0))


def test_shrunk_rate_lies_between_raw_share_and_prior_mean() -> None:
    # given a fixed prior and customers above and below its mean
    prior = BetaPrior(alpha=18.0, beta=2.0)
    successes, n = np.array([3, 5, 40]), np.array([3, 10, 50])

    # when shrunk
    rates = shrunk_rate(successes, n, prior)

    # then each rate moves from its raw share towards 0.9, never past it
    raw = successes / n
    assert np.all(np.minimum(raw, 0.9) <= rates)
    assert np.all(rates <= np.maximum(raw, 0.9))
    np.testing.assert_allclose(rates, (successes + 18) / (n + 20))


def test_shrunk_rate_without_answers_is_missing() -> None:
    rates = shrunk_rate([9, 0], [10, 0], BetaPrior(alpha=9.0, beta=1.0))
    assert np.isnan(rates[1])


def test_beta_prior_refuses_impossible_parameters() -> None:
    with pytest.raises(ValueError, match="alpha"):
        BetaPrior(alpha=0.0, beta=1.0)


# --- Poisson rate comparison ----------------------------------------------------------------


@pytest.mark.parametrize("method", ["cond-midp", "exact-cond"])
@pytest.mark.parametrize(
    ("count1", "exposure1", "count2", "exposure2"),
    [
        (30, 100.0, 15, 100.0),
        (1, 10.0, 0, 10.0),  # no tickets last quarter
        (0, 12.0, 4, 9.0),  # none this quarter
        (5, 3.0, 5, 30.0),  # very different exposures
        (12_000, 5_000.0, 11_500, 5_000.0),  # large counts
        (7, 40.0, 7, 40.0),  # identical
    ],
)
def test_poisson_rate_test_matches_statsmodels(
    count1: int, exposure1: float, count2: int, exposure2: float, method: PoissonMethod
) -> None:
    # given two quarters' tickets and endpoint-months
    ratio, p_value = poisson_rate_test(count1, exposure1, count2, exposure2, method=method)

    # then ratio and p-value are statsmodels' for the same conditional method
    expected = poisson_reference(count1, exposure1, count2, exposure2, method)
    assert float(p_value) == pytest.approx(expected, abs=1e-12)
    if count2 > 0:
        assert float(ratio) == pytest.approx((count1 / exposure1) / (count2 / exposure2))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 300),
            st.floats(0.5, 500),
            st.integers(0, 300),
            st.floats(0.5, 500),
        ).filter(lambda row: row[0] + row[2] > 0),
        min_size=1,
        max_size=10,
    ),
    st.sampled_from(["cond-midp", "exact-cond"]),
)
def test_poisson_rate_test_matches_statsmodels_for_any_counts(
    rows: list[tuple[int, float, int, float]], method: PoissonMethod
) -> None:
    # given any column of counts and exposures
    columns = [np.array(column) for column in zip(*rows, strict=True)]

    # when tested in one vectorised call
    _, p_value = poisson_rate_test(*columns, method=method)

    # then every row agrees with statsmodels
    expected = [poisson_reference(*row, method) for row in rows]
    np.testing.assert_allclose(p_value, expected, atol=1e-10)


def test_doubled_ticket_rate_is_significant_and_unchanged_rate_is_not() -> None:
    # given one customer whose tickets per endpoint doubled and one whose rate held
    ratio, p_value = poisson_rate_test([60, 30], [100, 100], [30, 30], [100, 100])

    # then only the doubling is significant
    assert ratio.tolist() == [2.0, 1.0]
    assert p_value[0] < 0.01
    assert p_value[1] > 0.5


def test_poisson_rate_test_without_data_or_events_is_missing() -> None:
    # given no exposure in one row and no events at all in another
    ratio, p_value = poisson_rate_test([3, 0], [0.0, 10.0], [2, 0], [5.0, 10.0])

    # then there is nothing to compare: both are missing
    assert np.isnan(ratio).all()
    assert np.isnan(p_value).all()


def test_poisson_rate_from_nothing_is_an_infinite_ratio() -> None:
    ratio, p_value = poisson_rate_test(6, 10.0, 0, 10.0)
    assert float(ratio) == np.inf
    assert 0 < float(p_value) < 0.05


def test_poisson_rate_test_refuses_fractional_counts() -> None:
    with pytest.raises(ValueError, match=r"count1=2\.5"):
        poisson_rate_test(2.5, 1.0, 3, 1.0)


# --- creep --------------------------------------------------------------------------------


def test_creep_flags_customers_rising_two_periods_in_a_row() -> None:
    # given goodwill shares per quarter for five customers
    goodwill_share = np.array(
        [
            [0.02, 0.03, 0.04, 0.06],  # rising three quarters in a row
            [0.05, 0.03, 0.04, 0.05],  # rising the last two
            [0.02, 0.05, 0.06, 0.06],  # flat last quarter
            [0.02, 0.03, np.nan, 0.05],  # a quarter missing in between
            [0.02, 0.03, 0.04, np.nan],  # the latest quarter missing
        ]
    )

    # when checked for creep over two periods
    result = creep_flags(goodwill_share, min_run=2)

    # then the first two creep; the relative increase over the last two quarters is known
    # wherever both ends of that window are
    assert result.rising.tolist() == [True, True, False, False, False]
    np.testing.assert_allclose(result.relative_increase, [1.0, 2 / 3, 0.2, 2 / 3, np.nan])
    assert result.run_length.tolist() == [3, 2, 0, 0, 0]


def test_creep_needs_enough_periods() -> None:
    # given only two periods, too few for two changes
    result = creep_flags([[1.0, 2.0]], min_run=2)

    # then nothing is flagged and there is no relative increase
    assert not result.rising[0]
    assert np.isnan(result.relative_increase[0])


def test_creep_from_zero_is_an_infinite_relative_increase() -> None:
    result = creep_flags([[0.0, 0.01, 0.02], [0.0, 0.0, 0.0]])
    assert result.rising.tolist() == [True, False]
    assert result.relative_increase.tolist() == [np.inf, 0.0]


def test_creep_with_longer_run() -> None:
    values = [[1.0, 2.0, 3.0, 4.0], [5.0, 1.0, 2.0, 3.0]]
    assert creep_flags(values, min_run=3).rising.tolist() == [True, False]


def test_consecutive_rises_on_one_series() -> None:
    assert consecutive_rises([0.05, 0.06, 0.08])
    assert not consecutive_rises([0.08, 0.06, 0.07])
    assert consecutive_rises([0.08, 0.06, 0.07], min_run=1)


def test_creep_refuses_a_run_of_zero() -> None:
    with pytest.raises(ValueError, match="min_run"):
        creep_flags([[1.0, 2.0]], min_run=0)


# --- mean with t-interval -----------------------------------------------------------------


def test_mean_ci_matches_scipy_t_interval() -> None:
    # given resolution hours with a missing value
    hours = np.array([2.0, 3.5, np.nan, 8.0, 1.25, 4.0])

    # when the mean and its interval are computed
    mean, low, high = mean_ci(hours)

    # then they are scipy's t-interval over the present values
    present = hours[~np.isnan(hours)]
    expected_low, expected_high = scipy_stats.t.interval(
        0.95, len(present) - 1, loc=present.mean(), scale=scipy_stats.sem(present)
    )
    assert float(mean) == pytest.approx(present.mean())
    assert float(low) == pytest.approx(expected_low)
    assert float(high) == pytest.approx(expected_high)


def test_mean_ci_per_row_with_too_few_values() -> None:
    # given rows with several, one and no values
    rows = np.array([[1.0, 2.0, 3.0], [5.0, np.nan, np.nan], [np.nan, np.nan, np.nan]])

    # when computed per row
    mean, low, high = mean_ci(rows, axis=1)

    # then one value has a mean but no interval, and no values have neither
    assert mean[0] == pytest.approx(2.0)
    assert low[0] < 2.0 < high[0]
    assert mean[1] == 5.0
    assert np.isnan(low[1])
    assert np.isnan(high[1])
    assert np.isnan(mean[2])
