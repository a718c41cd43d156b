"""The planted parameters: how each archetype behaves, as a table, and drawing it per customer.

``PLANTED`` holds one row per parameter: the value for solid customers (and for every archetype
the row leaves out) and the values for the other archetypes. A value is a constant, a random
draw (``Uniform``, ``Normal``, ``LogNormal``) or a parameter drawn before it (``Same``,
``RestOf``). For every row, each listed archetype's draw is taken for all customers first
(in the order service_trap, at_risk, quiet, unprofitable) and the default's last; the rows
are drawn top to bottom. That order is the random stream: moving a row or a value changes
every demo store.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from solidground.demo.world.common import AT_RISK, QUIET, TIME_MATERIAL, TRAP, UNPROFITABLE, Arr


@dataclass(frozen=True)
class Uniform:
    low: float
    high: float


@dataclass(frozen=True)
class Normal:
    mean: float
    sd: float


@dataclass(frozen=True)
class LogNormal:
    median: float
    sigma: float  # of the logarithm


@dataclass(frozen=True)
class Same:
    """The value of a parameter drawn earlier."""

    name: str


@dataclass(frozen=True)
class RestOf:
    """``factor`` times what a parameter drawn earlier leaves to 1: (1 - value) * factor."""

    name: str
    factor: float


Value = float | Uniform | Normal | LogNormal | Same | RestOf


@dataclass(frozen=True)
class Parameter:
    """One planted parameter: the solid customers' value and where the archetypes differ."""

    name: str
    default: Value
    service_trap: Value | None = None
    at_risk: Value | None = None
    quiet: Value | None = None
    unprofitable: Value | None = None
    per_quarter: bool = False  # one value per customer and calendar quarter


# fmt: off
PLANTED: tuple[Parameter, ...] = (
    # Tickets per seat and month, then the archetype's multiplier; the trap's rate is raised to
    # at least TRAP_TICKET_FLOOR before the multiplier (see draw_planted).
    Parameter("tickets_per_seat_month", LogNormal(0.22, 0.25)),
    Parameter("ticket_multiplier", 1.0, service_trap=Uniform(1.8, 2.3),
              at_risk=Uniform(1.2, 1.4), quiet=Uniform(0.1, 0.2),
              unprofitable=Uniform(1.3, 1.6)),
    # Quarter-on-quarter growth of ticket volume: the trap's contact intensity keeps rising.
    Parameter("ticket_growth", Normal(0.0, 0.01), service_trap=Uniform(0.08, 0.14)),
    # Share of out-of-scope requests, first month and last month (linear in between). The
    # underpriced customer's work is nearly all "included", so extras cannot rescue it.
    Parameter("out_of_scope_start", Uniform(0.10, 0.20), service_trap=Uniform(0.25, 0.35),
              unprofitable=Uniform(0.04, 0.08)),
    Parameter("out_of_scope_end", Same("out_of_scope_start"), service_trap=Uniform(0.55, 0.70)),
    # Goodwill hours as a share of all hours, per quarter: flat and low for most, rising
    # every quarter for the trap.
    Parameter("goodwill_start", Uniform(0.01, 0.05), service_trap=Uniform(0.04, 0.07)),
    Parameter("goodwill_end", Same("goodwill_start"), service_trap=Uniform(0.30, 0.40)),
    # Individual quarters wobble a little for everyone but the trap, whose rise must hold
    # every quarter.
    Parameter("goodwill_wobble", Normal(0.0, 0.006), service_trap=0.0, per_quarter=True),
    # Chance that a request is a special request, out of scope and in scope.
    Parameter("special_out_of_scope", 0.2, service_trap=0.8),
    Parameter("special_in_scope", 0.01, service_trap=0.1),
    Parameter("first_response_breach", Uniform(0.02, 0.05), at_risk=Uniform(0.18, 0.30)),
    Parameter("resolution_breach", Uniform(0.02, 0.06), at_risk=Uniform(0.20, 0.35)),
    Parameter("reopen_rate", Uniform(0.025, 0.045), at_risk=Uniform(0.07, 0.11)),
    Parameter("first_contact_rate", Uniform(0.62, 0.72), at_risk=Uniform(0.45, 0.55)),
    Parameter("escalation_rate", 0.01, at_risk=Uniform(0.06, 0.10)),
    Parameter("complaint_rate", 0.004, at_risk=Uniform(0.04, 0.08)),
    Parameter("pause_rate", 0.18, at_risk=0.25),  # waiting for the customer
    # About 15% of CSAT invitations come back overall; fans answer more often.
    Parameter("csat_response_rate", Uniform(0.10, 0.15), service_trap=Uniform(0.16, 0.22),
              at_risk=Uniform(0.15, 0.22), quiet=0.0),
    Parameter("csat_positive", Uniform(0.95, 0.99), service_trap=Uniform(0.97, 1.0),
              at_risk=Uniform(0.60, 0.75)),
    Parameter("csat_negative", RestOf("csat_positive", 0.4), service_trap=0.003,
              at_risk=Uniform(0.20, 0.30)),
    Parameter("top_box", 0.65, service_trap=0.9),  # share of 5s among the positive answers
    Parameter("target_margin", Uniform(0.40, 0.50), service_trap=Uniform(0.40, 0.48),
              at_risk=Uniform(0.28, 0.40), quiet=Uniform(0.55, 0.70),
              unprofitable=Uniform(-0.40, -0.15)),
    # Interactions per seat and month: a base rate times the archetype's multiplier.
    Parameter("interactions_per_seat_month", Uniform(0.04, 0.08)),
    Parameter("interaction_multiplier", 1.0, service_trap=Uniform(3.5, 5.0), at_risk=1.5,
              quiet=0.3),
    # The underpriced customer's old, tangled environment makes every request take longer.
    Parameter("effort_factor", 1.0, unprofitable=Uniform(1.6, 2.2)),
    # Drawn here for the random stream's sake: a customer buys Microsoft 365 licences through
    # the MSP when this draw is below its contract kind's LICENCE_SHARE_... (see draw_planted).
    Parameter("licence_draw", Uniform(0.0, 1.0)),
    Parameter("price_index", Uniform(0.0, 0.04), service_trap=0.0),  # yearly price rise
)
# fmt: on

# The trap stands well above the portfolio's median from the start, whatever its draw.
TRAP_TICKET_FLOOR = 0.2
# Share of customers with licences: time and material, and every other contract kind.
LICENCE_SHARE_TIME_MATERIAL, LICENCE_SHARE_OTHER = 0.4, 0.8

# Shares of NPS categories (promoter, passive, detractor): the trap's, the at-risk's and
# everyone else's.
NPS_MIX: dict[int, tuple[float, float, float]] = {
    TRAP: (0.85, 0.13, 0.02),
    AT_RISK: (0.10, 0.35, 0.55),
}
NPS_MIX_DEFAULT: tuple[float, float, float] = (0.45, 0.45, 0.10)


@dataclass(frozen=True)
class Planted:
    """Each customer's planted parameters (arrays indexed by customer)."""

    ticket_rate: Arr  # tickets per seat and month
    ticket_growth: Arr
    out_of_scope_start: Arr
    out_of_scope_end: Arr
    goodwill_start: Arr
    goodwill_end: Arr
    goodwill_target: Arr  # (customers, quarters): the planted goodwill share per quarter
    special_out_of_scope: Arr
    special_in_scope: Arr
    first_response_breach: Arr
    resolution_breach: Arr
    reopen_rate: Arr
    first_contact_rate: Arr
    escalation_rate: Arr
    complaint_rate: Arr
    pause_rate: Arr
    csat_response_rate: Arr
    csat_positive: Arr
    csat_negative: Arr
    top_box: Arr
    nps_mix: Arr  # (customers, 3)
    target_margin: Arr
    interaction_rate: Arr  # interactions per seat and month
    effort_factor: Arr
    has_licences: Arr
    price_index: Arr


def draw_planted(
    rng: np.random.Generator, archetype: Arr, contract_kind: Arr, quarters: int
) -> Planted:
    """Draw every customer's planted parameters from ``PLANTED``, in the table's order."""
    drawn = draw_table(rng, archetype, quarters)
    is_trap = archetype == TRAP
    ticket_rate = drawn.pop("tickets_per_seat_month")
    ticket_rate = np.where(is_trap, np.maximum(ticket_rate, TRAP_TICKET_FLOOR), ticket_rate)
    drawn["ticket_rate"] = ticket_rate * drawn.pop("ticket_multiplier")
    drawn["interaction_rate"] = drawn.pop("interactions_per_seat_month") * drawn.pop(
        "interaction_multiplier"
    )
    drawn["has_licences"] = drawn.pop("licence_draw") < np.where(
        contract_kind == TIME_MATERIAL, LICENCE_SHARE_TIME_MATERIAL, LICENCE_SHARE_OTHER
    )
    drawn["goodwill_target"] = _goodwill_target(
        drawn["goodwill_start"], drawn["goodwill_end"], drawn.pop("goodwill_wobble"), quarters
    )
    drawn["nps_mix"] = np.array(
        [NPS_MIX.get(int(kind), NPS_MIX_DEFAULT) for kind in archetype], dtype=np.float64
    ).reshape(archetype.size, 3)
    assert set(drawn) == {field.name for field in fields(Planted)}
    return Planted(**drawn)


def _goodwill_target(start: Arr, end: Arr, wobble: Arr, quarters: int) -> Arr:
    """The goodwill share per customer and quarter: linear from start to end, plus wobble."""
    share = np.arange(quarters) / max(1, quarters - 1)
    goodwill = start[:, None] + np.outer(end - start, share)
    target: Arr = np.clip(goodwill + wobble, 0.0, 0.6)
    return target


def draw_table(rng: np.random.Generator, archetype: Arr, quarters: int) -> dict[str, Arr]:
    """Every row of ``PLANTED`` drawn for every customer, by parameter name."""
    customers = archetype.size
    drawn: dict[str, Arr] = {}
    for row in PLANTED:
        shape = (customers, quarters) if row.per_quarter else (customers,)
        which = archetype[:, None] if row.per_quarter else archetype
        special = [
            (kind, value)
            for kind, value in (
                (TRAP, row.service_trap),
                (AT_RISK, row.at_risk),
                (QUIET, row.quiet),
                (UNPROFITABLE, row.unprofitable),
            )
            if value is not None
        ]
        choices = [_draw(rng, value, shape, drawn) for _, value in special]
        default = _draw(rng, row.default, shape, drawn)
        if special:
            drawn[row.name] = np.select([which == kind for kind, _ in special], choices, default)
        else:
            drawn[row.name] = default
    return drawn


def _draw(
    rng: np.random.Generator, value: Value, shape: tuple[int, ...], drawn: dict[str, Arr]
) -> Arr:
    match value:
        case Uniform(low, high):
            return rng.uniform(low, high, shape)
        case Normal(mean, sd):
            return rng.normal(mean, sd, shape)
        case LogNormal(median, sigma):
            return rng.lognormal(np.log(median), sigma, shape)
        case Same(name):
            return drawn[name]
        case RestOf(name, factor):
            rest: Arr = (1.0 - drawn[name]) * factor
            return rest
        case _:
            return np.full(shape, float(value))
