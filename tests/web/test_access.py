"""Who may open what: every dashboard route for every role.

The rule (docs/roles.md): anonymous visitors are sent to the login; a user without a role sees
no customer; owner and manager see every customer; an account manager sees only their own
customers (another's customer page and finding decision answer 404, never the data, and the
other customer's name appears nowhere); imports and user management are refused (403) to
everyone but owner and manager (imports) or owner (users).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from solidground.accounts.actions import do_create_user
from solidground.accounts.models import Role
from solidground.contracts.models import Contract
from solidground.customers.models import Customer
from solidground.insights.actions import analyze
from solidground.insights.models import Finding
from tests.factories import TicketFactory
from tests.portfolio_fixtures import SmallPortfolio, at

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 4, 15, 12, 0, tzinfo=dt.UTC)
PASSWORD = "a-long-test-password"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # The default hasher takes a noticeable fraction of a second per user on purpose; these
    # tests create many users and check permissions, not hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


ROLES = ["anonymous", "no_role", "owner", "manager", "account_manager_a", "account_manager_none"]

# What a response may be: "ok" (2xx, or a redirect that is not to the login), "login"
# (redirect to the login), 403, 404.
OK, LOGIN, FORBIDDEN, NOT_FOUND = "ok", "login", 403, 404


@dataclass
class World:
    a: Customer  # the account manager's customer
    b: Customer  # another customer
    finding_a: Finding
    finding_b: Finding
    users: dict[str, AbstractUser]


@pytest.fixture
def world(small_portfolio: SmallPortfolio) -> World:
    a, b = small_portfolio.busy, small_portfolio.silent
    # B gets a breached ticket too, so that the SLA page and its CSV of breaches would show B
    # if they leaked it.
    TicketFactory(
        customer=b,
        contract=b.contracts.first(),
        priority=3,
        created_at=at(10, 9),
        first_response_at=at(10, 9, 20),
        resolved_at=at(27, 12),
    )
    # Both contracts come up for renewal soon, so the renewals page would list B if it leaked.
    Contract.objects.update(renewal_date=date(2026, 6, 1))
    analyze(now=NOW)
    users: dict[str, AbstractUser] = {
        "owner": do_create_user(username="olga", password=PASSWORD, role=Role.OWNER),
        "manager": do_create_user(username="max", password=PASSWORD, role=Role.MANAGER),
        "account_manager_a": do_create_user(
            username="anna", password=PASSWORD, role=Role.ACCOUNT_MANAGER, customer_ids=[a.pk]
        ),
        "account_manager_none": do_create_user(
            username="nils", password=PASSWORD, role=Role.ACCOUNT_MANAGER
        ),
        "no_role": get_user_model().objects.create_user("rolf", password=PASSWORD),
    }
    # One finding per customer whatever the analysis found, so both decisions can be tried.
    findings = [
        Finding.objects.create(
            customer=customer,
            kind="no_answers",
            severity=Finding.Severity.WARNING,
            period_start=date(2026, 1, 1),
            params={},
        )
        for customer in (a, b)
    ]
    return World(a, b, findings[0], findings[1], users)


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    url: Callable[[World], str]
    expect: dict[str, object]  # role -> OK, LOGIN, 403 or 404
    data: Callable[[World], dict[str, Any]] | None = None


def everyone_logged_in(outcome: object = OK) -> dict[str, object]:
    return {role: (LOGIN if role == "anonymous" else outcome) for role in ROLES}


def only(allowed: dict[str, object], otherwise: object) -> dict[str, object]:
    return {role: LOGIN if role == "anonymous" else allowed.get(role, otherwise) for role in ROLES}


SEES_A = {"owner": OK, "manager": OK, "account_manager_a": OK}
SEES_B = {"owner": OK, "manager": OK}
IMPORTERS = {"owner": OK, "manager": OK}
OWNER = {"owner": OK}

ROUTES = [
    Route("portfolio", "get", lambda w: reverse("web:portfolio"), everyone_logged_in()),
    Route(
        "search for B",
        "get",
        # Part of the name: the search box shows what was typed, and the full name must not
        # appear in the results.
        lambda w: reverse("web:portfolio") + "?q=Schneider",
        everyone_logged_in(),
    ),
    Route(
        "search for A",
        "get",
        lambda w: reverse("web:portfolio") + "?q=M%C3%BCller",
        everyone_logged_in(),
    ),
    Route("portfolio.csv", "get", lambda w: reverse("web:portfolio_csv"), everyone_logged_in()),
    Route(
        "portfolio review",
        "get",
        lambda w: reverse("web:portfolio_review"),
        everyone_logged_in(),
    ),
    Route(
        "customer A",
        "get",
        lambda w: reverse("web:customer", args=[w.a.pk]),
        only(SEES_A, NOT_FOUND),
    ),
    Route(
        "customer B",
        "get",
        lambda w: reverse("web:customer", args=[w.b.pk]),
        only(SEES_B, NOT_FOUND),
    ),
    Route(
        "service review of A",
        "get",
        lambda w: reverse("web:customer_review", args=[w.a.pk]),
        only(SEES_A, NOT_FOUND),
    ),
    Route(
        "service review of B",
        "get",
        lambda w: reverse("web:customer_review", args=[w.b.pk]),
        only(SEES_B, NOT_FOUND),
    ),
    Route("sla", "get", lambda w: reverse("web:sla"), everyone_logged_in()),
    Route("sla.csv", "get", lambda w: reverse("web:sla_csv"), everyone_logged_in()),
    Route("findings", "get", lambda w: reverse("web:findings"), everyone_logged_in()),
    Route("renewals", "get", lambda w: reverse("web:renewals"), everyone_logged_in()),
    # Portfolio-wide statistics: owners and managers only (renewals/selectors.py).
    Route("thesis", "get", lambda w: reverse("web:thesis"), only(SEES_B, FORBIDDEN)),
    Route(
        "decide finding of A",
        "post",
        lambda w: reverse("web:finding_decide", args=[w.finding_a.pk]),
        only(SEES_A, NOT_FOUND),
        lambda w: {"decision": "done", "note": ""},
    ),
    Route(
        "decide finding of B",
        "post",
        lambda w: reverse("web:finding_decide", args=[w.finding_b.pk]),
        only(SEES_B, NOT_FOUND),
        lambda w: {"decision": "done", "note": ""},
    ),
    Route("imports", "get", lambda w: reverse("web:imports"), only(IMPORTERS, FORBIDDEN)),
    # POST only (issue 16); without a file the importers are sent back with a message.
    Route(
        "import upload", "post", lambda w: reverse("web:import_upload"), only(IMPORTERS, FORBIDDEN)
    ),
    # Unknown job and run: the importers learn that it does not exist; the others are refused
    # before anything is looked up.
    Route(
        "import job",
        "get",
        lambda w: reverse("web:import_job", args=[999999]),
        only({"owner": NOT_FOUND, "manager": NOT_FOUND}, FORBIDDEN),
    ),
    Route(
        "import rejects",
        "get",
        lambda w: reverse("web:import_rejects", args=[999999]),
        only({"owner": NOT_FOUND, "manager": NOT_FOUND}, FORBIDDEN),
    ),
    Route("surveys", "get", lambda w: reverse("web:surveys"), everyone_logged_in()),
    # A relationship survey writes for customers: owner and manager only.
    Route(
        "start a survey campaign",
        "post",
        lambda w: reverse("web:survey_campaign_create"),
        only(IMPORTERS, FORBIDDEN),
        lambda w: {"name": "Herbst", "customer": str(w.a.pk), "segment": ""},
    ),
    Route(
        "survey settings",
        "get",
        lambda w: reverse("web:survey_settings"),
        only(OWNER, FORBIDDEN),
    ),
    Route(
        "change survey settings",
        "post",
        lambda w: reverse("web:survey_settings"),
        only(OWNER, FORBIDDEN),
        lambda w: {
            "provider_name": "Nordlicht IT",
            "brand_colour": "#123456",
            "accent_colour": "#abcdef",
            "sender": "",
            "reply_to": "",
            "period_days": "7",
            "window_hours": "24",
            "reminder_days": "7",
            "excluded_words": "spam",
            "subject_de": "{subject}",
            "intro_de": "Hallo",
            "subject_en": "{subject}",
            "intro_en": "Hello",
        },
    ),
    Route("settings", "get", lambda w: reverse("web:settings"), everyone_logged_in()),
    Route(
        "change own password",
        "post",
        lambda w: reverse("web:settings_password"),
        everyone_logged_in(),
        lambda w: {
            "old_password": PASSWORD,
            "new_password1": "a-new-long-password",
            "new_password2": "a-new-long-password",
        },
    ),
    Route(
        "create user",
        "post",
        lambda w: reverse("web:user_create"),
        only(OWNER, FORBIDDEN),
        lambda w: {
            "username": "newcomer",
            "role": "manager",
            "password1": "newcomer-password",
            "password2": "newcomer-password",
        },
    ),
    Route(
        "set role",
        "post",
        lambda w: reverse("web:user_role", args=[w.users["account_manager_none"].pk]),
        only(OWNER, FORBIDDEN),
        lambda w: {"role": "manager"},
    ),
    Route(
        "deactivate user",
        "post",
        lambda w: reverse("web:user_active", args=[w.users["account_manager_none"].pk]),
        only(OWNER, FORBIDDEN),
        lambda w: {"active": "false"},
    ),
    Route(
        "customers of an account manager",
        "get",
        lambda w: reverse("web:user_customers", args=[w.users["account_manager_a"].pk]),
        only(OWNER, FORBIDDEN),
    ),
    Route(
        "assign customers",
        "post",
        lambda w: reverse("web:user_customers", args=[w.users["account_manager_none"].pk]),
        only(OWNER, FORBIDDEN),
        lambda w: {"shown": f"{w.b.pk}", "customer": [str(w.b.pk)]},
    ),
    # API tokens: every user manages their own (the API then applies their role).
    Route(
        "create an API token",
        "post",
        lambda w: reverse("web:token_create"),
        everyone_logged_in(),
        lambda w: {"name": "test", "scope": "read"},
    ),
    Route("new API token", "get", lambda w: reverse("web:token_created"), everyone_logged_in()),
    Route(
        "revoke another's API token",
        "post",
        lambda w: reverse("web:token_revoke", args=[999999]),
        everyone_logged_in(NOT_FOUND),
    ),
]


def hidden_names(role: str, world: World) -> list[str]:
    """Names of customers this role must not find anywhere in a response."""
    if role in ("owner", "manager", "anonymous"):
        return []
    if role == "account_manager_a":
        return [world.b.name]
    return [world.a.name, world.b.name]


def outcome(response: HttpResponse) -> object:
    if response.status_code in (301, 302, 303):
        return LOGIN if response["Location"].startswith("/login/") else OK
    if 200 <= response.status_code < 300:
        return OK
    return response.status_code


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ROUTES, ids=[r.name for r in ROUTES])
def test_access(route: Route, role: str, world: World) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if role != "anonymous":
        client.force_login(world.users[role])
    url = route.url(world)
    data = route.data(world) if route.data else {}

    response = client.post(url, data) if route.method == "post" else client.get(url)

    assert outcome(response) == route.expect[role], (
        f"{route.method.upper()} {url} as {role}: {response.status_code}"
    )
    raw = (
        b"".join(response.streaming_content)  # type: ignore[arg-type]
        if response.streaming
        else response.content
    )
    body = raw.decode("utf-8", errors="replace")
    for name in hidden_names(role, world):
        assert name not in body, f"{name!r} shown to {role} at {url}"


def test_the_matrix_covers_every_dashboard_route() -> None:
    from solidground.web.urls import urlpatterns

    named = {pattern.name for pattern in urlpatterns} - {"favicon"}
    covered = {
        "portfolio",
        "portfolio_csv",
        "portfolio_review",
        "customer",
        "customer_review",
        "sla",
        "sla_csv",
        "findings",
        "finding_decide",
        "renewals",
        "thesis",
        "imports",
        "import_upload",
        "import_job",
        "import_rejects",
        "surveys",
        "survey_campaign_create",
        "survey_settings",
        "settings",
        "settings_password",
        "user_create",
        "user_role",
        "user_active",
        "user_customers",
        "token_create",
        "token_created",
        "token_revoke",
    }

    assert named == covered, "a route was added: give it a row in ROUTES"
