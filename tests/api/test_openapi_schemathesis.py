"""schemathesis against our own OpenAPI spec: no input makes the API fail, and every answer is
what the spec says (status codes, content type, body schema).

Bounded and reproducible: a few examples per operation, derandomized. The token is an owner's
write token on a small analysed portfolio, so the read routes answer with real rows and the
write routes really write.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, settings

from solidground.accounts.models import Role
from solidground.config.wsgi import application
from solidground.insights.actions import analyze
from tests.api.conftest import make_token
from tests.portfolio_fixtures import SmallPortfolio

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.specs.openapi.checks.status_code_conformance,
    schemathesis.specs.openapi.checks.content_type_conformance,
    schemathesis.specs.openapi.checks.response_schema_conformance,
]


@pytest.fixture
def _keep_the_test_connection() -> Iterator[None]:
    # The WSGI handler closes the database connection after each request; inside a test
    # transaction that would end the test's connection (PostgreSQL). Django's test client
    # disconnects the same two receivers.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def owner_token(_keep_the_test_connection: None, small_portfolio: SmallPortfolio) -> str:
    analyze(now=dt.datetime(2026, 4, 15, 12, 0, tzinfo=dt.UTC))
    return make_token("schemathesis", Role.OWNER, "write")


@pytest.mark.django_db
@override_settings(SOLIDGROUND_API_RATE_PER_MINUTE=0)
@schema.parametrize()
@settings(
    max_examples=20,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_keeps_to_its_spec(case: schemathesis.Case, owner_token: str) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {owner_token}"}, checks=CHECKS)
