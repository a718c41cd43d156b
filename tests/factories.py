"""factory_boy factories for the domain models: test data comes from these or the demo generator."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory

from solidground.contracts.models import (
    BusinessCalendar,
    CalendarWindow,
    Contract,
    RevenueLine,
    SlaPolicy,
    SlaTarget,
)
from solidground.customers.models import Contact, Customer
from solidground.insights.models import Finding, evidence_fingerprint
from solidground.service.models import Ticket, TicketStatusChange, TimeEntry
from solidground.surveys.models import SurveyAnswer

UTC = dt.UTC


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Kunde {n} GmbH")
    subdivision = "BY"
    seats = 20
    endpoints = 30


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"Kontakt {n}")


class CalendarFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BusinessCalendar
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Mo-Fr 08-17 #{n}")
    timezone = "Europe/Berlin"
    holiday_country = "DE"
    holiday_subdivision = "BY"

    @factory.post_generation
    def weekdays(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            for weekday in range(5):
                CalendarWindow.objects.create(
                    calendar=self, weekday=weekday, start_minute=8 * 60, end_minute=17 * 60
                )


class SlaPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SlaPolicy
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Standard {n}")
    calendar = factory.SubFactory(CalendarFactory)

    @factory.post_generation
    def targets(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            for priority, response, resolution in [
                (1, 30, 240),
                (2, 60, 480),
                (3, 240, 1620),
                (4, 540, 2700),
            ]:
                SlaTarget.objects.create(
                    policy=self,
                    priority=priority,
                    first_response_minutes=response,
                    resolution_minutes=resolution,
                )


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contract

    customer = factory.SubFactory(CustomerFactory)
    name = factory.LazyAttribute(lambda o: f"Managed Service {o.customer.name}")
    kind = Contract.Kind.MANAGED
    monthly_fee = Decimal("1500.00")
    included_hours_per_month = Decimal("10")
    hourly_rate = Decimal("95.00")
    start_date = dt.date(2025, 1, 1)
    sla_policy = factory.SubFactory(SlaPolicyFactory)


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket

    customer = factory.SubFactory(CustomerFactory)
    subject = factory.Sequence(lambda n: f"Drucker {n} einrichten")
    priority = 3
    created_at = dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class StatusChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TicketStatusChange

    ticket = factory.SubFactory(TicketFactory)
    status = "open"
    changed_at = factory.LazyAttribute(lambda o: o.ticket.created_at)


class TimeEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimeEntry

    customer = factory.SubFactory(CustomerFactory)
    started_at = dt.datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    minutes = 60
    billing = TimeEntry.Billing.INCLUDED


class RevenueLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RevenueLine

    customer = factory.SubFactory(CustomerFactory)
    period = dt.date(2026, 3, 1)
    kind = RevenueLine.Kind.RECURRING
    amount = Decimal("1500.00")


class SurveyAnswerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SurveyAnswer

    customer = factory.SubFactory(CustomerFactory)
    kind = SurveyAnswer.Kind.TICKET_CSAT
    sent_at = dt.datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    answered_at = dt.datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
    score = 5


def stored_finding(**fields: object) -> Finding:
    """A Finding row as the analysis stores it: with the fingerprint of its evidence."""
    kind = str(fields["kind"])
    params = fields.get("params", {})
    return Finding.objects.create(fingerprint=evidence_fingerprint(kind, params), **fields)
