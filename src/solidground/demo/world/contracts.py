"""Stage 7: fees priced to the planted margins, contract events, contracts and catalogues."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from solidground.demo import texts
from solidground.demo.world.calendars import ServiceLevels
from solidground.demo.world.common import (
    AT_RISK,
    BLOCK,
    CONTRACT_KINDS,
    LEVELS,
    MANAGED,
    QUIET,
    SOLID,
    SOURCE,
    TIME_MATERIAL,
    TRAP,
    UNPROFITABLE,
    Arr,
    external_ids,
    ids,
    masked,
)
from solidground.demo.world.customers import Customers
from solidground.demo.world.planted import Planted
from solidground.demo.world.time_entries import Work
from solidground.demo.world.timeline import Timeline
from solidground.engine.periods import add_months

# (customer, kind, day, change of the monthly fee in cents or None, note)
Event = tuple[int, str, date, int | None, str]


@dataclass(frozen=True)
class Fees:
    """What each customer pays (cents) and what its licences cost."""

    base_fee: Arr  # monthly fee as priced, before renewals, expansions and downgrades
    monthly_fee: Arr  # (customers, months): the fee in force, 0 where no contract ran
    included_hours: Arr  # per month, block contracts only
    licence_cost: Arr  # per month
    licence_revenue: Arr  # per month


def price_contracts(
    rng: np.random.Generator,
    customers: Customers,
    planted: Planted,
    levels: ServiceLevels,
    work: Work,
    timeline: Timeline,
    *,
    loaded_cost_per_hour: float,
    renewal_effects: bool,
) -> tuple[Fees, dict[str, pl.DataFrame]]:
    """Price each fee, run the contract events over it, and build the contract frames."""
    base_fee, included_hours, licence_cost, licence_revenue = _base_fees(
        customers, planted, work, timeline, loaded_cost_per_hour
    )
    monthly_fee = np.repeat(base_fee[:, None], timeline.months, axis=1).astype(np.float64)
    events: list[Event] = []
    for c in range(customers.count):
        events.extend(
            _contract_events(
                rng, c, customers, planted, monthly_fee, timeline, renewal_effects=renewal_effects
            )
        )
    fees = Fees(
        base_fee=base_fee,
        monthly_fee=monthly_fee.astype(np.int64) * customers.active,
        included_hours=included_hours,
        licence_cost=licence_cost,
        licence_revenue=licence_revenue,
    )
    events.sort(key=lambda event: (event[0], event[2]))
    frames = {
        "contracts.contractevent": pl.DataFrame(
            {
                "id": ids(len(events)),
                "source": [SOURCE] * len(events),
                "external_id": external_ids("V", len(events), 6),
                "contract_id": pl.Series([e[0] + 1 for e in events], dtype=pl.Int64),
                "kind": pl.Series([e[1] for e in events], dtype=pl.String),
                "occurred_on": pl.Series([e[2] for e in events], dtype=pl.Date),
                "monthly_fee_change": pl.Series([e[3] for e in events], dtype=pl.Int64),
                "note": pl.Series([e[4] for e in events], dtype=pl.String),
            }
        ),
        "contracts.contract": _contract_frame(customers, fees, levels.policy_of_customer, timeline),
        "contracts.catalogueitem": _catalogue_frame(customers),
    }
    return fees, frames


def _base_fees(
    customers: Customers,
    planted: Planted,
    work: Work,
    timeline: Timeline,
    loaded_cost_per_hour: float,
) -> tuple[Arr, Arr, Arr, Arr]:
    """The monthly fee that gives each customer its planted margin (and its licences)."""
    archetype, kind, rate = customers.archetype, customers.contract_kind, customers.hourly_rate
    loaded_cost_cents_per_minute = loaded_cost_per_hour * 100.0 / 60.0
    labour = work.labour_minutes * loaded_cost_cents_per_minute
    licence_cost = np.where(planted.has_licences, customers.seats * 1170, 0)
    licence_revenue = np.round(licence_cost * 1.15).astype(np.int64)
    # The trap's fee was priced on its first half year of work: the contract was fair once.
    # Everyone else's fee matches the workload of the whole period, so the planted margin
    # holds throughout and only noise moves it.
    priced_months = np.where(archetype == TRAP, 6, timeline.months)
    window = customers.active & (
        np.arange(timeline.months)[None, :] < (customers.join_month + priced_months)[:, None]
    )
    active_months = np.maximum(window.sum(axis=1), 1)
    cost = (labour * window).sum(axis=1) / active_months
    extras = (work.billed_extras * window).sum(axis=1) / active_months
    fee = (cost + licence_cost) / (1.0 - planted.target_margin) - licence_revenue - extras
    # A floor per seat keeps tiny fees from looking absurd; the underpriced have almost none.
    floor = np.where(archetype == UNPROFITABLE, 300, np.where(archetype == QUIET, 2500, 1500))
    fee = np.maximum(fee, customers.seats * floor)
    included_hours = np.where(kind == BLOCK, np.maximum(5, np.round(fee / rate)), 0).astype(
        np.int64
    )
    fee = np.where(kind == BLOCK, included_hours * rate, fee)
    fee = np.where(kind == TIME_MATERIAL, 0, np.round(fee / 500) * 500).astype(np.int64)
    return fee, included_hours, licence_cost, licence_revenue


def _contract_events(
    rng: np.random.Generator,
    c: int,
    customers: Customers,
    planted: Planted,
    monthly_fee: Arr,
    timeline: Timeline,
    *,
    renewal_effects: bool,
) -> list[Event]:
    """Customer ``c``'s renewals, expansion, downgrade and notice; updates ``monthly_fee``.

    Renewals apply the price index; without renewal effects, expansions and downgrades are
    about as frequent as in the planted world but independent of the customer's service.
    """
    events: list[Event] = []
    term = customers.contract_kind[c] != TIME_MATERIAL
    months_active = np.flatnonzero(customers.active[c])
    if months_active.size == 0:
        return events

    def change_fee(month: int, factor: float, kind: str, note: str) -> None:
        before = monthly_fee[c, month]
        after = round(before * factor / 1000) * 1000
        monthly_fee[c, month:] = after
        events.append((c, kind, timeline.month_starts[month], int(after - before), note))

    since, price_index = customers.since[c], planted.price_index[c]
    for active_month in months_active:
        m = int(active_month)
        day = timeline.month_starts[m]
        if term and day.month == since.month and day > since and m > 0:
            before = monthly_fee[c, m]
            after = round(before * (1.0 + price_index) / 1000) * 1000
            monthly_fee[c, m:] = after
            change = int(after - before)
            note = "Verlängerung um 12 Monate" + (
                f", Preisanpassung {price_index:.1%}" if change else ""
            )
            events.append((c, "renewed", day, change, note))
    archetype = customers.archetype[c]
    grows = archetype == SOLID if renewal_effects else True
    expand = 0.3 if renewal_effects else 0.15
    if term and grows and months_active.size > 12 and rng.random() < expand:
        m = int(rng.choice(months_active[6:]))
        change_fee(m, rng.uniform(1.1, 1.2), "expanded", "Weitere Arbeitsplätze aufgenommen")
    shrinks = archetype == AT_RISK if renewal_effects else True
    downgrade = 0.35 if renewal_effects else 0.05
    if term and shrinks and months_active.size > 6 and rng.random() < downgrade:
        upper = int(customers.notice_month[c]) if customers.cancels[c] else timeline.months
        candidates = months_active[(months_active >= 3) & (months_active < upper)]
        if candidates.size:
            m = int(rng.choice(candidates))
            change_fee(m, rng.uniform(0.8, 0.9), "downgraded", "Leistungsumfang reduziert")
    notice = customers.notice_on[c]
    if notice is not None:
        contract_end = customers.contract_end[c]
        assert contract_end is not None
        events.append((c, "cancelled", notice, None, f"Kündigung zum {contract_end:%d.%m.%Y}"))
    return events


def _contract_frame(
    customers: Customers, fees: Fees, policy_of_customer: Arr, timeline: Timeline
) -> pl.DataFrame:
    count, kind = customers.count, customers.contract_kind
    level_names = [LEVELS[int(level)][0].split()[0] for level in customers.service_level]
    names = [
        f"Managed Service {level_names[c]}"
        if kind[c] == MANAGED
        else f"Stundenkontingent {fees.included_hours[c]} h"
        if kind[c] == BLOCK
        else "Service nach Aufwand"
        for c in range(count)
    ]
    last_fee = np.array(
        [
            fees.monthly_fee[c, np.flatnonzero(customers.active[c])[-1]]
            if customers.active[c].any()
            else fees.base_fee[c]
            for c in range(count)
        ]
    )
    period_end = timeline.month_starts[timeline.months]
    renewal: list[date | None] = []
    for c in range(count):
        if kind[c] == TIME_MATERIAL or customers.cancels[c]:
            renewal.append(None)
            continue
        anniversary = date(period_end.year, customers.since[c].month, 1)
        while anniversary < period_end:
            anniversary = add_months(anniversary, 12)
        renewal.append(anniversary)
    return pl.DataFrame(
        {
            "id": ids(count),
            "source": [SOURCE] * count,
            "external_id": external_ids("K", count, 5),
            "customer_id": ids(count),
            "name": names,
            "kind": [CONTRACT_KINDS[int(k)] for k in kind],
            "status": np.where(customers.cancels, "cancelled", "active"),
            "monthly_fee": last_fee.astype(np.int64),
            "included_hours_per_month": fees.included_hours.astype(np.int64) * 100,
            "hourly_rate": customers.hourly_rate.astype(np.int64),
            "start_date": pl.Series(customers.since, dtype=pl.Date),
            "end_date": pl.Series(customers.contract_end, dtype=pl.Date),
            "renewal_date": pl.Series(renewal, dtype=pl.Date),
            "notice_period_days": np.where(kind == TIME_MATERIAL, 30, 90),
            "auto_renew": (kind != TIME_MATERIAL) & ~customers.cancels,
            "sla_policy_id": policy_of_customer.astype(np.int64),
        }
    )


def _catalogue_frame(customers: Customers) -> pl.DataFrame:
    """Every contract's service catalogue: in-scope items included, the rest at the rate."""
    count, items = customers.count, len(texts.CATALOGUE)
    contract = np.repeat(np.arange(count), items)
    template = np.tile(np.arange(items), count)
    in_scope = np.array([c.in_scope for c in texts.CATALOGUE])[template]
    included = in_scope & (customers.contract_kind[contract] != TIME_MATERIAL)
    codes = pl.Series([c.code for c in texts.CATALOGUE]).gather(template)
    return pl.DataFrame(
        {
            "id": ids(count * items),
            "source": [SOURCE] * (count * items),
            "external_id": pl.select(
                pl.lit("K") + pl.Series(contract + 1).cast(pl.String).str.zfill(5) + "-" + codes
            ).to_series(),
            "contract_id": contract.astype(np.int64) + 1,
            "code": codes,
            "name": pl.Series([c.name for c in texts.CATALOGUE]).gather(template),
            "description": [""] * (count * items),
            "included": included,
            "rate": masked(pl.Series(customers.hourly_rate[contract].astype(np.int64)), ~included),
            "unit": ["hour"] * (count * items),
            "keywords": pl.Series([c.keywords for c in texts.CATALOGUE]).gather(template),
        }
    )
