"""The store refuses records a user could not mean: the constraints behind every import."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from solidground.contracts.models import CalendarWindow, Contract, SlaTarget
from solidground.service.models import Ticket, TimeEntry
from solidground.surveys.models import SurveyAnswer
from tests.factories import (
    CalendarFactory,
    ContractFactory,
    CustomerFactory,
    SlaPolicyFactory,
    SurveyAnswerFactory,
    TicketFactory,
    TimeEntryFactory,
)

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def refused(create: object) -> bool:
    try:
        with transaction.atomic():
            create()  # type: ignore[operator]
    except IntegrityError:
        return True
    return False


def test_same_source_and_external_id_twice_is_refused_so_imports_upsert() -> None:
    customer = CustomerFactory()
    TicketFactory(customer=customer, source="zammad", external_id="4711")

    assert refused(lambda: TicketFactory(customer=customer, source="zammad", external_id="4711"))
    # The same id from another tool is another ticket.
    TicketFactory(customer=customer, source="freshdesk", external_id="4711")
    assert Ticket.objects.filter(external_id="4711").count() == 2


def test_records_without_external_id_never_collide() -> None:
    customer = CustomerFactory()
    TicketFactory(customer=customer)
    TicketFactory(customer=customer)
    assert Ticket.objects.filter(source="manual", external_id__isnull=True).count() == 2


def test_ticket_cannot_be_answered_or_resolved_before_it_was_created() -> None:
    created = dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    earlier = created - dt.timedelta(minutes=1)
    assert refused(lambda: TicketFactory(created_at=created, first_response_at=earlier))
    assert refused(lambda: TicketFactory(created_at=created, resolved_at=earlier))
    assert refused(lambda: TicketFactory(priority=7))


def test_time_entry_needs_positive_minutes() -> None:
    assert refused(lambda: TimeEntryFactory(minutes=0))
    assert refused(lambda: TimeEntryFactory(billed_amount=Decimal("-1")))
    assert TimeEntry.objects.count() == 0


def test_survey_score_must_lie_on_its_scale_and_come_with_an_answer_time() -> None:
    assert refused(lambda: SurveyAnswerFactory(score=6, scale_min=1, scale_max=5))
    assert refused(lambda: SurveyAnswerFactory(score=4, answered_at=None))
    # An unanswered invitation is kept: the response rate needs it.
    SurveyAnswerFactory(score=None, answered_at=None)
    assert SurveyAnswer.objects.filter(score__isnull=True).count() == 1


def test_contract_cannot_end_before_it_starts_or_cost_less_than_nothing() -> None:
    assert refused(
        lambda: ContractFactory(start_date=dt.date(2026, 1, 1), end_date=dt.date(2025, 12, 31))
    )
    assert refused(lambda: ContractFactory(monthly_fee=Decimal("-5")))
    assert Contract.objects.count() == 0


def test_sla_policy_has_one_target_per_priority() -> None:
    policy = SlaPolicyFactory()
    assert policy.targets.count() == 4
    assert refused(
        lambda: SlaTarget.objects.create(
            policy=policy, priority=1, first_response_minutes=15, resolution_minutes=60
        )
    )


def test_calendar_window_must_not_be_empty() -> None:
    calendar = CalendarFactory()
    assert refused(
        lambda: CalendarWindow.objects.create(
            calendar=calendar, weekday=5, start_minute=600, end_minute=600
        )
    )
    # An overnight window (22:00-06:00) is allowed: it runs over midnight.
    CalendarWindow.objects.create(calendar=calendar, weekday=5, start_minute=1320, end_minute=360)
