"""The admin as an owner reads it (issue 16): every app under a translated name, findings and
segments as the dashboard's sentences with their evidence as "label: value" (rounded, never raw
keys or 16-digit floats), survey comments visible, and wide change lists scrolling in their box.
"""

from __future__ import annotations

import datetime as dt
from datetime import date
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.test import Client
from django.utils.functional import Promise

from solidground.insights.models import CustomerSegment, Finding
from tests.factories import (
    CustomerFactory,
    SurveyAnswerFactory,
    TicketFactory,
    TimeEntryFactory,
    stored_finding,
)

pytestmark = pytest.mark.django_db

EVIDENCE = {
    "value": 0.7419354838709677,
    "low": 0.5675386419056621,
    "high": 0.8629829409360625,
    "n": 31,
    "threshold": 0.9,
    "bound": 0.9,
    "window_start": "2025-10-01",
}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin_client() -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(User.objects.create_superuser("root", password="a-long-test-password"))
    return client


def german(client: Client) -> Client:
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "de"
    return client


def low_sla_finding() -> Finding:
    return stored_finding(
        customer=CustomerFactory(name="Böhm & Söhne <GmbH>"),
        kind="sla_resolution_low",
        severity=Finding.Severity.URGENT,
        period_start=date(2026, 1, 1),
        params=EVIDENCE,
    )


def test_every_solidground_app_has_a_translatable_name() -> None:
    ours = [config for config in apps.get_app_configs() if config.name.startswith("solidground.")]

    assert {config.label for config in ours} >= {
        "accounts",
        "customers",
        "contracts",
        "service",
        "surveys",
        "insights",
        "importers",
        "demo",
        "web",
    }
    for config in ours:
        assert isinstance(config.verbose_name, Promise), config.label  # gettext_lazy


def test_the_admin_index_names_apps_and_models_in_the_readers_language(
    admin_client: Client,
) -> None:
    english = admin_client.get("/admin/").content.decode()
    deutsch = german(admin_client).get("/admin/").content.decode()

    assert "Analysis results" in english
    assert "Surveys" in english
    assert "Insights" not in english  # not the module's label
    assert "Befunde" in deutsch  # model names come translated
    assert "Kundensegmente" in deutsch
    assert "Findings" not in deutsch


def test_a_finding_reads_as_the_dashboards_sentence_with_rounded_evidence(
    admin_client: Client,
) -> None:
    finding = low_sla_finding()

    listing = admin_client.get("/admin/insights/finding/").content.decode()
    page = admin_client.get(f"/admin/insights/finding/{finding.pk}/change/").content.decode()

    sentence = "resolution SLA met 74% (99% interval 57%–86%, 31 tickets)"
    assert sentence in listing
    assert sentence in page
    assert f"{finding.pk}: sla_resolution_low" not in page  # the title is the sentence too
    assert "Böhm &amp; Söhne &lt;GmbH&gt;" in page  # escaped
    assert "<li>lower bound (95%): 57%</li>" in page
    assert "<li>upper bound (95%): 86%</li>" in page
    assert "<li>n: 31</li>" in page
    assert "0.7419354838709677" not in page
    assert "0.5675386419056621" not in page


def test_a_finding_in_german_uses_the_german_sentence(admin_client: Client) -> None:
    finding = low_sla_finding()

    page = german(admin_client).get(f"/admin/insights/finding/{finding.pk}/change/")

    text = page.content.decode()
    assert "Lösungs-SLA eingehalten" in text
    assert "0,7419354838709677" not in text


def test_a_segment_shows_its_reasons_as_sentences_and_rounded_figures(
    admin_client: Client,
) -> None:
    customer = CustomerFactory(name="Busch IT")
    CustomerSegment.objects.create(
        customer=customer,
        segment="at_risk",
        rule="at_risk",
        window_start=date(2025, 10, 1),
        window_end=date(2026, 1, 1),
        reasons=[{"key": "sla_resolution_low", "met": True, **EVIDENCE}],
        movers=[{"key": "sla_resolution_low", "met": True, **EVIDENCE}],
        figures={"tickets": 31, "margin_share": 0.35438441557572686, "revenue": 7971.719999},
    )

    listing = admin_client.get("/admin/insights/customersegment/").content.decode()
    page = admin_client.get(
        f"/admin/insights/customersegment/{customer.pk}/change/"
    ).content.decode()

    assert "resolution SLA met 74%" in listing  # "why", shortened
    assert "<li>resolution SLA met 74% (99% interval 57%–86%, 31 tickets)" in page
    assert "Busch IT: at risk" in page  # the title, not "…: at_risk"
    assert "<li>margin share: 35%</li>" in page
    assert "<li>tickets: 31</li>" in page
    assert "0.35438441557572686" not in page
    assert "7971.719999" not in page


def test_survey_comments_show_shortened_in_the_list_and_whole_on_the_page(
    admin_client: Client,
) -> None:
    comment = "Der Drucker im zweiten Stock " + "druckt wieder nicht, " * 10 + "ENDE."
    answer = SurveyAnswerFactory(
        comment=comment, sent_at=dt.datetime(2026, 3, 3, 9, 0, tzinfo=dt.UTC)
    )

    listing = admin_client.get("/admin/surveys/surveyanswer/").content.decode()
    page = admin_client.get(f"/admin/surveys/surveyanswer/{answer.pk}/change/").content.decode()

    assert "Der Drucker im zweiten Stock" in listing
    assert "ENDE." not in listing  # shortened
    assert "ENDE." in page


def test_admin_pages_load_the_stylesheet_that_lets_wide_lists_scroll(
    admin_client: Client,
) -> None:
    text = admin_client.get("/admin/service/ticket/").content.decode()

    assert "/static/solidground/admin.css" in text
    assert "<title>" in text
    assert "| Solidground</title>" in text


def test_german_change_lists_name_foreign_keys_and_finding_kinds_readably(
    admin_client: Client,
) -> None:
    low_sla_finding()
    TicketFactory()
    TimeEntryFactory()
    client = german(admin_client)

    tickets = client.get("/admin/service/ticket/").content.decode()
    time_entries = client.get("/admin/service/timeentry/").content.decode()
    findings = client.get("/admin/insights/finding/").content.decode()

    assert '<a href="?o=' in tickets  # sortable column headers are there
    assert ">Kunde</a>" in tickets  # the customer column under its German name
    assert ">Kunde</a>" in time_entries
    assert ">Lösungszeit-SLA niedrig</a>" in findings  # the kind filter's choice, named
    assert ">sla_resolution_low<" not in findings  # never the raw key as text
    assert "sla resolution low" not in findings
