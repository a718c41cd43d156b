"""The renewal results as sentences in the reader's language: reasons, verdicts, questions and
measures. Shared by the pages, the command line and the owner's report."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext, gettext_lazy, ngettext_lazy

from solidground.insights.formatting import money, number, percent
from solidground.insights.models import Segment

QUESTIONS = {
    1: gettext_lazy("Do fan-like customers renew or expand more than satisfied ones?"),
    2: gettext_lazy("What do fan-like customers cost, compared with satisfied ones?"),
    3: gettext_lazy("Does reliability predict cancellation more than enthusiasm does?"),
}
# What the seeds' thesis expects for each question (the verdict says whether the data agree).
THESIS = {
    1: gettext_lazy("The thesis: fans do not renew or expand more than satisfied customers."),
    2: gettext_lazy("The thesis: fans cost more (more goodwill, lower margin)."),
    3: gettext_lazy(
        "The thesis: unreliable service (SLA breaches, reopens) predicts cancellation more "
        "than enthusiasm does."
    ),
}
GROUPS = {
    "satisfied": gettext_lazy("satisfied"),
    "fan_like": gettext_lazy("fan-like"),
    "unhappy": gettext_lazy("unhappy"),
    "silent": gettext_lazy("silent"),
    "other": gettext_lazy("other"),
    "": gettext_lazy("no figures"),
}
LEVELS = {
    "high": gettext_lazy("high"),
    "elevated": gettext_lazy("elevated"),
    "low": gettext_lazy("low"),
}
MEASURES = {
    "kept": gettext_lazy("contracts kept (not cancelled)"),
    "expanded": gettext_lazy("contracts expanded"),
    "cancellation_hazard": gettext_lazy("hazard of cancellation, reliability equal"),
    "goodwill_share": gettext_lazy("goodwill share of customer-facing hours"),
    "goodwill_hours_per_month": gettext_lazy("goodwill hours per month"),
    "goodwill_cost_per_month": gettext_lazy("goodwill cost per month"),
    "margin_share": gettext_lazy("agreement margin"),
    "effective_rate": gettext_lazy("effective hourly rate"),
    "contact_intensity": gettext_lazy("contact intensity (x portfolio median)"),
    "reliability_hazard": gettext_lazy("hazard ratio per SD of tickets noticed negatively"),
    "enthusiasm_hazard": gettext_lazy("hazard ratio per SD of top answers"),
    "strength_difference": gettext_lazy("|log HR| reliability minus |log HR| enthusiasm"),
}
COVARIATES = {
    "noticed_negatively": gettext_lazy("tickets noticed negatively (per 10 points)"),
    "fan_like": gettext_lazy("fan-like"),
    "unhappy": gettext_lazy("unhappy"),
    "silent": gettext_lazy("silent"),
    "revenue_shrinking": gettext_lazy("revenue shrinking"),
}


def segment(key: str) -> str:
    """A segment's name as the other pages show it (the insights app's labels)."""
    labels = dict(Segment.choices)
    return str(labels[key]).capitalize() if key in labels else key.replace("_", " ")


# Measures that are shares: differences of them are in percentage points.
POINTS = ("kept", "expanded", "goodwill_share", "margin_share")


def label(table: dict[Any, Any], key: Any) -> str:
    return str(table.get(key, str(key).replace("_", " ")))


def verdict(answer_verdict: str, n: dict[str, int]) -> str:
    if answer_verdict == "supported":
        return gettext("supported")
    if answer_verdict == "contradicted":
        return gettext("contradicted")
    counts = ", ".join(
        f"{label(GROUPS, k) if k in GROUPS else _n_label(k)} {v}" for k, v in n.items()
    )
    return gettext("the data cannot tell yet (n = %(counts)s)") % {"counts": counts}


def _n_label(key: str) -> str:
    names = {
        "contracts": gettext("contracts"),
        "cancellations": gettext("cancellations"),
        "cancellations_fan_like": gettext("cancellations of fan-like"),
        "cancellations_satisfied": gettext("cancellations of satisfied"),
    }
    return names.get(key, key.replace("_", " "))


def _share(value: float | None) -> str:
    return percent(value, 0)


def measure_value(key: str, value: float | None) -> str:
    """A measure's value (or interval bound) formatted by its kind."""
    if value is None:
        return gettext("no data")
    if key in POINTS:
        return _share(value)
    if key in ("goodwill_cost_per_month", "effective_rate"):
        return money(value)
    if key == "goodwill_hours_per_month":
        return f"{number(value, 1)} h"
    return number(value, 2)


def measure_difference(key: str, value: float | None) -> str:
    """A difference (fan-like minus satisfied): shares in percentage points."""
    if value is None:
        return gettext("no data")
    if key in POINTS:
        return gettext("%(points)s points") % {"points": number(value * 100, 1)}
    return measure_value(key, value)


def effect(measure: dict[str, Any]) -> str:
    """ "−27 points (−39 to −9)" or "HR 3.5 (2.0 to 5.9)"; "no data" without an estimate."""
    key = measure["key"]
    if measure.get("estimate") is None:
        return gettext("cannot be estimated")
    if measure["kind"] == "hazard_ratio":
        main = gettext("HR %(value)s") % {"value": number(measure["estimate"], 2)}
        if measure.get("low") is None or measure.get("high") is None:
            return main
        return gettext("%(main)s (%(low)s to %(high)s)") % {
            "main": main,
            "low": number(measure["low"], 2),
            "high": number(measure["high"], 2),
        }
    format_ = measure_difference if measure["kind"] == "difference" else measure_value
    main = format_(key, measure["estimate"])
    if measure.get("low") is None or measure.get("high") is None:
        return main

    def bound(value: float) -> str:
        if measure["kind"] == "difference" and key in POINTS:
            return number(value * 100, 1)  # the unit once: "15.7 points (-9.7 to 28.0)"
        return format_(key, value)

    return gettext("%(main)s (%(low)s to %(high)s)") % {
        "main": main,
        "low": bound(measure["low"]),
        "high": bound(measure["high"]),
    }


def _hazard(reason: dict[str, Any]) -> str:
    if reason.get("hr") is None:
        return ""
    if reason.get("hr_low") is None or reason.get("hr_high") is None:
        return ""
    return " " + gettext("(hazard ratio %(hr)s, %(low)s to %(high)s)") % {
        "hr": number(reason["hr"], 1),
        "low": number(reason["hr_low"], 1),
        "high": number(reason["hr_high"], 1),
    }


def reason(item: dict[str, Any]) -> str:
    """One warning sign as a sentence."""
    key = item.get("key")
    if key == "reliability":
        text = gettext(
            "%(share)s of tickets noticed negatively in the last four quarters (at least "
            "%(low)s; %(n)s tickets)"
        ) % {
            "share": _share(item.get("value")),
            "low": _share(item.get("low")),
            "n": number(item.get("n") or 0),
        }
    elif key == "unhappy":
        text = gettext("unhappy answers: %(share)s (%(negative)s of %(n)s)") % {
            "share": _share(item.get("value")),
            "negative": number(item.get("negative") or 0),
            "n": number(item.get("n") or 0),
        }
    elif key == "satisfaction_falling":
        text = gettext("CSAT fell to %(now)s from %(before)s a year before") % {
            "now": _share(item.get("value")),
            "before": _share(item.get("before")),
        }
    elif key == "silent":
        text = gettext("silent: no survey answer in the last four quarters")
    elif key == "revenue_shrinking":
        if item.get("before"):
            text = gettext("revenue of the last four quarters %(now)s, down from %(before)s") % {
                "now": money(item.get("value")),
                "before": money(item.get("before")),
            }
        else:
            text = gettext("revenue shrinking")
        if item.get("downgraded"):
            text += "; " + gettext("downgraded in the last twelve months")
    elif key == "goodwill_creep":
        text = gettext("goodwill creep: %(now)s of customer-facing hours, up from %(before)s") % {
            "now": _share(item.get("value")),
            "before": _share(item.get("before")),
        }
    else:
        text = str(key)
    return text + _hazard(item)


def risk(value: float | None, low: float | None, high: float | None) -> str:
    """A model's risk, rounded to 5 points: a finer number would claim more than it knows."""
    if value is None:
        return ""
    rounded = round(value * 20) / 20
    if low is None or high is None:
        return gettext("about %(risk)s") % {"risk": percent(rounded)}
    return gettext("about %(risk)s (%(low)s to %(high)s)") % {
        "risk": percent(rounded),
        "low": percent(low),
        "high": percent(high),
    }


def shortfall(history: dict[str, Any], missing: list[str]) -> str:
    """Why there is no model: the counts against what a model needs."""
    if "fit" in missing:
        return gettext("The survival model could not be fitted on this history.")
    # The singular and plural of each count, and the history key of its minimum.
    forms = {
        "contracts": (
            ngettext_lazy(
                "%(n)s contract (a model needs %(min)s)",
                "%(n)s contracts (a model needs %(min)s)",
                "n",
            ),
            "min_contracts",
        ),
        "cancellations": (
            ngettext_lazy(
                "%(n)s cancellation (a model needs %(min)s)",
                "%(n)s cancellations (a model needs %(min)s)",
                "n",
            ),
            "min_cancellations",
        ),
        "quarters": (
            ngettext_lazy(
                "%(n)s quarter of history (a model needs %(min)s)",
                "%(n)s quarters of history (a model needs %(min)s)",
                "n",
            ),
            "min_quarters",
        ),
    }
    parts = [
        forms[key][0] % {"n": history.get(key, 0), "min": history.get(forms[key][1])}
        for key in ("contracts", "cancellations", "quarters")
        if key in missing
    ]
    return gettext("Not enough history for a survival model: %(parts)s.") % {
        "parts": "; ".join(parts)
    }
