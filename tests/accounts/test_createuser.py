"""`solidground createuser NAME --role ... [--customer ID]`: the operator's way to add users."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from solidground.accounts.models import Role, UserRole
from solidground.customers.models import Customer
from tests.portfolio_fixtures import SmallPortfolio

PASSWORD = "a-long-test-password"


def createuser(*args: str, stdin: str = "", monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the command in this process with ``stdin`` as standard input (not a terminal)."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    out = io.StringIO()
    call_command("createuser", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_creates_a_user_with_the_role_and_password_from_stdin(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = createuser(
        "anna",
        "--role",
        "manager",
        "--email",
        "anna@example.com",
        "--password-stdin",
        stdin=PASSWORD + "\n",
        monkeypatch=monkeypatch,
    )

    anna = get_user_model().objects.get(username="anna")
    assert "Created anna (service manager)." in out
    assert "shown once" not in out
    assert anna.check_password(PASSWORD)
    assert anna.email == "anna@example.com"
    assert UserRole.objects.get(user=anna).role == Role.MANAGER
    assert not anna.is_superuser


@pytest.mark.django_db
def test_an_owner_gets_the_admin(monkeypatch: pytest.MonkeyPatch) -> None:
    createuser(
        "boss", "--role", "owner", "--password-stdin", stdin=PASSWORD, monkeypatch=monkeypatch
    )

    boss = get_user_model().objects.get(username="boss")
    assert boss.is_staff
    assert boss.is_superuser


@pytest.mark.django_db
def test_account_manager_gets_the_given_customers(
    small_portfolio: SmallPortfolio, monkeypatch: pytest.MonkeyPatch
) -> None:
    createuser(
        "anna",
        "--role",
        "account_manager",
        "--customer",
        str(small_portfolio.busy.pk),
        "--password-stdin",
        stdin=PASSWORD,
        monkeypatch=monkeypatch,
    )

    assert list(
        Customer.objects.filter(account_manager__username="anna").values_list("name", flat=True)
    ) == ["Müller Metallbau GmbH"]


@pytest.mark.django_db
def test_without_a_terminal_a_generated_password_is_printed_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = createuser("anna", "--role", "manager", stdin="", monkeypatch=monkeypatch)

    lines = [line for line in out.splitlines() if "Password (shown once):" in line]
    assert len(lines) == 1
    password = lines[0].split(":", 1)[1].strip()
    assert out.count(password) == 1
    assert len(password) >= 12
    assert get_user_model().objects.get(username="anna").check_password(password)


@pytest.mark.django_db
def test_refuses_an_existing_name_and_keeps_the_first_user(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    createuser(
        "anna", "--role", "manager", "--password-stdin", stdin=PASSWORD, monkeypatch=monkeypatch
    )

    with pytest.raises(
        CommandError, match="a user named 'anna' exists already; nothing was created"
    ):
        createuser(
            "anna",
            "--role",
            "owner",
            "--password-stdin",
            stdin="another-long-password",
            monkeypatch=monkeypatch,
        )

    anna = get_user_model().objects.get(username="anna")
    assert anna.check_password(PASSWORD)
    assert UserRole.objects.get(user=anna).role == Role.MANAGER


@pytest.mark.django_db
def test_refuses_a_weak_password_with_the_validators_sentence(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(CommandError) as refused:
        createuser(
            "anna", "--role", "manager", "--password-stdin", stdin="short", monkeypatch=monkeypatch
        )

    assert str(refused.value) == (
        "The password is refused: This password is too short. "
        "It must contain at least 8 characters."
    )
    assert not get_user_model().objects.exists()


@pytest.mark.django_db
def test_customer_is_only_for_account_managers(
    small_portfolio: SmallPortfolio, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(CommandError, match="--customer is for account managers"):
        createuser(
            "anna",
            "--role",
            "manager",
            "--customer",
            str(small_portfolio.busy.pk),
            "--password-stdin",
            stdin=PASSWORD,
            monkeypatch=monkeypatch,
        )

    assert not get_user_model().objects.exists()


@pytest.mark.django_db
def test_unknown_customer_creates_nothing(
    small_portfolio: SmallPortfolio, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(CommandError, match="no customer with id 999999; nothing was created"):
        createuser(
            "anna",
            "--role",
            "account_manager",
            "--customer",
            str(small_portfolio.busy.pk),
            "--customer",
            "999999",
            "--password-stdin",
            stdin=PASSWORD,
            monkeypatch=monkeypatch,
        )

    assert not get_user_model().objects.exists()
    assert not UserRole.objects.exists()
    assert not Customer.objects.filter(account_manager__isnull=False).exists()


@pytest.mark.django_db
def test_unknown_role_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(CommandError, match="invalid choice: 'admin'"):
        createuser("anna", "--role", "admin", monkeypatch=monkeypatch)

    assert not get_user_model().objects.exists()


def run_cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # A store of its own on SQLite: never the test database, never a PostgreSQL URL from CI.
    env = {
        **os.environ,
        "SOLIDGROUND_DATA_DIR": str(data_dir),
        "SOLIDGROUND_DATABASE_URL": "",
        "DJANGO_SETTINGS_MODULE": "solidground.config.settings",
    }
    return subprocess.run(
        [sys.executable, "-m", "solidground", *args],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=180,
        check=False,
    )


def test_the_command_line_prints_a_generated_password_once_and_refuses_a_second_user(
    tmp_path: Path,
) -> None:
    assert run_cli(tmp_path, "migrate", "--verbosity", "0").returncode == 0

    first = run_cli(tmp_path, "createuser", "anna", "--role", "manager")
    second = run_cli(tmp_path, "createuser", "anna", "--role", "manager")

    assert first.returncode == 0, first.stderr
    assert first.stdout.count("Password (shown once):") == 1
    assert second.returncode != 0
    assert "a user named 'anna' exists already; nothing was created." in second.stderr
    assert "Traceback" not in second.stderr
