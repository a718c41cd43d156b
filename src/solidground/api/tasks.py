"""Background tasks of the API, run by `solidground worker` (Django's tasks framework).

An API write answers as soon as the records are stored; the analysis of the customers it
touched runs here, so a PSA pushing tickets is never held up by the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.util import find_spec

from solidground.importers.actions import after_import

if find_spec("django.tasks"):
    from django.tasks import task
else:  # pragma: no cover - Django 5.2 on Python 3.11: the django-tasks backport, same API
    from django_tasks import task  # type: ignore[no-redef,import-not-found,unused-ignore]


@task()
def reanalyze_customers(customer_ids: list[int]) -> str:
    """Re-run the analysis for these customers (after an API write or a webhook)."""
    after_import(sorted(set(customer_ids)))
    return f"analysed {len(set(customer_ids))} customers"


def queue_reanalysis(*, customer_ids: Sequence[int]) -> str:
    """Queue :func:`reanalyze_customers`; the task result's id."""
    result = reanalyze_customers.enqueue(customer_ids=sorted(set(customer_ids)))
    return str(result.id)
