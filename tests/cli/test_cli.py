"""The `solidground` command as a user runs it."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.portfolio_fixtures import SmallPortfolio


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "solidground", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
        check=False,
    )


def test_unknown_command_exits_non_zero_without_traceback() -> None:
    result = run_cli("no-such-command")
    assert result.returncode != 0
    assert "Unknown command" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_database_is_one_clear_sentence(tmp_path: object) -> None:
    result = run_cli(
        "analyze", SOLIDGROUND_DATABASE_URL="postgresql://solidground@127.0.0.1:9/nothing"
    )
    assert result.returncode != 0
    assert "cannot use the database at 127.0.0.1" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_setting_names_the_variable_and_value() -> None:
    result = run_cli("check", SOLIDGROUND_DEBUG="maybe")
    assert result.returncode != 0
    assert "SOLIDGROUND_DEBUG must be true or false, not 'maybe'" in result.stderr
    assert "Traceback" not in result.stderr


def test_production_refuses_to_start_without_a_secret_key() -> None:
    result = run_cli("check", SOLIDGROUND_PRODUCTION="true", SOLIDGROUND_SECRET_KEY="")
    assert result.returncode != 0
    assert "SOLIDGROUND_SECRET_KEY" in result.stderr


@pytest.mark.django_db
def test_analyze_refuses_unknown_customer() -> None:
    with pytest.raises(CommandError, match="No customer with id 999"):
        call_command("analyze", customer=[999])


@pytest.mark.django_db
def test_portfolio_before_analysis_says_to_analyse() -> None:
    with pytest.raises(CommandError, match="solidground analyze"):
        call_command("portfolio")


@pytest.mark.django_db
def test_analyze_then_portfolio_prints_the_table(
    small_portfolio: SmallPortfolio, time_machine: object
) -> None:
    time_machine.move_to(dt.datetime(2026, 4, 15, 12, tzinfo=dt.UTC))  # type: ignore[attr-defined]
    call_command("analyze", stdout=StringIO(), stderr=StringIO())
    out = StringIO()

    call_command("portfolio", "--months", "3", stdout=out)

    table = out.getvalue()
    assert "Müller Metallbau GmbH" in table
    assert "60% (23%-88%) n=5" in table  # CSAT 3 of 5 with its Wilson interval
    assert "no data" in table  # the silent customer


@pytest.mark.parametrize(
    ("command", "given", "expected"),
    [("serve", None, "1"), ("serve", "4", "4"), ("worker", None, None), ("import", None, None)],
)
def test_a_server_process_runs_polars_on_one_thread_unless_told_otherwise(
    monkeypatch: pytest.MonkeyPatch, command: str, given: str | None, expected: str | None
) -> None:
    from solidground.__main__ import _serving_defaults

    # given the environment a server (or another command) starts with
    if given is None:
        monkeypatch.delenv("POLARS_MAX_THREADS", raising=False)
    else:
        monkeypatch.setenv("POLARS_MAX_THREADS", given)
    # when the command line prepares it, then requests' small frames get one Polars thread
    # in `serve`, the analysis in `worker` keeps a pool per core, and an explicit value wins
    _serving_defaults(command)
    assert os.environ.get("POLARS_MAX_THREADS") == expected
