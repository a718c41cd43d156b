"""The survival machinery (engine.survival): the survival data built from contracts and
events, the Cox fit against lifelines' own fitters, the external check on a real churn data
set, and what happens with too little history."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest
from lifelines import CoxPHFitter, CoxTimeVaryingFitter

from solidground.engine import survival

REPO = Path(__file__).resolve().parents[2]
TELCO = REPO.parent / "shared" / "data" / "telco_customer_churn.csv"
SEED = 20261202

QUARTERS = [date(2025, 1, 1), date(2025, 4, 1), date(2025, 7, 1), date(2025, 10, 1)]
SIX_QUARTERS = [date(2024, 7, 1), date(2024, 10, 1), *QUARTERS]


@pytest.fixture
def telco() -> pl.DataFrame:
    if not TELCO.is_file():
        pytest.skip(f"{TELCO} is absent: the shared data folder ../shared/data is not checked out")
    frame = pl.read_csv(TELCO, infer_schema=False)
    return frame.select(
        pl.col("customerID").alias("contract_id"),
        pl.lit(0.0).alias("start"),
        pl.col("tenure").cast(pl.Float64).alias("stop"),
        (pl.col("Churn") == "Yes").alias("event"),
        (pl.col("Contract") == "Month-to-month").cast(pl.Float64).alias("month_to_month"),
        (pl.col("Contract") == "One year").cast(pl.Float64).alias("one_year"),
        pl.col("Contract").alias("group"),
    )


def test_telco_month_to_month_has_a_much_higher_hazard_than_two_year_and_matches_lifelines(
    telco: pl.DataFrame,
) -> None:
    # Customers in their first month (tenure 0) have no time at risk; a survival fit needs
    # stop > start, so they are left out, in both fits.
    rows = telco.filter(pl.col("stop") > 0)
    assert telco.height - rows.height == 11

    result = survival.fit_cox(rows, ["month_to_month", "one_year"])

    month_to_month = result.coefficient("month_to_month")
    assert month_to_month is not None
    assert month_to_month.low > 20  # two-year contracts are the reference
    one_year = result.coefficient("one_year")
    assert one_year is not None
    assert 1 < one_year.hr < month_to_month.hr

    direct = CoxPHFitter().fit(
        rows.select("stop", "event", "month_to_month", "one_year").to_pandas(),
        duration_col="stop",
        event_col="event",
    )
    for coefficient in result.coefficients:
        assert coefficient.log_hr == pytest.approx(direct.params_[coefficient.name], abs=1e-6)
        assert coefficient.se == pytest.approx(direct.standard_errors_[coefficient.name], abs=1e-6)


def test_telco_kaplan_meier_month_to_month_below_two_year(telco: pl.DataFrame) -> None:
    rows = telco.filter(pl.col("stop") > 0)
    curves = {
        curve.group: curve
        for curve in survival.kaplan_meier(rows, rows.select("contract_id", "group"))
    }
    assert set(curves) == {"Month-to-month", "One year", "Two year"}
    m2m, two = curves["Month-to-month"], curves["Two year"]
    at_24 = m2m.months.index(24.0)
    assert m2m.high[at_24] < two.low[two.months.index(24.0)]
    bands = zip(m2m.survival, m2m.low, m2m.high, strict=True)
    assert all(low <= share <= high for share, low, high in bands)


def test_counting_process_fit_equals_lifelines_time_varying_fitter() -> None:
    rng = np.random.default_rng(SEED)
    contracts, quarters = 300, 8
    ids = np.repeat(np.arange(contracts), quarters)
    entry = rng.uniform(0, 60, contracts)[ids]
    k = np.tile(np.arange(quarters), contracts)
    x = rng.normal(size=(contracts * quarters, 2))
    event = rng.random(contracts * quarters) < 0.03 * np.exp(0.8 * x[:, 0])
    frame = pl.DataFrame(
        {
            "contract_id": ids,
            "start": entry + 3 * k,
            "stop": entry + 3 * k + 3,
            "event": event,
            "a": x[:, 0],
            "b": x[:, 1],
        }
    )
    # After a cancellation the contract leaves the risk set.
    first_event = frame.filter(pl.col("event")).group_by("contract_id").agg(pl.col("start").min())
    frame = frame.join(first_event, on="contract_id", how="left", suffix="_cancel").filter(
        pl.col("start_cancel").is_null() | (pl.col("start") <= pl.col("start_cancel"))
    )

    result = survival.fit_cox(frame, ["a", "b"])

    reference = CoxTimeVaryingFitter().fit(
        frame.select("contract_id", "start", "stop", "event", "a", "b").to_pandas(),
        id_col="contract_id",
        start_col="start",
        stop_col="stop",
        event_col="event",
    )
    for coefficient in result.coefficients:
        assert coefficient.log_hr == pytest.approx(reference.params_[coefficient.name], abs=1e-6)
    assert result.coefficient("a").low > 1  # type: ignore[union-attr]


def _contracts(*rows: tuple[int, date, date | None, str]) -> pl.DataFrame:
    return pl.DataFrame(
        [(cid, cid, start, end, status) for cid, start, end, status in rows],
        schema={
            "contract_id": pl.Int64,
            "customer_id": pl.Int64,
            "start_date": pl.Date,
            "end_date": pl.Date,
            "status": pl.String,
        },
        orient="row",
    )


def _events(*rows: tuple[int, str, date]) -> pl.DataFrame:
    return pl.DataFrame(
        list(rows),
        schema={"contract_id": pl.Int64, "kind": pl.String, "occurred_on": pl.Date},
        orient="row",
    )


def test_contract_quarters_enter_late_stop_at_the_notice_and_censor_expired_contracts() -> None:
    contracts = _contracts(
        (1, date(2020, 1, 1), None, "active"),  # older than the figures: enters late
        (2, date(2025, 5, 15), None, "active"),  # starts inside the second quarter
        (3, date(2024, 1, 1), date(2026, 3, 31), "cancelled"),  # notice in Q3 2025
        (4, date(2024, 1, 1), date(2025, 8, 31), "active"),  # expired, never cancelled
    )
    events = _events((3, "renewed", date(2025, 1, 1)), (3, "cancelled", date(2025, 8, 10)))

    rows = survival.contract_quarters(contracts, events, quarters=QUARTERS, until=date(2026, 1, 1))

    by = {cid: part for (cid,), part in rows.group_by("contract_id")}
    # Rows start at the second quarter; the first quarter's figures describe the second.
    assert by[1]["period_start"].to_list() == QUARTERS[1:]
    assert by[1]["covariate_quarter"].to_list() == QUARTERS[:-1]
    # Tenure in whole months: 5 years and 3 months.
    assert by[1]["start"][0] == 63
    assert by[2]["start"][0] == 0.0
    assert by[3]["event"].to_list() == [False, True]  # gone from the risk set after notice
    assert by[3]["stop"][1] == 19  # notice on 10 August 2025, 19 months in
    assert not by[4]["event"].any()
    assert by[4]["period_start"].to_list() == [date(2025, 4, 1), date(2025, 7, 1)]
    assert (rows["stop"] > rows["start"]).all()


def test_a_contract_marked_cancelled_without_an_event_counts_at_its_end_date() -> None:
    contracts = _contracts((1, date(2024, 1, 1), date(2025, 5, 31), "cancelled"))
    dates = survival.cancellation_dates(contracts, _events())
    assert dates["cancelled_on"].to_list() == [date(2025, 5, 31)]


@pytest.mark.parametrize(
    ("contracts", "events", "missing"),
    [
        # No contract events at all.
        (
            _contracts(*[(i, date(2023, 1, 1), None, "active") for i in range(1, 41)]),
            _events(),
            ["cancellations"],
        ),
        # Everybody renewed.
        (
            _contracts(*[(i, date(2023, 1, 1), None, "active") for i in range(1, 41)]),
            _events(*[(i, "renewed", date(2025, 1, 1)) for i in range(1, 41)]),
            ["cancellations"],
        ),
        # One customer, who cancelled.
        (
            _contracts((1, date(2023, 1, 1), date(2026, 3, 31), "cancelled")),
            _events((1, "cancelled", date(2025, 5, 2))),
            ["contracts", "cancellations", "quarters"],
        ),
    ],
    ids=["no-events", "all-renewed", "one-customer"],
)
def test_too_little_history_names_what_is_missing_with_the_counts(
    contracts: pl.DataFrame, events: pl.DataFrame, missing: list[str]
) -> None:
    rows = survival.contract_quarters(
        contracts, events, quarters=SIX_QUARTERS, until=date(2026, 1, 1)
    )
    history = survival.history_of(rows, events)
    assert history.shortfall() == missing
    assert not survival.enough_history(history)
    assert history.contracts == contracts.height
    # Five quarters of rows (the first gives covariates), fewer after a cancellation.
    assert history.quarters == (3 if "quarters" in missing else 5)
    assert history.as_dict()["min_cancellations"] == survival.MIN_CANCELLATIONS


def test_an_indicator_without_cancellations_is_left_out_not_fitted_to_infinity() -> None:
    rng = np.random.default_rng(SEED)
    n = 400
    x = rng.normal(size=n)
    flag = (rng.random(n) < 0.2).astype(float)
    event = (rng.random(n) < 0.3 * np.exp(x)) & (flag == 0)
    rows = pl.DataFrame(
        {
            "contract_id": np.arange(n),
            "start": 0.0,
            "stop": rng.uniform(1, 24, n),
            "event": event,
            "x": x,
            "flag": flag,
        }
    )
    result = survival.fit_cox(rows, ["x", "flag"])
    assert result.separated == ["flag"]
    assert result.names == ["x"]
    risk = result.risk(rows.head(5), 12)
    assert ((risk["risk_low"] <= risk["risk"]) & (risk["risk"] <= risk["risk_high"])).all()


def test_held_out_calibration_needs_cancellations_on_both_sides_of_the_cutoff() -> None:
    rows = pl.DataFrame(
        {
            "contract_id": [1, 1, 2, 2],
            "period_start": [QUARTERS[1], QUARTERS[2], QUARTERS[1], QUARTERS[2]],
            "start": [0.0, 3.0, 0.0, 3.0],
            "stop": [3.0, 6.0, 3.0, 6.0],
            "event": [False, True, False, False],
            "x": [0.0, 1.0, 0.0, 0.0],
        }
    )
    assert survival.held_out_calibration(rows, ["x"], until=date(2026, 1, 1)) is None


def test_welch_difference_needs_two_values_a_side() -> None:
    assert survival.welch_difference(np.array([1.0]), np.array([1.0, 2.0])) is None
    diff, low, high = survival.welch_difference(
        np.array([5.0, 6.0, 7.0, 8.0]), np.array([1.0, 2.0, 3.0])
    )  # type: ignore[misc]
    assert diff == pytest.approx(4.5)
    assert low < diff < high
    reference = pd.Series([5.0, 6.0, 7.0, 8.0]).mean() - 2.0
    assert diff == pytest.approx(reference)
