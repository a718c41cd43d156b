"""One demo provider for every review test: built, analysed and rendered once per module.

The store is filled inside a transaction that is rolled back when the module ends, so the
demo never leaks into other tests; each test runs in a savepoint inside it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import pytest_django
from django.db import transaction

from solidground.demo.actions import build_demo
from solidground.insights.actions import analyze
from solidground.insights.models import CustomerSegment

END = dt.date(2026, 3, 1)
NOW = dt.datetime(2026, 4, 1, 12, tzinfo=dt.UTC)
QUARTER = "2026Q1"
SEGMENTS = ("service_trap", "at_risk", "quiet", "solid")


@dataclass(frozen=True)
class Demo:
    # One customer id per segment the analysis placed it in.
    customers: dict[str, int]


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: pytest_django.DjangoDbBlocker) -> Iterator[Demo]:
    with django_db_blocker.unblock(), transaction.atomic():
        build_demo(customers=30, months=24, seed=3, end=END, fresh=True)
        analyze(now=NOW)
        placed = dict(
            CustomerSegment.objects.filter(segment__in=SEGMENTS)
            .order_by("segment", "customer__name")
            .values_list("segment", "customer_id")
            .distinct()
        )
        first = {}
        for segment in SEGMENTS:
            row = (
                CustomerSegment.objects.filter(segment=segment)
                .order_by("customer__name")
                .values_list("customer_id", flat=True)
                .first()
            )
            assert row is not None, f"the demo plants a {segment} customer ({placed})"
            first[segment] = row
        yield Demo(customers=first)
        transaction.set_rollback(True)
