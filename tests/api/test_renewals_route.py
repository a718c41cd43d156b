"""GET /api/v1/renewals: the renewal list of the latest analysis, through the viewer (issue 13)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from solidground.accounts.models import Role
from solidground.insights.models import AnalysisRun
from solidground.renewals.models import RenewalFit, RenewalRisk
from tests.api.conftest import call, make_token
from tests.factories import ContractFactory, CustomerFactory

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 9, 30)


def stored_fit() -> RenewalFit:
    run = AnalysisRun.objects.create(
        started_at=timezone.now(), finished_at=timezone.now(), status="finished", as_of=AS_OF
    )
    return RenewalFit.objects.create(
        run=run, created_at=timezone.now(), as_of=AS_OF, method=RenewalFit.Method.RULES
    )


def risk(fit: RenewalFit, name: str, notice_in_days: int, level: str, **extra: object) -> None:
    customer = CustomerFactory(name=name)
    contract = ContractFactory(customer=customer, name=f"Managed Services {name}")
    RenewalRisk.objects.create(
        fit=fit,
        contract=contract,
        customer=customer,
        notice_date=AS_OF + dt.timedelta(days=notice_in_days),
        renewal_date=AS_OF + dt.timedelta(days=notice_in_days + 90),
        annual_revenue=Decimal("24000.00"),
        revenue_at_risk=Decimal("24000.00") if level == "high" else Decimal("0"),
        level=level,
        reasons=[{"key": "silent"}],
        **extra,
    )


def test_renewals_due_come_with_level_and_reasons_and_respect_the_window(
    client: Client,
) -> None:
    # given a fit with two contracts due within 90 days and one due in 200
    fit = stored_fit()
    risk(fit, "Bäckerei Huber", 20, "high")
    risk(fit, "Praxis Lang", 60, "low")
    risk(fit, "Spedition Ost", 200, "elevated")
    token = make_token("owner", Role.OWNER, "read")
    # when the owner asks for the next 90 days
    answer = call(client, "get", "/renewals?days=90", token)
    # then the two due ones come, each with its reasons as sentences and the rules method
    assert answer.status_code == 200, answer.content
    items = answer.json()["items"]
    assert [item["customer"] for item in items] == ["Bäckerei Huber", "Praxis Lang"]
    assert items[0]["level"] == "high"
    assert items[0]["method"] == "rules"
    assert items[0]["risk"] is None  # rules give a level, never a percentage
    assert items[0]["reasons"] == ["silent: no survey answer in the last four quarters"]
    assert items[0]["notice_date"] == "2026-10-20"
    # and the longer window and the level filter change the list as asked
    longer = call(client, "get", "/renewals?days=365", token).json()["items"]
    assert len(longer) == 3
    high = call(client, "get", "/renewals?days=365&level=high", token).json()["items"]
    assert [item["customer"] for item in high] == ["Bäckerei Huber"]


def test_an_account_manager_sees_only_their_customers_renewals(client: Client) -> None:
    fit = stored_fit()
    risk(fit, "Mine GmbH", 10, "high")
    risk(fit, "Other AG", 10, "high")
    mine = RenewalRisk.objects.get(customer__name="Mine GmbH").customer_id
    token = make_token("am", Role.ACCOUNT_MANAGER, "read", customer_ids=[mine])
    items = call(client, "get", "/renewals", token).json()["items"]
    assert [item["customer"] for item in items] == ["Mine GmbH"]
    other = RenewalRisk.objects.get(customer__name="Other AG").customer_id
    assert call(client, "get", f"/renewals?customer={other}", token).json()["items"] == []


def test_renewals_before_any_analysis_are_an_empty_list_and_bad_filters_are_422(
    client: Client,
) -> None:
    token = make_token("owner", Role.OWNER, "read")
    assert call(client, "get", "/renewals", token).json() == {"items": [], "next_cursor": None}
    assert call(client, "get", "/renewals?level=extreme", token).status_code == 422
    assert call(client, "get", "/renewals?days=0", token).status_code == 422
