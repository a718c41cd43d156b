"""Error pages in the product's layout and language, the login and its lockout, the security
headers, and what production mode changes."""

from __future__ import annotations

import datetime as dt
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.template.loader import get_template
from django.test import Client
from django.urls import include, path
from django.utils import translation

from solidground import __version__
from solidground.accounts.actions import do_create_user
from solidground.accounts.models import Role

PASSWORD = "a-long-test-password"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # The default hasher takes a noticeable fraction of a second per user on purpose; these
    # tests create many users and check permissions, not hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


def suspicious(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation("a forged request")


def forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


# A test-only URLconf: the product's routes plus views that fail on purpose.
urlpatterns = [
    path("boom/", boom),
    path("suspicious/", suspicious),
    path("forbidden/", forbidden),
    path("", include("solidground.config.urls")),
]


def make_user(name: str = "owner", role: Role = Role.OWNER) -> AbstractUser:
    return do_create_user(username=name, password=PASSWORD, role=role)


def logged_in(user: AbstractUser, language: str, **options: bool) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language, **options)
    client.force_login(user)
    return client


# -- error pages


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "layout_word"), [("de", "Abmelden"), ("en", "Log out")])
def test_unknown_customer_is_the_layouts_404_in_the_readers_language(
    language: str, layout_word: str
) -> None:
    client = logged_in(make_user(), language)

    response = client.get("/customers/999999/")

    text = response.content.decode()
    assert response.status_code == 404
    assert f'<html lang="{language}">' in text
    assert layout_word in text  # the layout, with the menu of a logged-in user
    assert 'href="/"' in text  # a way back to the portfolio
    assert "404" in text


@pytest.mark.django_db
def test_404_page_says_what_happened_in_english() -> None:
    text = logged_in(make_user(), "en").get("/no-such-page/").content.decode()

    assert "Page not found" in text
    assert "Back to the portfolio" in text


@pytest.mark.django_db
def test_malformed_ids_are_not_found_never_a_server_error() -> None:
    client = logged_in(make_user(), "en")

    for url in (
        "/customers/abc/",
        "/customers/99999999999999999999999999/",
        "/settings/users/-1/role/",
        "/settings/users/x/customers/",
    ):
        assert client.get(url).status_code == 404, url


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["de", "en"])
def test_post_without_csrf_token_gets_the_form_expired_page(language: str) -> None:
    client = logged_in(make_user(), language, enforce_csrf_checks=True)

    response = client.post(
        "/settings/password/",
        {"old_password": PASSWORD, "new_password1": "x" * 20, "new_password2": "x" * 20},
    )

    text = response.content.decode()
    assert response.status_code == 403
    assert f'<html lang="{language}">' in text
    assert "CSRF verification failed" not in text  # not Django's developer page
    assert 'href="/"' in text
    if language == "en":
        assert "The form has expired" in text


@pytest.mark.django_db
def test_forged_login_post_gets_the_form_expired_page_and_logs_nobody_in() -> None:
    make_user()
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")

    response = client.post("/login/", {"username": "owner", "password": PASSWORD})

    assert response.status_code == 403
    assert "The form has expired" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
@pytest.mark.urls(__name__)
@pytest.mark.parametrize("language", ["de", "en"])
def test_a_bug_gives_the_standalone_500_page(language: str) -> None:
    client = logged_in(make_user(), language)
    client.raise_request_exception = False

    response = client.get("/boom/")

    text = response.content.decode()
    assert response.status_code == 500
    assert f'<html lang="{language}">' in text
    assert "a bug" not in text  # no details for the reader
    assert "Traceback" not in text
    assert "Abmelden" not in text  # standalone: no layout, no menu
    assert "Log out" not in text
    assert 'href="/"' in text
    if language == "en":
        assert "Something went wrong on our side" in text


def test_the_500_page_renders_without_a_database() -> None:
    # No django_db mark: any query would fail the test outright.
    with translation.override("en"):
        text = get_template("500.html").render()

    assert "Something went wrong on our side" in text
    assert '<html lang="en">' in text


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_suspicious_request_gets_the_layouts_400_page() -> None:
    client = logged_in(make_user(), "en")

    response = client.get("/suspicious/")

    assert response.status_code == 400
    text = response.content.decode()
    assert "Bad request" in text
    assert "Log out" in text
    assert "a forged request" not in text


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_refused_page_names_the_role_and_whom_to_ask() -> None:
    client = logged_in(make_user("anna", Role.ACCOUNT_MANAGER), "en")

    response = client.get("/forbidden/")

    text = response.content.decode()
    assert response.status_code == 403
    assert "Your role (account manager) does not include this page" in text
    assert "Log out" in text


@pytest.mark.django_db
def test_user_management_refused_to_a_manager_shows_the_403_page() -> None:
    owner = make_user()
    manager = make_user("bert", Role.MANAGER)

    response = logged_in(manager, "en").get(f"/settings/users/{owner.pk}/customers/")

    assert response.status_code == 403
    assert "Your role (service manager) does not include this page" in response.content.decode()


# -- login and lockout


@pytest.mark.django_db
def test_failed_login_keeps_the_user_name_and_shows_no_version() -> None:
    make_user()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")

    response = client.post("/login/", {"username": "owner", "password": "wrong-password"})

    text = response.content.decode()
    assert response.status_code == 200
    assert 'value="owner"' in text
    assert "match. Please try again." in text
    assert __version__ not in text
    assert __version__ not in client.get("/login/").content.decode()


@pytest.mark.django_db
def test_login_page_speaks_german() -> None:
    text = Client(HTTP_ACCEPT_LANGUAGE="de").get("/login/").content.decode()

    assert '<html lang="de">' in text
    assert "Anmelden" in text
    assert "Benutzername" in text


@pytest.mark.django_db
def test_login_user_name_is_escaped() -> None:
    response = Client().post("/login/", {"username": '"><script>x()</script>', "password": "x"})

    text = response.content.decode()
    assert "<script>x()" not in text
    assert "&lt;script&gt;x()" in text


def fail_login(client: Client, username: str, times: int) -> None:
    for _ in range(times):
        client.post("/login/", {"username": username, "password": "wrong-password"})


@pytest.mark.django_db
def test_five_wrong_passwords_lock_the_user_name_from_that_address(
    caplog: pytest.LogCaptureFixture,
) -> None:
    make_user("anna", Role.MANAGER)
    make_user("bert", Role.MANAGER)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")

    with caplog.at_level(logging.WARNING, logger="axes"):
        fail_login(client, "anna", 5)
    locked = client.post("/login/", {"username": "anna", "password": PASSWORD})
    other_name = Client().post("/login/", {"username": "bert", "password": PASSWORD})

    text = locked.content.decode()
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    assert "Login locked" in text
    assert "After 5 failed attempts" in text
    assert "locked for 15 minutes" in text
    assert '<html lang="en">' in text
    assert other_name.status_code == 302
    assert "AXES: New login failure" in caplog.text
    assert "AXES: Locking out" in caplog.text


@pytest.mark.django_db
def test_after_the_cool_off_the_right_password_works_again(
    time_machine: object,
) -> None:
    start = dt.datetime(2026, 4, 15, 9, 0, tzinfo=dt.UTC)
    time_machine.move_to(start, tick=False)  # type: ignore[attr-defined]
    make_user("anna", Role.MANAGER)
    client = Client()
    fail_login(client, "anna", 5)
    assert client.post("/login/", {"username": "anna", "password": PASSWORD}).status_code == 429

    time_machine.move_to(start + dt.timedelta(minutes=16), tick=False)  # type: ignore[attr-defined]
    response = client.post("/login/", {"username": "anna", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.django_db
def test_lockout_page_speaks_german() -> None:
    make_user("anna", Role.MANAGER)
    client = Client(HTTP_ACCEPT_LANGUAGE="de")
    fail_login(client, "anna", 5)

    response = client.post("/login/", {"username": "anna", "password": PASSWORD})

    assert response.status_code == 429
    assert '<html lang="de">' in response.content.decode()


# -- headers


@pytest.mark.django_db
def test_a_logged_in_page_carries_the_security_headers() -> None:
    response = logged_in(make_user(), "en").get("/settings/")

    assert response.status_code == 200
    policy = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    assert policy["script-src"] == "'self'"
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-eval'" not in policy["script-src"]
    assert policy["frame-ancestors"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_the_settings_page_has_no_inline_script_or_style() -> None:
    text = logged_in(make_user(), "en").get("/settings/").content.decode()

    assert " style=" not in text
    assert "<script>" not in text
    assert " onclick=" not in text
    assert " onchange=" not in text


@pytest.mark.django_db
def test_login_page_is_not_cached_either() -> None:
    response = Client().get("/login/")

    assert "no-store" in response["Cache-Control"]
    assert "Content-Security-Policy" in response


# -- production mode, read by the settings module in a fresh process


def settings_in_subprocess(
    tmp_path: Path, expression: str, **env: str
) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("SOLIDGROUND_") and key != "DJANGO_SETTINGS_MODULE"
    }
    environment.update({"SOLIDGROUND_DATA_DIR": str(tmp_path), **env})
    return subprocess.run(
        [
            sys.executable,
            "-c",
            f"import solidground.config.settings as s; print(({expression},))",
        ],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )


def test_production_mode_sets_secure_cookies(tmp_path: Path) -> None:
    result = settings_in_subprocess(
        tmp_path,
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.DEBUG",
        SOLIDGROUND_PRODUCTION="true",
        SOLIDGROUND_SECRET_KEY="a-secret-key-for-this-test-only-" + "x" * 30,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(True, True, False)"


def test_without_production_mode_cookies_also_travel_over_plain_http(tmp_path: Path) -> None:
    result = settings_in_subprocess(tmp_path, "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(False, False)"


def test_production_without_a_secret_key_fails_with_one_sentence(tmp_path: Path) -> None:
    env = {**os.environ, "SOLIDGROUND_DATA_DIR": str(tmp_path), "SOLIDGROUND_PRODUCTION": "true"}
    for key in ("SOLIDGROUND_SECRET_KEY", "SOLIDGROUND_SECRET_KEY_FILE", "DJANGO_SETTINGS_MODULE"):
        env.pop(key, None)

    result = subprocess.run(
        [sys.executable, "-m", "solidground", "check"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )

    lines = result.stderr.strip().splitlines()
    assert result.returncode != 0
    assert len(lines) == 1
    assert lines[0].startswith("solidground: SOLIDGROUND_PRODUCTION is true but no SOLIDGROUND_")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "secret_key").exists()  # no key was generated behind the user's back
