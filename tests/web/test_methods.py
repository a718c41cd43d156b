"""Only the HTTP methods a page needs (issue 16): every dashboard route answers GET and HEAD,
POST only where a form posts to it, and 405 to PUT, DELETE, PATCH, TRACE and OPTIONS, even
for the owner. A probe learns nothing from TRACE, and nothing changes on a stray DELETE.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.contrib.auth.models import AbstractUser
from django.http.response import HttpResponseBase
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from solidground.accounts.actions import do_create_user
from solidground.accounts.models import Role
from solidground.importers.models import ImportJob, ImportRun
from solidground.insights.actions import analyze
from solidground.insights.models import Finding
from tests.portfolio_fixtures import SmallPortfolio

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 4, 15, 12, 0, tzinfo=dt.UTC)
PASSWORD = "a-long-test-password"
NEVER = ("put", "delete", "patch", "trace", "options")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # The default hasher is slow on purpose; these tests check methods, not hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class World:
    owner: AbstractUser
    account_manager: AbstractUser
    customer_id: int
    finding_id: int
    job_id: int
    run_id: int


@pytest.fixture
def world(small_portfolio: SmallPortfolio) -> World:
    analyze(now=NOW)
    owner = do_create_user(username="olga", password=PASSWORD, role=Role.OWNER)
    account_manager = do_create_user(
        username="anna",
        password=PASSWORD,
        role=Role.ACCOUNT_MANAGER,
        customer_ids=[small_portfolio.busy.pk],
    )
    finding = Finding.objects.create(
        customer=small_portfolio.busy,
        kind="no_answers",
        severity=Finding.Severity.WARNING,
        period_start=date(2026, 1, 1),
        params={},
    )
    job = ImportJob.objects.create(
        created_at=timezone.now(),
        user=owner,
        original_name="x.csv",
        stored_name="0123.csv",
        file_type="csv",
        size=1,
        mapping_name="generic-tickets",
    )
    run = ImportRun.objects.create(source="x", started_at=timezone.now())
    return World(
        owner=owner,
        account_manager=account_manager,
        customer_id=small_portfolio.busy.pk,
        finding_id=finding.pk,
        job_id=job.pk,
        run_id=run.pk,
    )


@dataclass(frozen=True)
class Route:
    url: Callable[[World], str]
    # What a GET (and so a HEAD) normally answers; 405 where only a form's POST is accepted.
    get_status: int


POST_ONLY = 405
ROUTES: dict[str, Route] = {
    "portfolio": Route(lambda w: reverse("web:portfolio"), 200),
    "portfolio_csv": Route(lambda w: reverse("web:portfolio_csv"), 200),
    "portfolio_review": Route(lambda w: reverse("web:portfolio_review"), 200),
    "customer": Route(lambda w: reverse("web:customer", args=[w.customer_id]), 200),
    "customer_review": Route(lambda w: reverse("web:customer_review", args=[w.customer_id]), 200),
    "sla": Route(lambda w: reverse("web:sla"), 200),
    "sla_csv": Route(lambda w: reverse("web:sla_csv"), 200),
    "findings": Route(lambda w: reverse("web:findings"), 200),
    "finding_decide": Route(
        lambda w: reverse("web:finding_decide", args=[w.finding_id]), POST_ONLY
    ),
    "renewals": Route(lambda w: reverse("web:renewals"), 200),
    "thesis": Route(lambda w: reverse("web:thesis"), 200),
    "imports": Route(lambda w: reverse("web:imports"), 200),
    "import_upload": Route(lambda w: reverse("web:import_upload"), POST_ONLY),
    "import_job": Route(lambda w: reverse("web:import_job", args=[w.job_id]), 200),
    # The run has no rejects file: its normal answer is "not found".
    "import_rejects": Route(lambda w: reverse("web:import_rejects", args=[w.run_id]), 404),
    "surveys": Route(lambda w: reverse("web:surveys"), 200),
    "survey_campaign_create": Route(lambda w: reverse("web:survey_campaign_create"), POST_ONLY),
    "settings": Route(lambda w: reverse("web:settings"), 200),
    "survey_settings": Route(lambda w: reverse("web:survey_settings"), 200),
    "settings_password": Route(lambda w: reverse("web:settings_password"), POST_ONLY),
    "user_create": Route(lambda w: reverse("web:user_create"), POST_ONLY),
    "user_role": Route(lambda w: reverse("web:user_role", args=[w.account_manager.pk]), POST_ONLY),
    "user_active": Route(
        lambda w: reverse("web:user_active", args=[w.account_manager.pk]), POST_ONLY
    ),
    "user_customers": Route(
        lambda w: reverse("web:user_customers", args=[w.account_manager.pk]), 200
    ),
    "token_create": Route(lambda w: reverse("web:token_create"), POST_ONLY),
    # Shown once after creating a token; without one in the session, back to the settings.
    "token_created": Route(lambda w: reverse("web:token_created"), 302),
    "token_revoke": Route(lambda w: reverse("web:token_revoke", args=[999999]), POST_ONLY),
    "favicon": Route(lambda w: reverse("web:favicon"), 301),
}


def body(response: HttpResponseBase) -> bytes:
    # Read streamed answers (the CSV exports) to the end: a half-read stream keeps its
    # database cursor open.
    if response.streaming:
        return b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return response.content  # type: ignore[attr-defined]


def owner_client(world: World) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.owner)
    return client


def test_every_dashboard_route_is_in_the_table() -> None:
    from solidground.web.urls import urlpatterns

    assert {pattern.name for pattern in urlpatterns} == set(ROUTES), (
        "a route was added: say which methods it answers in ROUTES"
    )


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_other_methods_are_refused_with_405_even_for_the_owner(name: str, world: World) -> None:
    client = owner_client(world)
    url = ROUTES[name].url(world)

    for method in NEVER:
        response = client.generic(method.upper(), url)

        assert response.status_code == 405, f"{method.upper()} {url}: {response.status_code}"
        assert "PUT" not in response["Allow"]
        assert "TRACE" not in response["Allow"]
        assert b"<html" not in body(response)  # never the page itself (TRACE used to get it)


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_get_and_head_give_the_routes_normal_answer(name: str, world: World) -> None:
    client = owner_client(world)
    route = ROUTES[name]
    url = route.url(world)

    got = client.get(url)
    head = client.head(url)

    assert got.status_code == route.get_status, f"GET {url}: {got.status_code}"
    assert head.status_code == route.get_status, f"HEAD {url}: {head.status_code}"
    assert body(got) or route.get_status != 200  # the page itself
    assert body(head) == b""  # the same answer without a body


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_every_route_sends_the_security_headers(name: str, world: World) -> None:
    response = owner_client(world).get(ROUTES[name].url(world))
    body(response)

    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    assert "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert "no-store" in response["Cache-Control"]  # customer figures stay out of caches


def test_the_routes_forms_post_to_accept_post(world: World) -> None:
    client = owner_client(world)

    decided = client.post(
        reverse("web:finding_decide", args=[world.finding_id]), {"decision": "done", "note": ""}
    )
    uploaded = client.post(reverse("web:import_upload"))  # no file: back with a message
    assigned = client.post(
        reverse("web:user_customers", args=[world.account_manager.pk]),
        {"shown": str(world.customer_id), "customer": [str(world.customer_id)]},
    )

    assert decided.status_code in (200, 302)
    assert uploaded.status_code == 302
    assert uploaded["Location"] == reverse("web:imports")
    assert assigned.status_code == 302


def test_a_read_only_page_refuses_a_post(world: World) -> None:
    response = owner_client(world).post(reverse("web:portfolio"))

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


def test_a_visitor_who_is_not_logged_in_gets_405_for_a_stray_method_too(world: World) -> None:
    response = Client().generic("DELETE", reverse("web:portfolio"))

    assert response.status_code == 405
