from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest

from solidground.customers.models import Customer
from solidground.service.models import TimeEntry
from tests.factories import (
    ContractFactory,
    CustomerFactory,
    RevenueLineFactory,
    SurveyAnswerFactory,
    TicketFactory,
    TimeEntryFactory,
)

UTC = dt.UTC


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=UTC)


@dataclass
class SmallPortfolio:
    busy: Customer
    silent: Customer


@pytest.fixture
def small_portfolio() -> SmallPortfolio:
    """A hand-made month (March 2026, Berlin business hours Mo-Fr 08-17, Bavaria).

    busy: three tickets (first response met 2 of 3, resolution met 1 of 3), 6.5 hours of work
    (1 h goodwill), 1,690 EUR revenue with 200 EUR direct cost, five CSAT answers (3 positive,
    1 negative) and one unanswered survey; one more ticket late on 31 March UTC, which is
    already April in Berlin.
    silent: a contract and revenue, no tickets, no answers.
    """
    busy = CustomerFactory(name="Müller Metallbau GmbH")
    contract = ContractFactory(customer=busy)
    # P3: response 30 min (target 240), resolution 5 business hours (target 1620 min): met.
    TicketFactory(
        customer=busy,
        contract=contract,
        priority=3,
        created_at=at(2, 9),
        first_response_at=at(2, 9, 30),
        resolved_at=at(2, 14),
    )
    # P1 on Tuesday 09:00 Berlin: response after 60 min (target 30) and resolution after 9
    # business hours (target 240 min): both breached.
    TicketFactory(
        customer=busy,
        contract=contract,
        priority=1,
        created_at=at(3, 8),
        first_response_at=at(3, 9),
        resolved_at=at(4, 8),
    )
    # P4: response in 10 min (met), resolved 16 days later (target 45 business hours): breached.
    TicketFactory(
        customer=busy,
        contract=contract,
        priority=4,
        created_at=at(4, 10),
        first_response_at=at(4, 10, 10),
        resolved_at=at(20, 10),
    )
    # 23:30 UTC on 31 March is 01:30 on 1 April in Berlin (CEST): an April ticket.
    TicketFactory(customer=busy, contract=contract, priority=3, created_at=at(31, 23, 30))
    for minutes, billing, cost in [
        (180, TimeEntry.Billing.INCLUDED, None),
        (60, TimeEntry.Billing.GOODWILL, None),
        (120, TimeEntry.Billing.BILLED, None),
        (30, TimeEntry.Billing.INTERNAL, Decimal("50.00")),
    ]:
        TimeEntryFactory(
            customer=busy, minutes=minutes, billing=billing, loaded_cost=cost, started_at=at(5, 9)
        )
    RevenueLineFactory(customer=busy, amount=Decimal("1500.00"), direct_cost=Decimal("200.00"))
    RevenueLineFactory(customer=busy, amount=Decimal("190.00"), kind="extra")
    for score in (5, 4, 3, 1, 5):
        SurveyAnswerFactory(customer=busy, score=score)
    SurveyAnswerFactory(customer=busy, score=None, answered_at=None)

    silent = CustomerFactory(name="Praxis Dr. Schneider")
    ContractFactory(customer=silent)
    RevenueLineFactory(customer=silent, amount=Decimal("400.00"))
    return SmallPortfolio(busy, silent)
