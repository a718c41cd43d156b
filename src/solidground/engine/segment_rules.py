"""The segment rules: one customer's window figures tested and placed (:func:`judge`).

The rules, their order and their thresholds are described in ``solidground.engine.segments``.
Every test is computed once per customer (:class:`_Tests`); each segment's rule is one function
that places the customer or passes (``None``), tried in the order of the docstring; "watch" or
"solid" places everyone left.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Final

from solidground.engine.segment_baselines import (
    baseline_of,
    csat_fall,
    goodwill_cost_rising,
    margin_falling,
)
from solidground.engine.segment_conditions import (
    Baseline,
    Condition,
    Judgement,
    Row,
    SegmentThresholds,
    condition,
    rate_condition,
    to_float,
)
from solidground.engine.trends import SIGNIFICANCE

__all__ = ["judge"]

# The window figures each judgement carries (``figures``).
_FIGURES: Final = (
    "tickets",
    "interactions",
    "csat_responses",
    "answers",
    "goodwill_share",
    "margin_share",
    "margin_share_year_before",
    "margin_share_first_half",
    "margin_share_second_half",
    "contact_intensity",
    "contacts_per_seat",
    "revenue",
    "margin",
    "hours_goodwill",
    "out_of_scope_free_value",
    "months",
    "quarters_with_data",
    "partial_quarters",
)

# The tests a near miss belongs to: near misses on one test (a late ticket is also a ticket
# noticed negatively) are one near miss.
_TEST_OF: Final = {
    "sla_resolution_near": "reliability",
    "sla_response_near": "reliability",
    "noticed_near": "reliability",
    "unhappy_near": "satisfaction",
    "margin_low": "profit",
    "goodwill_high": "goodwill",
    "goodwill_creeping": "goodwill",
    "contact_high": "contact",
    "tickets_rising": "contact",
}

_UNDER: Final = ("sla_resolution_under", "sla_response_under", "unhappy_over", "noticed_over")
_NEAR: Final = ("sla_resolution_near", "sla_response_near", "unhappy_near", "noticed_near")


# --- the tests, once per customer -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Tests:
    """Every test of one customer's window, for all the rules."""

    history: Baseline
    # At risk.
    sla_resolution: Condition
    sla_response: Condition
    unhappy: Condition
    noticed: Condition
    csat_falling: Condition
    # The service trap.
    goodwill_high: Condition
    goodwill_creeping: Condition
    contact_high: Condition
    tickets_rising: Condition
    margin_falling: Condition
    goodwill_cost_rising: Condition
    margin_low: Condition
    # Unprofitable and quiet.
    margin_negative: Condition
    contact_low: Condition
    no_answers: Condition

    @property
    def risk(self) -> list[Condition]:
        return [
            self.sla_resolution,
            self.sla_response,
            self.unhappy,
            self.noticed,
            self.csat_falling,
        ]

    @property
    def trap(self) -> list[Condition]:
        return [
            self.goodwill_high,
            self.goodwill_creeping,
            self.contact_high,
            self.tickets_rising,
            self.margin_falling,
            self.goodwill_cost_rising,
            self.margin_low,
        ]

    @property
    def service(self) -> tuple[Condition, Condition, Condition, Condition]:
        """The reliability and satisfaction tests, in the order ``_lines_crossed`` reads."""
        return (self.sla_resolution, self.sla_response, self.unhappy, self.noticed)


def _tests(row: Row, t: SegmentThresholds) -> _Tests:
    history = baseline_of(row, t)
    return _Tests(
        history,
        **_risk_tests(row, t, history),
        **_goodwill_tests(row, t),
        **_contact_tests(row, t),
        **_margin_tests(row, t, history),
        **_loss_and_quiet_tests(row, t),
    )


def _sla_condition(key: str, met_count: int, total: int, t: SegmentThresholds) -> Condition:
    """SLA met clearly below target, with at least ``sla_min_missed`` tickets late."""
    found = rate_condition(
        key,
        met_count,
        total,
        above=False,
        threshold=t.sla_target,
        bound=t.sla_target,
        alpha=t.risk_alpha,
    )
    if found.met and total - met_count < t.sla_min_missed:
        return replace(found, met=False)
    return found


def _risk_tests(row: Row, t: SegmentThresholds, history: Baseline) -> dict[str, Condition]:
    """At risk: SLA clearly below target, unhappy answers or tickets noticed negatively clearly
    above the usual, CSAT fallen."""
    return {
        "sla_response": _sla_condition(
            "sla_response_low", int(row["sla_response_met"]), int(row["sla_response_total"]), t
        ),
        "sla_resolution": _sla_condition(
            "sla_resolution_low",
            int(row["sla_resolution_met"]),
            int(row["sla_resolution_total"]),
            t,
        ),
        "unhappy": rate_condition(
            "unhappy_high",
            int(row["csat_negative"]),
            int(row["csat_responses"]),
            above=True,
            threshold=t.unhappy_share,
            bound=t.unhappy_floor,
            alpha=t.risk_alpha,
            min_successes=t.unhappy_min_answers,
        ),
        "noticed": rate_condition(
            "noticed_high",
            int(row["noticed_negatively"]),
            int(row["tickets"]),
            above=True,
            threshold=t.noticed_share,
            bound=t.noticed_floor,
            alpha=t.risk_alpha,
        ),
        "csat_falling": csat_fall(row, t.falling_alpha, history),
    }


def _goodwill_tests(row: Row, t: SegmentThresholds) -> dict[str, Condition]:
    """The trap's goodwill: a high share of customer-facing hours, or creeping up."""
    share = to_float(row["goodwill_share"])
    quarters = row.get("goodwill_share_quarters") or []
    last = quarters[-1] if quarters else None
    return {
        "goodwill_high": condition(
            "goodwill_high",
            share is not None and share >= t.goodwill_share,
            value=share,
            threshold=t.goodwill_share,
            hours=to_float(row["hours_goodwill"]),
        ),
        "goodwill_creeping": condition(
            "goodwill_creeping",
            bool(row.get("goodwill_share_rising"))
            and last is not None
            and last >= t.goodwill_creep_floor,
            values=quarters,
            threshold=t.goodwill_creep_floor,
        ),
    }


def _contact_tests(row: Row, t: SegmentThresholds) -> dict[str, Condition]:
    """The trap's contact: high against the portfolio median, or tickets rising."""
    intensity = to_float(row["contact_intensity"])
    increase = to_float(row.get("tickets_increase"))
    p_value = to_float(row.get("tickets_p_value"))
    return {
        "contact_high": condition(
            "contact_high",
            intensity is not None and intensity >= t.contact_high,
            value=intensity,
            threshold=t.contact_high,
            contacts_per_seat=to_float(row["contacts_per_seat"]),
        ),
        "tickets_rising": condition(
            "tickets_rising",
            bool(row.get("tickets_rising"))
            and increase is not None
            and increase >= t.ticket_rise
            and p_value is not None
            and p_value < SIGNIFICANCE,
            value=increase,
            threshold=t.ticket_rise,
            values=row.get("tickets_quarters") or [],
            p_value=p_value,
        ),
    }


def _margin_tests(row: Row, t: SegmentThresholds, history: Baseline) -> dict[str, Condition]:
    """The trap's margin: falling against the baseline, eaten by goodwill, or low."""
    margin_share = to_float(row["margin_share"])
    return {
        "margin_falling": margin_falling(row, t, history),
        "goodwill_cost_rising": goodwill_cost_rising(row, t, history),
        "margin_low": condition(
            "margin_low",
            margin_share is not None and margin_share < t.margin_low,
            value=margin_share,
            threshold=t.margin_low,
        ),
    }


def _loss_and_quiet_tests(row: Row, t: SegmentThresholds) -> dict[str, Condition]:
    """Unprofitable: a negative margin (or cost without revenue). Quiet: little contact and
    no answers."""
    margin_share = to_float(row["margin_share"])
    revenue = float(row["revenue"] or 0)
    cost = float(row["labour_cost"] or 0) + float(row["direct_cost"] or 0)
    intensity = to_float(row["contact_intensity"])
    answers = int(row["answers"])
    return {
        "margin_negative": condition(
            "margin_negative",
            (margin_share is not None and margin_share < t.margin_negative)
            or (revenue <= 0 and cost > 0),
            value=margin_share,
            threshold=t.margin_negative,
            margin=to_float(row["margin"]),
        ),
        "contact_low": condition(
            "contact_low",
            intensity is not None and intensity < t.quiet_contact,
            value=intensity,
            threshold=t.quiet_contact,
        ),
        "no_answers": condition("no_answers", answers == 0, n=answers),
    }


# --- near misses ----------------------------------------------------------------------------


def _tests_missed_narrowly(near: list[Condition]) -> int:
    return len({_TEST_OF.get(c.key, c.key) for c in near})


def _lines_crossed(
    row: Row,
    t: SegmentThresholds,
    tests: tuple[Condition, Condition, Condition, Condition],
    *,
    lines: tuple[float, float, float],
    keys: tuple[str, str, str, str],
) -> list[Condition]:
    """The reliability and satisfaction tests (SLA resolution, SLA first response, unhappy,
    noticed negatively) whose point estimate crosses the given lines (SLA met, unhappy share,
    noticed share), each as a met condition under its new key with the line as threshold.

    With the at-risk lines: signs past the line that too few tickets or answers cannot tell
    from chance; with the near lines: tests passed without room to spare.
    """
    sla, unhappy, noticed = lines
    crossed: list[Condition] = []
    for index, (test, key) in enumerate(zip(tests, keys, strict=True)):
        value, n = test.value, int(test.get("n") or 0)
        if value is None:
            continue
        if index == 2:
            over = value >= unhappy and int(row["csat_negative"]) >= t.unhappy_min_answers
            line = unhappy
        elif index == 3:
            over, line = value >= noticed, noticed
        else:
            over = value < sla and n - round(value * n) >= t.sla_min_missed
            line = sla
        if over:
            crossed.append(Condition(key, True, {**test.evidence, "threshold": line}))
    return crossed


def _near_misses(row: Row, t: SegmentThresholds, tests: _Tests) -> list[Condition]:
    """Tests passed without room to spare. The trap's signals present without the whole trap
    count as near misses; a margin lower than the baseline alone does not (it varies from half
    year to half year by itself)."""
    return [
        *_lines_crossed(
            row, t, tests.service, lines=(t.near_sla, t.near_unhappy, t.near_noticed), keys=_NEAR
        ),
        *[c for c in _met(tests.trap) if c.key not in ("margin_falling", "goodwill_cost_rising")],
    ]


# --- the rules, in their order --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Placement:
    segment: str
    rule: str
    reasons: list[Condition]
    movers: list[Condition]


# A rule places the customer or passes (None).
_Rule = Callable[[Row, SegmentThresholds, _Tests, bool], _Placement | None]


def _met(conditions: list[Condition]) -> list[Condition]:
    return [c for c in conditions if c.met]


def _unmet(conditions: list[Condition]) -> list[Condition]:
    return [c for c in conditions if not c.met and c.value is not None]


def _service_trap(
    row: Row, t: SegmentThresholds, tests: _Tests, cancelled: bool
) -> _Placement | None:
    goodwill = tests.goodwill_high.met or tests.goodwill_creeping.met
    contact = tests.contact_high.met or tests.tickets_rising.met
    margin = tests.margin_falling.met or tests.margin_low.met or tests.goodwill_cost_rising.met
    if not (goodwill and contact and margin):
        return None
    # The trap explains the pattern; warning signs of risk are kept in the reasons (and come
    # out as findings), so nothing is hidden.
    trap, risk = tests.trap, tests.risk
    return _Placement("service_trap", "service_trap", _met(trap) + _met(risk), _met(trap))


def _at_risk(row: Row, t: SegmentThresholds, tests: _Tests, cancelled: bool) -> _Placement | None:
    risk = tests.risk
    if not any(c.met for c in risk):
        return None
    return _Placement("at_risk", "at_risk", _met(risk), _met(risk))


def _cancelled_after_problems(
    row: Row, t: SegmentThresholds, tests: _Tests, cancelled: bool
) -> _Placement | None:
    """Notice given after service problems: the pattern of the at-risk customers, and the
    notice period is the time left to win the customer back."""
    if not cancelled:
        return None
    lines = (t.sla_target, t.unhappy_share, t.noticed_share)
    troubles = _lines_crossed(row, t, tests.service, lines=lines, keys=_UNDER)
    if not troubles:
        return None
    gone = condition("cancelled", cancelled)
    return _Placement("at_risk", "cancelled_after_problems", [gone, *troubles], [gone, *troubles])


def _unprofitable(
    row: Row, t: SegmentThresholds, tests: _Tests, cancelled: bool
) -> _Placement | None:
    negative = tests.margin_negative
    if not negative.met:
        return None
    # Which trap signals are present, so the reader sees why it is not the trap.
    return _Placement("unprofitable", "unprofitable", [negative, *_met(tests.trap)], [negative])


def _quiet(row: Row, t: SegmentThresholds, tests: _Tests, cancelled: bool) -> _Placement | None:
    quiet = [tests.contact_low, tests.no_answers]
    if not all(c.met for c in quiet):
        return None
    return _Placement("quiet", "quiet", quiet, list(quiet))


def _watch_or_solid(row: Row, t: SegmentThresholds, tests: _Tests, cancelled: bool) -> _Placement:
    """Solid needs room to spare on every test; everyone else left is watch."""
    near = _near_misses(row, t, tests)
    gone = condition("cancelled", cancelled)
    margin_share = to_float(row["margin_share"])
    thin = condition(
        "margin_thin",
        margin_share is None or margin_share < t.margin_thin,
        value=margin_share,
        threshold=t.margin_thin,
    )
    short = [tests.margin_falling] if tests.history.kind == "not_enough_history" else []
    if gone.met or thin.met or _tests_missed_narrowly(near) >= t.watch_near_misses:
        return _Placement("watch", "watch", _met([gone, thin]) + near + short, _met([thin]) + near)
    reasons = [
        c for c in (*tests.service, tests.margin_low) if c.value is not None and c not in near
    ]
    if tests.no_answers.met:
        reasons.append(tests.no_answers)
    reasons += near + short
    # What would move a solid customer: the warning signs already present, then the nearest.
    movers = near + _unmet(
        [
            tests.sla_resolution,
            tests.unhappy,
            tests.goodwill_high,
            tests.contact_high,
            tests.margin_negative,
        ]
    )
    return _Placement("solid", "solid", reasons, movers)


# Checked in this order; the first that holds places the customer, else watch or solid.
_RULES: Final[tuple[_Rule, ...]] = (
    _service_trap,
    _at_risk,
    _cancelled_after_problems,
    _unprofitable,
    _quiet,
)


def _place(row: Row, t: SegmentThresholds, *, cancelled: bool) -> _Placement:
    active = (
        int(row["tickets"]) > 0
        or float(row["revenue"] or 0) > 0
        or int(row["quarters_with_data"]) > 0
    )
    if not active:
        return _Placement("unclassified", "no_activity", [], [])
    tests = _tests(row, t)
    for rule in _RULES:
        placement = rule(row, t, tests, cancelled)
        if placement is not None:
            return placement
    return _watch_or_solid(row, t, tests, cancelled)


def judge(row: Row, t: SegmentThresholds, *, cancelled: bool) -> Judgement:
    """Place one customer by its window figures (a row of the window frame)."""
    placement = _place(row, t, cancelled=cancelled)
    return Judgement(
        customer_id=row["customer_id"],
        window_start=row["window_start"],
        window_end=row["window_end"],
        figures={
            key: to_float(row.get(key)) if not isinstance(row.get(key), int) else row.get(key)
            for key in _FIGURES
        },
        segment=placement.segment,
        rule=placement.rule,
        reasons=tuple(placement.reasons),
        movers=tuple(placement.movers),
    )
