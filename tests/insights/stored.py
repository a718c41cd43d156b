"""The stored analysis results as comparable rows, for the tests of re-analysis."""

from __future__ import annotations

from django.db.models import Model

from solidground.insights.models import CustomerPeriod, CustomerTrend, TicketScope, TicketSla

# The result tables a re-analysis compares with what it computed and rewrites only in part.
DIFFED = (TicketSla, TicketScope, CustomerPeriod, CustomerTrend)

Results = dict[str, list[tuple[object, ...]]]


def stored_rows(model: type[Model]) -> list[tuple[object, ...]]:
    """The table's rows; floats to 12 significant digits (the storing compares them so: the
    last bit of a float sum may differ between runs)."""
    fields = [f.attname for f in model._meta.concrete_fields if f.attname != "id"]
    rows = [
        tuple(float(f"{v:.12g}") if isinstance(v, float) else v for v in row)
        for row in model.objects.values_list(*fields)
    ]
    return sorted(rows, key=repr)


def stored_results() -> Results:
    return {model.__name__: stored_rows(model) for model in DIFFED}
