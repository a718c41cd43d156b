"""What production mode and the session settings guard against (issue 16): guessable secret
keys, plain HTTP after HTTPS, logins that never end, and the silent login failure of
production mode without TLS."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from solidground.accounts.actions import do_create_user
from solidground.accounts.models import Role
from solidground.importers.models import ImportRun
from tests.web.test_errors_and_headers import settings_in_subprocess

PASSWORD = "a-long-test-password"
STRONG_KEY = "k3Y-" + "abcdefghij" * 5


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # The default hasher is slow on purpose; these tests check sessions and headers.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# -- the secret key in production


@pytest.mark.parametrize(
    "key",
    [
        "short",
        "x" * 60,  # long, but one character
        "abcd" * 20,  # four different characters
        "django-insecure-" + "q7Zr9-kLp2" * 6,  # Django's own development key
    ],
    ids=["short", "one-character", "four-characters", "django-insecure"],
)
def test_production_refuses_a_weak_secret_key_with_one_sentence(tmp_path: Path, key: str) -> None:
    result = settings_in_subprocess(
        tmp_path, "s.SECRET_KEY", SOLIDGROUND_PRODUCTION="true", SOLIDGROUND_SECRET_KEY=key
    )

    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert "ImproperlyConfigured: SOLIDGROUND_SECRET_KEY is too weak for production" in last
    assert 'python -c "import secrets; print(secrets.token_urlsafe(50))"' in last
    assert key not in result.stderr  # the key itself is never printed


def test_production_accepts_a_strong_secret_key(tmp_path: Path) -> None:
    result = settings_in_subprocess(
        tmp_path,
        "len(s.SECRET_KEY)",
        SOLIDGROUND_PRODUCTION="true",
        SOLIDGROUND_SECRET_KEY=STRONG_KEY,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"({len(STRONG_KEY)},)"


def test_without_production_mode_a_short_key_still_works_for_a_trial(tmp_path: Path) -> None:
    result = settings_in_subprocess(tmp_path, "s.SECRET_KEY", SOLIDGROUND_SECRET_KEY="short")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "('short',)"


# -- HSTS


def test_production_sends_hsts_for_a_year_without_subdomains_by_default(tmp_path: Path) -> None:
    result = settings_in_subprocess(
        tmp_path,
        "s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS",
        SOLIDGROUND_PRODUCTION="true",
        SOLIDGROUND_SECRET_KEY=STRONG_KEY,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(31536000, False)"


def test_hsts_can_be_turned_off_and_is_off_outside_production(tmp_path: Path) -> None:
    off = settings_in_subprocess(
        tmp_path,
        "s.SECURE_HSTS_SECONDS",
        SOLIDGROUND_PRODUCTION="true",
        SOLIDGROUND_SECRET_KEY=STRONG_KEY,
        SOLIDGROUND_HSTS_SECONDS="0",
    )
    trial = settings_in_subprocess(tmp_path, "s.SECURE_HSTS_SECONDS")

    assert off.stdout.strip() == "(0,)", off.stderr
    assert trial.stdout.strip() == "(0,)", trial.stderr


@pytest.mark.django_db
def test_an_https_page_carries_the_hsts_header_in_production(settings: Any) -> None:
    # The value production mode sets (checked above), through the real middleware stack.
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = False

    response = Client().get("/login/", secure=True)
    plain = Client().get("/login/")

    assert response["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in plain  # only meaningful over HTTPS


# -- production mode without TLS


def serve_output(monkeypatch: pytest.MonkeyPatch) -> str:
    """What `solidground serve` prints at start, without starting the server."""
    served: list[dict[str, Any]] = []
    monkeypatch.setattr("waitress.serve", lambda app, **options: served.append(options))
    out, err = io.StringIO(), io.StringIO()

    call_command("serve", "--no-migrate", "--port", "8123", stdout=out, stderr=err)

    assert served[0]["port"] == 8123  # it went on to start the server
    return err.getvalue()


@pytest.mark.django_db  # serve closes API writes that a stopped server cut off (below)
def test_serve_warns_when_production_mode_runs_without_a_tls_proxy(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.PRODUCTION = True
    settings.BEHIND_PROXY = False

    warning = serve_output(monkeypatch)

    assert "SOLIDGROUND_BEHIND_PROXY is false" in warning
    assert "logging in will fail" in warning
    assert "SOLIDGROUND_BEHIND_PROXY=true" in warning  # what to do


@pytest.mark.django_db
@pytest.mark.parametrize(("production", "behind_proxy"), [(True, True), (False, False)])
def test_serve_is_quiet_behind_a_proxy_or_outside_production(
    settings: Any, monkeypatch: pytest.MonkeyPatch, production: bool, behind_proxy: bool
) -> None:
    settings.PRODUCTION = production
    settings.BEHIND_PROXY = behind_proxy

    assert serve_output(monkeypatch) == ""


@pytest.mark.django_db
def test_serve_marks_api_writes_cut_off_by_a_stopped_server_as_failed(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given an API write whose server was killed mid-write: its run still says "running"
    settings.PRODUCTION = False
    run = ImportRun.objects.create(
        started_at=timezone.now(), kind=ImportRun.Kind.API, source="psa", status="running"
    )
    # when the server starts again
    output = serve_output(monkeypatch)
    # then the run says failed, and the start-up says so in a sentence
    run.refresh_from_db()
    assert run.status == ImportRun.Status.FAILED
    assert "nothing was written" in run.error
    assert "1 API write(s) were interrupted" in output


@pytest.mark.django_db
def test_a_failed_login_over_plain_http_in_production_says_that_https_is_needed(
    settings: Any,
) -> None:
    settings.PRODUCTION = True
    do_create_user(username="olga", password=PASSWORD, role=Role.OWNER)
    # The browser kept no CSRF cookie: in production it is Secure and came over HTTP.
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")

    response = client.post("/login/", {"username": "olga", "password": PASSWORD})

    text = response.content.decode()
    assert response.status_code == 403
    assert "The form has expired" in text
    assert "logging in works only over HTTPS" in text
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_https_hint_is_not_shown_over_https_or_outside_production(settings: Any) -> None:
    settings.PRODUCTION = True
    over_https = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en").post(
        "/login/", {"username": "x", "password": "y"}, secure=True
    )
    settings.PRODUCTION = False
    trial = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en").post(
        "/login/", {"username": "x", "password": "y"}
    )

    for response in (over_https, trial):
        assert response.status_code == 403
        assert "The form has expired" in response.content.decode()
        assert "only over HTTPS" not in response.content.decode()


# -- idle sessions


def test_the_idle_timeout_is_configurable(tmp_path: Path) -> None:
    default = settings_in_subprocess(tmp_path, "s.SESSION_COOKIE_AGE, s.SESSION_SAVE_EVERY_REQUEST")
    short = settings_in_subprocess(
        tmp_path, "s.SESSION_COOKIE_AGE", SOLIDGROUND_SESSION_IDLE_MINUTES="15"
    )
    zero = settings_in_subprocess(tmp_path, "1", SOLIDGROUND_SESSION_IDLE_MINUTES="0")

    assert default.stdout.strip() == "(7200, True)", default.stderr
    assert short.stdout.strip() == "(900,)", short.stderr
    assert zero.returncode != 0
    assert "SOLIDGROUND_SESSION_IDLE_MINUTES is 0; it must be at least 1" in zero.stderr


@pytest.mark.django_db
def test_a_session_idle_longer_than_the_limit_is_sent_to_the_login(
    settings: Any, time_machine: Any
) -> None:
    settings.SESSION_COOKIE_AGE = 120 * 60
    start = dt.datetime(2026, 4, 15, 9, 0, tzinfo=dt.UTC)
    time_machine.move_to(start, tick=False)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(do_create_user(username="olga", password=PASSWORD, role=Role.OWNER))
    assert client.get("/settings/").status_code == 200

    time_machine.move_to(start + dt.timedelta(minutes=121), tick=False)
    response = client.get("/settings/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.django_db
def test_working_keeps_the_session_alive_past_the_limit(settings: Any, time_machine: Any) -> None:
    settings.SESSION_COOKIE_AGE = 120 * 60
    start = dt.datetime(2026, 4, 15, 9, 0, tzinfo=dt.UTC)
    time_machine.move_to(start, tick=False)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(do_create_user(username="olga", password=PASSWORD, role=Role.OWNER))

    for minutes in (100, 200, 300):  # a request every 100 minutes: never idle for 120
        time_machine.move_to(start + dt.timedelta(minutes=minutes), tick=False)
        assert client.get("/settings/").status_code == 200, minutes
