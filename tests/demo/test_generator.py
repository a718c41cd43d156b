"""The demo generator: deterministic, and the planted archetypes show in the data.

Pure generation, no database. The SLA checks recompute every clock from the status history
with the real calendar engine, as the analysis will.
"""

from __future__ import annotations

from datetime import date, datetime
from itertools import pairwise

import numpy as np
import polars as pl
import pytest

from solidground.demo.generator import (
    ARCHETYPES,
    DemoData,
    _archetype_counts,
    generate,
)

END = date(2025, 9, 1)
BERLIN = "Europe/Berlin"


@pytest.fixture(scope="module")
def small() -> DemoData:
    return generate(customers=12, months=6, seed=7, end=END)


@pytest.fixture(scope="module")
def portfolio() -> DemoData:
    # Big enough for the archetypes' signals to stand out of the noise, small enough for a
    # second of generation.
    return generate(customers=40, months=12, seed=11, end=END)


def _with_archetype(data: DemoData, frame: pl.DataFrame) -> pl.DataFrame:
    archetypes = data.ground_truth.select(
        pl.int_range(1, data.ground_truth.height + 1, dtype=pl.Int64).alias("customer_id"),
        "archetype",
        "seats",
    )
    return frame.join(archetypes, on="customer_id")


# ------------------------------------------------------------------------------ determinism


def test_same_seed_gives_identical_frames(small: DemoData) -> None:
    again = generate(customers=12, months=6, seed=7, end=END)

    assert list(again.frames) == list(small.frames)
    for label, frame in small.frames.items():
        assert frame.equals(again.frames[label]), label
    assert small.ground_truth.equals(again.ground_truth)


def test_another_seed_gives_another_provider(small: DemoData) -> None:
    other = generate(customers=12, months=6, seed=8, end=END)

    assert not other.frames["service.ticket"].equals(small.frames["service.ticket"])
    assert other.ground_truth["name"].to_list() != small.ground_truth["name"].to_list()


def test_archetype_shares_follow_the_plan() -> None:
    assert _archetype_counts(60).tolist() == [30, 9, 9, 7, 5]
    assert _archetype_counts(12).tolist() == [6, 2, 2, 1, 1]
    assert _archetype_counts(5000).sum() == 5000


def test_archetypes_are_assigned_at_random(small: DemoData) -> None:
    other = generate(customers=12, months=6, seed=99, end=END)

    assert sorted(small.ground_truth["archetype"]) == sorted(other.ground_truth["archetype"])
    assert small.ground_truth["archetype"].to_list() != other.ground_truth["archetype"].to_list()
    assert set(small.ground_truth["archetype"]) == set(ARCHETYPES)


# ------------------------------------------------------------------------------ shape


def test_instants_are_utc_and_histories_run_forward(small: DemoData) -> None:
    for label, frame in small.frames.items():
        for name, dtype in frame.schema.items():
            if isinstance(dtype, pl.Datetime):
                assert dtype.time_zone == "UTC", f"{label}.{name}"

    changes = small.frames["service.ticketstatuschange"]
    steps = changes.select(
        pl.col("changed_at").diff().over("ticket_id").alias("step"),
        pl.col("status").first().over("ticket_id").alias("first"),
    )
    assert (steps["step"].drop_nulls().dt.total_seconds() > 0).all()
    assert (steps["first"] == "new").all()

    tickets = small.frames["service.ticket"]
    assert (tickets["created_at"] < small.period_end).all()
    last = changes.group_by("ticket_id").agg(pl.col("status").last())
    assert (
        last.join(tickets, left_on="ticket_id", right_on="id")
        .filter(pl.col("status") != pl.col("status_right"))
        .is_empty()
    )


def test_tickets_arrive_mostly_in_berlin_business_hours(portfolio: DemoData) -> None:
    local = portfolio.frames["service.ticket"]["created_at"].dt.convert_time_zone(BERLIN)
    in_hours = (local.dt.weekday() <= 5) & (local.dt.hour() >= 8) & (local.dt.hour() < 17)

    assert 0.8 < in_hours.mean() < 0.97  # type: ignore[operator]


def test_ticket_mix_is_realistic(portfolio: DemoData) -> None:
    tickets = portfolio.frames["service.ticket"]
    priority = tickets["priority"].value_counts(normalize=True).sort("priority")["proportion"]
    resolved = tickets.filter(pl.col("resolved_at").is_not_null())
    first_contact = (resolved["agent_touches"] == 1).mean()
    reopened = (resolved["reopen_count"] > 0).mean()
    languages = portfolio.frames["service.ticket"]["subject"]

    assert 0.01 < priority[0] < 0.06
    assert 0.45 < priority[2] < 0.65
    assert 0.55 < first_contact < 0.72  # type: ignore[operator]
    assert 0.025 < reopened < 0.07  # type: ignore[operator]
    assert languages.str.contains("Drucker|Passwort|Konto").any()
    assert languages.str.contains("printer|password|Password|account").any()
    changes = portfolio.frames["service.ticketstatuschange"]["status"]
    assert (changes == "waiting_customer").sum() > 0.1 * tickets.height


def test_every_foreign_key_points_at_a_row(portfolio: DemoData) -> None:
    frames = portfolio.frames
    references = {
        ("service.ticket", "customer_id"): "customers.customer",
        ("service.ticket", "contact_id"): "customers.contact",
        ("service.ticket", "catalogue_item_id"): "contracts.catalogueitem",
        ("service.ticketstatuschange", "ticket_id"): "service.ticket",
        ("service.timeentry", "ticket_id"): "service.ticket",
        ("surveys.surveyanswer", "ticket_id"): "service.ticket",
        ("surveys.surveyanswer", "contact_id"): "customers.contact",
        ("contracts.contract", "sla_policy_id"): "contracts.slapolicy",
        ("contracts.slapolicy", "calendar_id"): "contracts.businesscalendar",
    }
    for (label, column), target in references.items():
        ids = frames[label][column].drop_nulls()
        assert ids.is_in(frames[target]["id"].implode()).all(), f"{label}.{column}"
    ticket_customer = frames["service.ticket"].join(
        frames["customers.contact"], left_on="contact_id", right_on="id"
    )
    assert (ticket_customer["customer_id"] == ticket_customer["customer_id_right"]).all()


# ------------------------------------------------------------------------------ archetypes


def _goodwill_by_quarter(data: DemoData) -> pl.DataFrame:
    entries = data.frames["service.timeentry"].filter(pl.col("billing") != "internal")
    return _with_archetype(
        data,
        entries.group_by(
            "customer_id",
            pl.col("started_at").dt.convert_time_zone(BERLIN).dt.truncate("1q").alias("quarter"),
        ).agg(
            minutes=pl.col("minutes").sum(),
            goodwill=pl.col("minutes").filter(pl.col("billing") == "goodwill").sum(),
        ),
    )


def test_service_trap_has_the_highest_goodwill_share_rising_every_quarter(
    portfolio: DemoData,
) -> None:
    by_quarter = _goodwill_by_quarter(portfolio)
    overall = (
        by_quarter.group_by("archetype")
        .agg(share=pl.col("goodwill").sum() / pl.col("minutes").sum())
        .sort("share", descending=True)
    )
    assert overall["archetype"][0] == "service_trap"

    trap = (
        by_quarter.filter(pl.col("archetype") == "service_trap")
        .with_columns(share=pl.col("goodwill") / pl.col("minutes"))
        .sort("customer_id", "quarter")
        .group_by("customer_id", maintain_order=True)
        .agg(pl.col("share"))
    )
    for shares in trap["share"]:
        assert shares[0] < 0.12
        assert shares[-1] > 0.25
        assert all(later > earlier for earlier, later in pairwise(shares))


def test_service_trap_contacts_a_lot_and_asks_for_special_things(portfolio: DemoData) -> None:
    months = portfolio.months
    tickets = _with_archetype(portfolio, portfolio.frames["service.ticket"])
    per_customer = tickets.group_by("customer_id").agg(
        pl.col("archetype").first(),
        per_seat=pl.len() / pl.col("seats").first() / months,
        special=pl.col("is_special_request").mean(),
    )
    median = per_customer["per_seat"].median()
    trap = per_customer.filter(pl.col("archetype") == "service_trap")
    others = per_customer.filter(pl.col("archetype") != "service_trap")

    others_special = tickets.filter(pl.col("archetype") != "service_trap")[
        "is_special_request"
    ].mean()
    assert median is not None
    assert others_special is not None
    assert (trap["per_seat"] > 1.3 * median).all()  # type: ignore[operator]
    assert (trap["special"] > 4 * others_special).all()  # type: ignore[operator]
    assert others["special"].median() < 0.1  # type: ignore[operator]

    interactions = _with_archetype(portfolio, portfolio.frames["service.interaction"])
    intensity = interactions.group_by("customer_id").agg(
        pl.col("archetype").first(), per_seat=pl.len() / pl.col("seats").first()
    )
    trap_intensity = intensity.filter(pl.col("archetype") == "service_trap")["per_seat"]
    assert trap_intensity.min() > intensity["per_seat"].median()  # type: ignore[operator]


def _engine_resolution_late(data: DemoData) -> pl.DataFrame:
    """Recompute each resolved ticket's resolution clock from its status history."""
    tickets = data.frames["service.ticket"].filter(pl.col("resolved_at").is_not_null())
    changes = data.frames["service.ticketstatuschange"].sort("ticket_id", "changed_at")
    segments = changes.with_columns(
        until=pl.col("changed_at").shift(-1).over("ticket_id"),
    ).join(tickets.select("id", "resolved_at"), left_on="ticket_id", right_on="id")
    # Not counted: waiting for the customer, and the time a ticket sat resolved before a reopen.
    stopped = segments.filter(
        pl.col("status").is_in(["waiting_customer", "resolved"]),
        pl.col("until").is_not_null(),
        pl.col("until") <= pl.col("resolved_at"),
    )
    truth = data.ticket_truth.select("ticket_id", "calendar_id", "policy_id", "archetype")
    targets = data.frames["contracts.slatarget"].select(
        "policy_id", "priority", "resolution_minutes"
    )
    rows = []
    for spec in data.calendars:
        engine = spec.engine()
        mine = (
            tickets.join(truth, left_on="id", right_on="ticket_id")
            .filter(pl.col("calendar_id") == spec.id)
            .join(targets, on=["policy_id", "priority"])
        )
        if mine.is_empty():
            continue
        stops = stopped.join(mine.select("id"), left_on="ticket_id", right_on="id")
        paused = (
            stops.with_columns(
                seconds=engine.business_seconds(
                    stops["changed_at"].to_numpy(), stops["until"].to_numpy()
                )
            )
            .group_by("ticket_id")
            .agg(pl.col("seconds").sum())
        )
        clock = mine.with_columns(
            gross=engine.business_seconds(
                mine["created_at"].to_numpy(), mine["resolved_at"].to_numpy()
            )
        ).join(paused, left_on="id", right_on="ticket_id", how="left")
        rows.append(
            clock.select(
                "id",
                "archetype",
                late=(pl.col("gross") - pl.col("seconds").fill_null(0))
                > pl.col("resolution_minutes") * 60,
            )
        )
    return pl.concat(rows)


def test_at_risk_resolutions_are_late_far_more_often_by_the_engine(portfolio: DemoData) -> None:
    late = _engine_resolution_late(portfolio)
    planted = late.join(
        portfolio.ticket_truth.select("ticket_id", "resolution_late"),
        left_on="id",
        right_on="ticket_id",
    )
    # The engine's verdict from the stored history is the one the generator planted.
    assert (planted["late"] == planted["resolution_late"]).all()

    at_risk = late.filter(pl.col("archetype") == "at_risk")["late"].mean()
    others = late.filter(pl.col("archetype") != "at_risk")["late"].mean()
    assert 0.15 < at_risk < 0.45  # type: ignore[operator]
    assert others < 0.08  # type: ignore[operator]


def test_at_risk_answers_unhappily_complains_and_cancels(portfolio: DemoData) -> None:
    answers = _with_archetype(
        portfolio,
        portfolio.frames["surveys.surveyanswer"].filter(
            pl.col("kind") == "ticket_csat", pl.col("score").is_not_null()
        ),
    )
    unhappy = answers.group_by("archetype").agg(unhappy=(pl.col("score") <= 2).mean())
    at_risk = unhappy.filter(pl.col("archetype") == "at_risk")["unhappy"][0]
    assert at_risk > 0.1
    assert at_risk > 3 * unhappy.filter(pl.col("archetype") == "solid")["unhappy"][0]

    tickets = _with_archetype(portfolio, portfolio.frames["service.ticket"])
    complaints = tickets.group_by("archetype").agg(pl.col("is_complaint").mean())
    assert complaints.sort("is_complaint")["archetype"][-1] == "at_risk"

    truth = portfolio.ground_truth
    at_risk_cancelled = truth.filter(pl.col("archetype") == "at_risk")["cancelled"].mean()
    assert at_risk_cancelled is not None
    assert at_risk_cancelled >= 0.5  # type: ignore[operator]
    cancelled_ids = truth.with_row_index("id", offset=1).filter(pl.col("cancelled"))["id"]
    customers = portfolio.frames["customers.customer"]
    events = portfolio.frames["contracts.contractevent"].filter(pl.col("kind") == "cancelled")
    assert (
        customers.filter(pl.col("id").is_in(cancelled_ids.cast(pl.Int64).implode()))[
            "status"
        ].to_list()
        == ["cancelled"] * cancelled_ids.len()
    )
    assert sorted(events["contract_id"]) == sorted(cancelled_ids.cast(pl.Int64))
    assert (events["occurred_on"] >= date(2025, 1, 1)).all()  # the last 9 months of 12


def test_quiet_customers_have_few_tickets_and_no_answers(portfolio: DemoData) -> None:
    tickets = _with_archetype(portfolio, portfolio.frames["service.ticket"])
    per_seat = tickets.group_by("customer_id").agg(
        pl.col("archetype").first(), per_seat=pl.len() / pl.col("seats").first()
    )
    quiet = per_seat.filter(pl.col("archetype") == "quiet")["per_seat"]
    # Late joiners and early leavers among the others can have as few tickets.
    others = per_seat.filter(pl.col("archetype") != "quiet")["per_seat"]
    assert quiet.max() < others.quantile(0.1)  # type: ignore[operator]

    answers = _with_archetype(portfolio, portfolio.frames["surveys.surveyanswer"])
    assert answers.filter(pl.col("archetype") == "quiet", pl.col("score").is_not_null()).is_empty()


def test_response_rate_is_about_fifteen_percent(portfolio: DemoData) -> None:
    answers = portfolio.frames["surveys.surveyanswer"]
    csat = answers.filter(pl.col("kind") == "ticket_csat")
    resolved = portfolio.frames["service.ticket"]["resolved_at"].is_not_null().sum()

    assert 0.11 < answers["score"].is_not_null().mean() < 0.20  # type: ignore[operator]
    assert 0.5 < csat.height / resolved < 0.7
    assert csat.filter(pl.col("score").is_not_null())["score"].is_between(1, 5).all()
    nps = answers.filter(pl.col("kind") == "nps", pl.col("score").is_not_null())["score"]
    assert nps.is_between(0, 10).all()
    commented = answers.filter(pl.col("comment") != "")
    assert commented["language"].is_in(["de", "en"]).all()
    assert commented["comment"].str.contains("Danke|danke").any()


def _margin_by_half_year(data: DemoData) -> pl.DataFrame:
    revenue = (
        data.frames["contracts.revenueline"]
        .group_by("customer_id", half=pl.col("period").dt.truncate("6mo"))
        .agg(revenue=pl.col("amount").sum() / 100, direct=pl.col("direct_cost").sum() / 100)
    )
    labour = (
        data.frames["service.timeentry"]
        .group_by(
            "customer_id",
            half=pl.col("started_at").dt.convert_time_zone(BERLIN).dt.date().dt.truncate("6mo"),
        )
        .agg(labour=pl.col("minutes").sum() / 60 * 62)
    )
    return _with_archetype(
        data, revenue.join(labour, on=["customer_id", "half"], how="left").fill_null(0)
    )


def test_margins_solid_healthy_trap_falling_unprofitable_negative(portfolio: DemoData) -> None:
    margins = (
        _margin_by_half_year(portfolio)
        .group_by("archetype", "half")
        .agg(
            margin=(pl.col("revenue") - pl.col("labour") - pl.col("direct")).sum()
            / pl.col("revenue").sum()
        )
        .sort("half")
    )

    def series(archetype: str) -> list[float]:
        return margins.filter(pl.col("archetype") == archetype)["margin"].to_list()

    assert all(0.35 < margin < 0.55 for margin in series("solid"))
    trap = series("service_trap")
    assert trap[-1] < trap[0] - 0.05
    per_customer = (
        _margin_by_half_year(portfolio)
        .filter(pl.col("archetype") == "unprofitable")
        .group_by("customer_id")
        .agg(
            margin=(pl.col("revenue") - pl.col("labour") - pl.col("direct")).sum()
            / pl.col("revenue").sum()
        )
    )
    assert (per_customer["margin"] < 0).all()

    answers = _with_archetype(
        portfolio,
        portfolio.frames["surveys.surveyanswer"].filter(
            pl.col("kind") == "ticket_csat", pl.col("score").is_not_null()
        ),
    )
    solid_csat = answers.filter(pl.col("archetype") == "solid")["score"] >= 4
    assert solid_csat.mean() > 0.87  # type: ignore[operator]  # planted ~95%, n ~ 120


def test_planted_ground_truth_describes_each_customer(small: DemoData) -> None:
    truth = small.ground_truth
    customers = small.frames["customers.customer"]

    assert truth.height == customers.height == 12
    assert truth["name"].to_list() == customers["name"].to_list()
    assert truth["customer_external_id"].is_unique().all()
    assert set(truth["subdivision"]) <= {
        "NW", "BY", "BW", "NI", "HE", "BE", "SN", "HH", "RP", "TH", "SH", "ST", "BB", "MV",
    }  # fmt: skip
    tickets = small.frames["service.ticket"].group_by("customer_id").len().sort("customer_id")
    counts = dict(zip(tickets["customer_id"], tickets["len"], strict=True))
    assert [counts.get(i + 1, 0) for i in range(12)] == truth["tickets"].to_list()


def test_period_end_is_the_first_instant_after_the_last_month(small: DemoData) -> None:
    assert small.start == date(2025, 4, 1)
    assert small.end == END
    assert small.period_end == datetime.fromisoformat("2025-09-30T22:00:00+00:00")
    created = small.frames["service.ticket"]["created_at"]
    assert created.min() >= datetime.fromisoformat("2025-03-31T22:00:00+00:00")  # type: ignore[operator]
    assert np.isfinite(small.frames["service.timeentry"]["minutes"].to_numpy()).all()
