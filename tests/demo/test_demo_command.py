"""`solidground demo` end to end: data, analysis, portfolio and a login, printed once."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from solidground.insights.models import CustomerPeriod

pytestmark = pytest.mark.django_db

SMALL = ("--customers", "10", "--months", "4", "--seed", "3", "--end", "2025-06")


def test_demo_analyses_prints_the_portfolio_and_a_working_login() -> None:
    out = io.StringIO()

    call_command("demo", *SMALL, stdout=out, stderr=io.StringIO())

    text = out.getvalue()
    assert "Portfolio 2024-" in text or "Portfolio 2025-" in text
    assert CustomerPeriod.objects.exists()
    line = next(row for row in text.splitlines() if "password" in row and "user admin" in row)
    password = line.split("password", 1)[1].strip()
    response = Client().post("/login/", {"username": "admin", "password": password})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_a_second_demo_with_fresh_keeps_the_login_and_does_not_show_it_again() -> None:
    call_command("demo", *SMALL, stdout=io.StringIO(), stderr=io.StringIO())
    out = io.StringIO()

    call_command("demo", *SMALL, "--fresh", stdout=out, stderr=io.StringIO())

    assert get_user_model().objects.filter(username="admin").count() == 1
    assert "changepassword admin" in out.getvalue()
    assert "password " not in out.getvalue().split("log in as", 1)[1].split("(its")[0]
