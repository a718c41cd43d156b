"""Sentences for findings and segment reasons, in the reader's language.

The analysis stores a message key and parameters (``Finding.params``, the conditions in
``CustomerSegment.reasons``); these templates turn them into text through Django's gettext,
with numbers formatted for the locale. German translations live in
``locale/de/LC_MESSAGES/django.po``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from solidground.insights import formatting

SEGMENT_NAMES: dict[str, Promise] = {
    "solid": _("solid"),
    "watch": _("watch"),
    "service_trap": _("service trap"),
    "at_risk": _("at risk"),
    "quiet": _("quiet"),
    "unprofitable": _("unprofitable"),
    "unclassified": _("unclassified"),
}

# Short names of the finding kinds, for lists and filters (the admin); the sentence is in MESSAGES.
KIND_NAMES: dict[str, Promise] = {
    "out_of_scope_free": _("out-of-scope work done free"),
    "sla_resolution_down": _("resolution SLA down"),
    "sla_response_down": _("first-response SLA down"),
    "csat_down": _("CSAT down"),
    "tickets_up": _("tickets up"),
    "reopen_high": _("many reopens"),
    "sla_resolution_low": _("resolution SLA low"),
    "sla_response_low": _("first-response SLA low"),
    "unhappy_high": _("many unhappy answers"),
    "noticed_high": _("many tickets noticed negatively"),
    "csat_falling": _("CSAT falling"),
    "goodwill_high": _("high goodwill"),
    "goodwill_creeping": _("goodwill creeping up"),
    "contact_high": _("high contact intensity"),
    "contact_low": _("low contact intensity"),
    "tickets_rising": _("tickets rising"),
    "margin_falling": _("margin falling"),
    "margin_low": _("low margin"),
    "margin_negative": _("negative margin"),
    "no_answers": _("no survey answers"),
    "unhappy_answer": _("unhappy survey answer"),
    "goodwill_cost_rising": _("goodwill eating the margin"),
    "cancelled": _("cancelled"),
    "sla_resolution_under": _("resolution SLA under target"),
    "sla_response_under": _("first-response SLA under target"),
    "unhappy_over": _("unhappy answers above the usual"),
    "noticed_over": _("many tickets noticed negatively"),
}

# What every customer in a segment has in common: each claim holds for every customer the
# rules place there (tests/insights/test_segment_texts.py checks them on the demo).
SEGMENT_DESCRIPTIONS: dict[str, Promise] = {
    "service_trap": _(
        "Goodwill work high or rising, contact intensity high or rising, and the margin falling, "
        "low, or eaten by goodwill work."
    ),
    "at_risk": _(
        "Service clearly below the usual: SLA missed, unhappy answers, tickets noticed "
        "negatively or CSAT falling; or cancelled after such problems."
    ),
    "unprofitable": _("Costs more than it pays: agreement margin below zero."),
    "quiet": _("Little contact and no survey answers: satisfaction unknown."),
    "watch": _(
        "Not solid: cancelled, a margin close to zero, or just inside the line on several "
        "tests. The reasons say which."
    ),
    "solid": _(
        "Reliable, not unhappy and profitable with room to spare: a margin of at least "
        "%(margin)s, no at-risk sign and near misses on one test at most."
    ),
    "unclassified": _("No activity in the window."),
}


def segment_description(segment: str, thresholds: Mapping[str, float] | None = None) -> str:
    """A segment's description in the reader's language, with the thresholds it names
    (``thresholds``: ``SegmentThresholds.as_dict()`` of the analysis; default the defaults)."""
    text = SEGMENT_DESCRIPTIONS.get(segment)
    if text is None:
        return ""
    margin = (thresholds or {}).get("margin_thin", 0.10)
    return str(text) % {"margin": percent(margin)} if segment == "solid" else str(text)


def kind_name(kind: str) -> str:
    """A finding kind's short name; an unknown kind (a newer engine) as its key with spaces."""
    known = KIND_NAMES.get(kind)
    return str(known) if known is not None else kind.replace("_", " ")


MESSAGES: dict[str, Promise] = {
    "out_of_scope_free": _(
        "%(tickets)s free “%(item)s” tickets in %(months)s months, %(hours)s, %(value)s at "
        "catalogue rate; add to the contract at %(monthly_price)s/month or bill from now"
    ),
    "sla_resolution_down": _(
        "resolution SLA met %(value)s (%(level)s%% interval %(low)s–%(high)s) in %(period)s, "
        "down from %(reference)s"
    ),
    "sla_response_down": _(
        "first-response SLA met %(value)s (%(level)s%% interval %(low)s–%(high)s) in "
        "%(period)s, down from %(reference)s"
    ),
    "csat_down": _(
        "CSAT %(value)s (%(level)s%% interval %(low)s–%(high)s) in %(period)s, down from "
        "%(reference)s"
    ),
    "tickets_up": _(
        "%(value)s tickets in %(period)s, %(ratio)s times the quarter before (%(reference)s)"
    ),
    "reopen_high": _(
        "%(value)s of resolved tickets reopened in %(period)s (%(level)s%% interval "
        "%(low)s–%(high)s); over 8%% is a problem"
    ),
    "sla_resolution_low": _(
        "resolution SLA met %(value)s (%(level)s%% interval %(low)s–%(high)s, %(n)s tickets), "
        "clearly below %(threshold)s"
    ),
    "sla_response_low": _(
        "first-response SLA met %(value)s (%(level)s%% interval %(low)s–%(high)s, %(n)s "
        "tickets), clearly below %(threshold)s"
    ),
    "unhappy_high": _(
        "%(value)s unhappy answers (%(level)s%% interval %(low)s–%(high)s, %(n)s answers); a "
        "few percent is usual"
    ),
    "noticed_high": _(
        "%(value)s of tickets noticed negatively (%(level)s%% interval %(low)s–%(high)s, "
        "%(n)s tickets): SLA breaches, reopens, escalations and complaints"
    ),
    "csat_falling": _(
        "CSAT fell from %(reference)s to %(value)s (%(n)s answers; significant at "
        "the %(level)s%% level)"
    ),
    "goodwill_high": _(
        "goodwill is %(value)s of customer-facing hours (%(hours)s); over %(threshold)s is a "
        "scope-creep warning"
    ),
    "goodwill_creeping": _("goodwill share rising quarter after quarter: %(values)s"),
    "contact_high": _("contact intensity %(value)s times the portfolio median per seat"),
    "contact_low": _("contact intensity %(value)s times the portfolio median per seat"),
    "tickets_rising": _("tickets rising quarter after quarter: %(values)s"),
    "margin_falling": _("agreement margin %(value)s, down from %(reference)s a year before"),
    "margin_low": _("agreement margin %(value)s, under the %(threshold)s warning line"),
    "margin_negative": _("agreement margin %(value)s: the customer costs more than it pays"),
    "no_answers": _("no survey answers: satisfaction unknown, not assumed"),
    # Comparisons with the past on short history (engine.segments, "Baselines").
    "margin_falling:first_half": _(
        "agreement margin %(value)s since %(start)s, down from %(reference)s before; no complete "
        "year before, so the first half of the history is compared with the second"
    ),
    "margin_falling:not_enough_history": _(
        "agreement margin %(value)s; not enough history to judge its trend (quarters of data: "
        "%(quarters)s)"
    ),
    "goodwill_cost_rising": _(
        "goodwill work costs %(value)s of the agreement's revenue, up from %(reference)s a year "
        "before"
    ),
    "goodwill_cost_rising:first_half": _(
        "goodwill work costs %(value)s of the agreement's revenue since %(start)s, up from "
        "%(reference)s before; no complete year before, so the first half of the history is "
        "compared with the second"
    ),
    "csat_falling:first_half": _(
        "CSAT fell from %(reference)s to %(value)s since %(start)s (%(n)s answers; significant at "
        "the %(level)s%% level); the first half of the history compared with the second"
    ),
    # Watch: inside the line, without room to spare.
    "sla_resolution_near": _(
        "resolution SLA met %(value)s (%(n)s tickets): inside the line, but under %(threshold)s"
    ),
    "sla_response_near": _(
        "first-response SLA met %(value)s (%(n)s tickets): inside the line, but under %(threshold)s"
    ),
    "unhappy_near": _("%(value)s unhappy answers (%(n)s answers): %(threshold)s or more"),
    "noticed_near": _(
        "%(value)s of tickets noticed negatively (%(n)s tickets): %(threshold)s or more"
    ),
    "margin_thin": _("agreement margin %(value)s: under %(threshold)s, close to zero"),
    "margin_thin:unknown": _("no revenue recorded: whether it is profitable is unknown"),
    "cancelled": _("the customer has cancelled"),
    # At risk after a cancellation: past the line, too few tickets or answers to rule out chance.
    "sla_resolution_under": _(
        "resolution SLA met %(value)s (%(level)s%% interval %(low)s–%(high)s, %(n)s tickets), "
        "under %(threshold)s"
    ),
    "sla_response_under": _(
        "first-response SLA met %(value)s (%(level)s%% interval %(low)s–%(high)s, %(n)s "
        "tickets), under %(threshold)s"
    ),
    "unhappy_over": _(
        "%(value)s unhappy answers (%(level)s%% interval %(low)s–%(high)s, %(n)s answers)"
    ),
    "noticed_over": _(
        "%(value)s of tickets noticed negatively (%(level)s%% interval %(low)s–%(high)s, %(n)s "
        "tickets)"
    ),
    "unhappy_answer": _(
        "unhappy survey answers in the last %(days)s days: %(answers)s, the latest on "
        "%(latest)s; call the customer"
    ),
}

MOVERS: dict[str, Promise] = {
    "sla_resolution_low": _("resolution SLA met reaching %(threshold)s (now %(value)s)"),
    "sla_response_low": _("first-response SLA met reaching %(threshold)s (now %(value)s)"),
    "unhappy_high": _("unhappy answers falling under %(threshold)s (now %(value)s)"),
    "noticed_high": _("tickets noticed negatively falling under %(threshold)s (now %(value)s)"),
    "csat_falling": _("CSAT recovering to %(reference)s (now %(value)s)"),
    "goodwill_high": _("goodwill under %(threshold)s of hours (now %(value)s)"),
    "goodwill_creeping": _("goodwill share no longer rising"),
    "contact_high": _("contact intensity under %(threshold)s times the median (now %(value)s)"),
    "contact_low": _("contact intensity above %(threshold)s times the median (now %(value)s)"),
    "tickets_rising": _("tickets no longer rising quarter after quarter"),
    "margin_falling": _("agreement margin back to %(reference)s (now %(value)s)"),
    "margin_low": _("agreement margin above %(threshold)s (now %(value)s)"),
    "margin_negative": _("agreement margin above 0 (now %(value)s)"),
    "no_answers": _("a survey answer"),
    "goodwill_cost_rising": _(
        "goodwill work's cost back to %(reference)s of revenue (now %(value)s)"
    ),
    "sla_resolution_near": _("resolution SLA met reaching %(threshold)s (now %(value)s)"),
    "sla_response_near": _("first-response SLA met reaching %(threshold)s (now %(value)s)"),
    "unhappy_near": _("unhappy answers falling under %(threshold)s (now %(value)s)"),
    "noticed_near": _("tickets noticed negatively falling under %(threshold)s (now %(value)s)"),
    "margin_thin": _("agreement margin above %(threshold)s (now %(value)s)"),
    "margin_thin:unknown": _("revenue recorded for the customer"),
    "cancelled": _("the cancellation withdrawn"),
    "sla_resolution_under": _("resolution SLA met reaching %(threshold)s (now %(value)s)"),
    "sla_response_under": _("first-response SLA met reaching %(threshold)s (now %(value)s)"),
    "unhappy_over": _("unhappy answers falling under %(threshold)s (now %(value)s)"),
    "noticed_over": _("tickets noticed negatively falling under %(threshold)s (now %(value)s)"),
    "unhappy_answer": _("no unhappy answer in the last %(days)s days"),
}

# The level of the interval a sentence names (docs/analysis.md, "Two interval levels"): the
# at-risk tests and the fall of CSAT ask for 99% (SegmentThresholds.risk_alpha and
# falling_alpha, as the analysis stored them); the period figures of the quarterly findings
# are 95% intervals (engine.findings, engine.trends).
_RISK_LEVEL_KEYS = frozenset(
    {
        "sla_resolution_low",
        "sla_response_low",
        "unhappy_high",
        "noticed_high",
        "sla_resolution_under",
        "sla_response_under",
        "unhappy_over",
        "noticed_over",
    }
)
_FALLING_LEVEL_KEYS = frozenset({"csat_falling"})
PERIOD_ALPHA = 0.05
# The defaults of engine.segments.SegmentThresholds, for an analysis that stored none
# (tests/insights/test_segment_texts.py checks that they agree).
DEFAULT_RISK_ALPHA = 0.01
DEFAULT_FALLING_ALPHA = 0.01


@dataclass(frozen=True)
class Context:
    """What the analysis stored that a sentence names besides its own figures: the days its
    data cover (a partly covered quarter is named so) and the levels of its intervals."""

    coverage: formatting.Coverage | None = None
    risk_alpha: float = DEFAULT_RISK_ALPHA
    falling_alpha: float = DEFAULT_FALLING_ALPHA

    @classmethod
    def stored(cls, baseline: object, thresholds: object) -> Context:
        """From an analysis run's ``baseline`` (its ``coverage``) and ``thresholds`` (its
        ``segments``), whatever of them it holds; the defaults for the rest."""
        coverage = None
        covered = baseline.get("coverage") if isinstance(baseline, dict) else None
        if isinstance(covered, list | tuple) and len(covered) == 2:
            try:
                coverage = (
                    date.fromisoformat(str(covered[0])),
                    date.fromisoformat(str(covered[1])),
                )
            except ValueError:
                coverage = None
        rules = thresholds.get("segments") if isinstance(thresholds, dict) else None
        rules = rules if isinstance(rules, dict) else {}

        def alpha(name: str, default: float) -> float:
            value = rules.get(name)
            return float(value) if isinstance(value, int | float) and 0 < value < 1 else default

        return cls(
            coverage=coverage,
            risk_alpha=alpha("risk_alpha", DEFAULT_RISK_ALPHA),
            falling_alpha=alpha("falling_alpha", DEFAULT_FALLING_ALPHA),
        )

    def alpha(self, key: str, params: Mapping[str, Any]) -> float:
        """The alpha of the interval the sentence of ``key`` names: the condition's own when
        it carries one, else the stored threshold its test used."""
        own = params.get("alpha")
        if isinstance(own, int | float) and 0 < own < 1:
            return float(own)
        if key in _RISK_LEVEL_KEYS:
            return self.risk_alpha
        if key in _FALLING_LEVEL_KEYS:
            return self.falling_alpha
        return PERIOD_ALPHA


def interval_level(alpha: float) -> str:
    """An interval's level as a number without its sign: "99", "95", "99,5" in German."""
    level = round((1 - alpha) * 100, 1)
    return _number(level, 0 if level == int(level) else 1)


_PERCENT_KEYS = {"value", "low", "high", "reference", "threshold", "change"}
_BASELINE_VARIANTS = ("first_half", "not_enough_history")
_PERCENT_KINDS_EXCEPT = {"tickets_up", "contact_high", "contact_low", "out_of_scope_free"}


percent = formatting.percent
money = formatting.money


def _number(value: float | None, digits: int = 1) -> str:
    if value is None:
        return gettext("no data")
    # Rounded half up, as everywhere (formatting.number): number_format alone cuts 117.8 h to
    # "117 h".
    return formatting.number(value, digits)


def _period(value: object) -> str:
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return str(value)
    if isinstance(value, date):
        quarter = (value.month - 1) // 3 + 1
        return f"Q{quarter} {value.year}"
    return str(value)


def format_params(key: str, params: Mapping[str, Any], period: object = None) -> dict[str, str]:
    """Every parameter as locale-formatted text, as the message of ``key`` expects it."""
    shown: dict[str, str] = {}
    for name, value in params.items():
        if name == "values":
            items = value or []
            if key == "tickets_rising":
                shown[name] = " → ".join(_number(v, 0) for v in items)
            else:
                shown[name] = " → ".join(percent(v) for v in items)
        elif name in ("value", "reference") and key == "tickets_up":
            shown[name] = _number(value, 0)
        elif name in ("value", "threshold") and key in ("contact_high", "contact_low"):
            shown[name] = _number(value, 1)
        elif name in _PERCENT_KEYS and key not in _PERCENT_KINDS_EXCEPT:
            shown[name] = percent(value)
        elif name in ("value", "monthly_price", "rate"):
            shown[name] = money(value)
        elif name == "hours":
            shown[name] = f"{_number(value, 0)} h"
        elif name == "ratio":
            shown[name] = _number(value, 1)
        elif name in ("start", "reference_start", "window_start"):
            shown[name] = _period(value)
        elif name == "latest" and key == "unhappy_answer":
            shown[name] = date_format(date.fromisoformat(str(value)), "SHORT_DATE_FORMAT")
        elif isinstance(value, float):
            shown[name] = _number(value, 2)
        else:
            shown[name] = "" if value is None else str(value)
    shown["period"] = _period(period)
    return shown


def render(
    key: str,
    params: Mapping[str, Any],
    period: object = None,
    *,
    mover: bool = False,
    context: Context | None = None,
) -> str:
    """One condition or finding as a sentence (without the customer's name).

    A comparison on short history has a sentence of its own, which names its baseline
    (``key:first_half``, ``key:not_enough_history``); a figure without a value may too
    (``key:unknown``). ``context``: the analysis's coverage and interval levels
    (selectors.common.message_context; default: no coverage known, the default levels).
    """
    context = context or Context()
    templates = MOVERS if mover else MESSAGES
    variant = params.get("baseline") if params.get("baseline") in _BASELINE_VARIANTS else None
    if variant is None and params.get("value", 0) is None:
        variant = "unknown"
    template = templates.get(f"{key}:{variant}") if variant else None
    template = template or templates.get(key)
    if template is None:
        return key
    shown = format_params(key, params, period)
    shown["level"] = interval_level(context.alpha(key, params))
    text = str(template) % shown
    window = _day(params.get("window_start"))
    last = _day(period)
    if window and last and not mover:
        # A finding restating a segment's reason: its figures are the segment window's, which
        # may differ from the months a table shows next to it; a quarter the data cover only
        # in part is named so ("Q4 2025 from 3 Dec – Q3 2026").
        text += " (" + formatting.quarter_window(window, last, context.coverage, inside=True) + ")"
    return text


def _day(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return value if isinstance(value, date) else None
