"""Every preset imports a realistic export of its tool, in English and in German form.

The samples (tests/importers/samples/, written by generate_samples.py from the tools'
documented field names) describe the same tickets in both forms: the English one with the
API's or export's field names and ISO/US times, the German one with German headers, ";",
decimal commas, dd.mm.yyyy local times, Windows-1252 or a BOM and empty trailing rows. So one
set of expectations holds for both.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import models

from solidground.contracts.models import Contract
from solidground.customers.models import Customer
from solidground.importers.actions import do_import_file
from solidground.importers.mapping import list_presets
from solidground.service.models import Ticket, TimeEntry
from solidground.surveys.models import SurveyAnswer

# analysis_calls (conftest.py): record the re-analysis after each import instead of running it.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("analysis_calls")]


SAMPLES = Path(__file__).resolve().parent / "samples"
LANGUAGES = ["en", "de"]


def utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# tool -> presets in import order (customers and contracts before tickets before the rest)
TOOLS: dict[str, list[str]] = {
    "connectwise": [
        "connectwise-companies",
        "connectwise-agreements",
        "connectwise-tickets",
        "connectwise-time-entries",
        "connectwise-surveys",
    ],
    "autotask": [
        "autotask-companies",
        "autotask-contracts",
        "autotask-tickets",
        "autotask-time-entries",
        "autotask-surveys",
    ],
    "halopsa": [
        "halopsa-clients",
        "halopsa-contracts",
        "halopsa-tickets",
        "halopsa-time-entries",
        "halopsa-feedback",
    ],
    "zammad": ["zammad-organizations", "zammad-tickets", "zammad-time-entries"],
    "freshdesk": [
        "freshdesk-companies",
        "freshdesk-tickets",
        "freshdesk-time-entries",
        "freshdesk-surveys",
    ],
    "zendesk": ["zendesk-organizations", "zendesk-tickets", "zendesk-satisfaction"],
    "generic": [
        "generic-customers",
        "generic-contracts",
        "generic-tickets",
        "generic-time-entries",
        "generic-survey-answers",
    ],
}

Check = tuple[type[models.Model], str | dict[str, str], dict[str, Any]]

MUELLER = "Müller Maschinenbau GmbH"
SCHMIDT = "Schmidt & Söhne KG"

EXPECTED: dict[str, dict[str, Any]] = {
    "connectwise": {
        "counts": {Customer: 3, Contract: 2, Ticket: 3, TimeEntry: 3, SurveyAnswer: 2},
        "checks": [
            (
                Contract,
                "102",
                {
                    "kind": "block_hours",
                    "status": "ended",
                    "monthly_fee": Decimal("1800.00"),
                    "end_date": date(2025, 3, 31),
                },
            ),
            (
                Ticket,
                "48211",
                {
                    "status": "resolved",
                    "priority": 3,
                    "channel": "phone",
                    "created_at": utc(2025, 3, 3, 8, 15),
                    "resolved_at": utc(2025, 3, 3, 13, 40),
                    "customer__name": MUELLER,
                },
            ),
            (Ticket, "48212", {"status": "waiting_customer", "priority": 2, "channel": "email"}),
            (
                Ticket,
                "48213",
                {
                    "status": "closed",
                    "priority": 1,
                    "channel": "monitoring",
                    "closed_at": utc(2025, 4, 2, 9, 0),
                },
            ),
            (
                TimeEntry,
                "9001",
                {
                    "minutes": 90,
                    "billing": "billed",
                    "technician": "jdoe",
                    "ticket__external_id": "48211",
                    "customer__name": MUELLER,
                },
            ),
            (
                TimeEntry,
                "9002",
                {"minutes": 15, "billing": "goodwill", "started_at": utc(2025, 3, 3, 13, 30)},
            ),
            (TimeEntry, "9003", {"minutes": 45, "billing": "included"}),
            (SurveyAnswer, "501", {"score": 5, "answered_at": utc(2025, 3, 3, 16, 20)}),
            (SurveyAnswer, "502", {"score": None, "answered_at": None}),
        ],
    },
    "autotask": {
        "counts": {Customer: 3, Contract: 2, Ticket: 3, TimeEntry: 3, SurveyAnswer: 2},
        "checks": [
            (Customer, "29690", {"status": "cancelled"}),
            (Contract, "3001", {"kind": "managed", "monthly_fee": Decimal("2450.00")}),
            (Contract, "3002", {"kind": "block_hours", "end_date": None}),
            (
                Ticket,
                "71001",
                {
                    "status": "resolved",
                    "priority": 3,
                    "reference": "T20250303.0004",
                    "created_at": utc(2025, 3, 3, 8, 15),
                    "first_response_at": utc(2025, 3, 3, 8, 40),
                    "resolved_at": utc(2025, 3, 3, 13, 40),
                },
            ),
            (Ticket, "71002", {"status": "waiting_customer", "priority": 2}),
            (
                Ticket,
                "71003",
                {
                    "status": "in_progress",
                    "priority": 1,
                    "channel": "monitoring",
                    "created_at": utc(2025, 3, 31, 6, 5),
                },
            ),
            (TimeEntry, "880001", {"minutes": 90, "billing": "billed", "customer__name": MUELLER}),
            (TimeEntry, "880002", {"minutes": 15, "billing": "included"}),
            (SurveyAnswer, "41", {"score": 5, "ticket__external_id": "71001"}),
            (SurveyAnswer, "42", {"score": None}),
        ],
    },
    "halopsa": {
        "counts": {Customer: 2, Contract: 2, Ticket: 2, TimeEntry: 2, SurveyAnswer: 1},
        "checks": [
            (Contract, "6", {"kind": "block_hours", "name": "PRE-2024-013"}),
            (
                Ticket,
                "1201",
                {
                    "status": "resolved",
                    "priority": 3,
                    "first_response_at": utc(2025, 3, 3, 8, 40),
                    "customer__name": MUELLER,
                },
            ),
            (Ticket, "1202", {"status": "waiting_customer", "priority": 2}),
            (TimeEntry, "90001", {"minutes": 90, "billing": "billed"}),
            (TimeEntry, "90002", {"minutes": 45, "billing": "included", "customer__name": SCHMIDT}),
            (SurveyAnswer, "301", {"scale_max": 4}),
        ],
    },
    "zammad": {
        "counts": {Customer: 2, Ticket: 2, TimeEntry: 2},
        "checks": [
            (
                Ticket,
                {"en": "17", "de": "31017"},
                {
                    "status": "closed",
                    "priority": 3,
                    "reference": "31017",
                    "resolved_at": utc(2025, 3, 3, 13, 40),
                    "closed_at": utc(2025, 3, 3, 13, 40),
                    "customer__name": MUELLER,
                },
            ),
            (Ticket, {"en": "18", "de": "31018"}, {"status": "waiting_customer", "priority": 2}),
            (TimeEntry, "501", {"minutes": 90, "billing": "included", "customer__name": MUELLER}),
        ],
    },
    "freshdesk": {
        "counts": {Customer: 2, Ticket: 2, TimeEntry: 2, SurveyAnswer: 2},
        "checks": [
            (
                Ticket,
                "3301",
                {
                    "status": "closed",
                    "priority": 4,
                    "channel": "phone",
                    "agent_touches": 1,
                    "created_at": utc(2025, 3, 3, 8, 15),
                    "customer__name": MUELLER,
                },
            ),
            (Ticket, "3302", {"status": "waiting_customer", "priority": 1, "channel": "portal"}),
            (TimeEntry, "7001", {"minutes": 10, "billing": "included"}),
            (TimeEntry, "7002", {"minutes": 105, "billing": "billed"}),
            (SurveyAnswer, "61", {"score": 7, "scale_max": 7}),
            (SurveyAnswer, "62", {"score": 2}),
        ],
    },
    "zendesk": {
        "counts": {Customer: 2, Ticket: 2, SurveyAnswer: 2},
        "checks": [
            (
                Ticket,
                "5501",
                {
                    "status": "resolved",
                    "priority": 3,
                    "channel": "email",
                    "resolved_at": utc(2025, 3, 3, 13, 40),
                    "customer__name": MUELLER,
                },
            ),
            (Ticket, "5502", {"status": "waiting_third_party", "priority": 2}),
            (
                SurveyAnswer,
                "9101",
                {"score": 1, "scale_min": 0, "scale_max": 1, "customer__name": MUELLER},
            ),
            (SurveyAnswer, "9102", {"score": None, "answered_at": None}),
        ],
    },
    "generic": {
        "counts": {Customer: 2, Contract: 2, Ticket: 2, TimeEntry: 3, SurveyAnswer: 2},
        "checks": [
            (
                Customer,
                "K-1001",
                {
                    "name": MUELLER,
                    "subdivision": "BY",
                    "seats": 45,
                    "customer_since": date(2019, 5, 1),
                },
            ),
            (
                Contract,
                "V-2024-02",
                {
                    "kind": "block_hours",
                    "included_hours_per_month": Decimal("20.00"),
                    "hourly_rate": Decimal("90.00"),
                },
            ),
            (
                Ticket,
                "T-1",
                {
                    "status": "resolved",
                    "priority": 3,
                    "billable": False,
                    "created_at": utc(2025, 3, 3, 8, 15),
                },
            ),
            (Ticket, "T-2", {"status": "waiting_customer", "priority": 2, "billable": True}),
            (
                TimeEntry,
                "Z-1",
                {"minutes": 90, "billing": "billed", "billed_amount": Decimal("1042.50")},
            ),
            (TimeEntry, "Z-2", {"minutes": 15, "billing": "goodwill"}),
            (
                TimeEntry,
                "Z-3",
                {"minutes": 45, "billing": "internal", "ticket": None, "customer__name": SCHMIDT},
            ),
            (SurveyAnswer, "A-1", {"score": 5, "customer__name": MUELLER}),
        ],
    },
}


def _sample(preset: str, lang: str) -> Path:
    return SAMPLES / f"{preset}.{lang}.csv"


def _value(obj: models.Model, path: str) -> Any:
    value: Any = obj
    for part in path.split("__"):
        value = getattr(value, part)
        if value is None:
            return None
    return value


def _find(model: type[models.Model], external_id: str) -> models.Model:
    if model is Customer:
        return Customer.objects.get(references__external_id=external_id)
    return model._default_manager.get(external_id=external_id)


def test_every_preset_has_a_sample_in_both_languages() -> None:
    covered = {preset for presets in TOOLS.values() for preset in presets}
    assert covered == set(list_presets())
    for preset in covered:
        for lang in LANGUAGES:
            assert _sample(preset, lang).is_file(), f"no {lang} sample for {preset}"


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_given_the_tools_export_when_imported_with_presets_then_the_store_matches(
    tool: str, lang: str
) -> None:
    for preset in TOOLS[tool]:
        outcome = do_import_file(_sample(preset, lang), preset=preset)
        errors = [error.message() for error in outcome.result.errors]
        assert errors == [], f"{preset} ({lang})"
        assert outcome.run.rejected == 0
    expected = EXPECTED[tool]
    for model, count in expected["counts"].items():
        assert model._default_manager.count() == count, f"{model.__name__} ({lang})"
    for model, external_id, fields in expected["checks"]:
        key = external_id[lang] if isinstance(external_id, dict) else external_id
        obj = _find(model, key)
        for path, value in fields.items():
            assert _value(obj, path) == value, f"{model.__name__} {key}.{path} ({lang})"


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_given_an_imported_export_when_imported_again_then_nothing_changes(
    tool: str, lang: str
) -> None:
    for preset in TOOLS[tool]:
        do_import_file(_sample(preset, lang), preset=preset)
    before = {model: model._default_manager.count() for model in EXPECTED[tool]["counts"]}
    for preset in TOOLS[tool]:
        run = do_import_file(_sample(preset, lang), preset=preset).run
        assert (run.created, run.updated, run.rejected) == (0, 0, 0), preset
        assert run.unchanged > 0
    after = {model: model._default_manager.count() for model in EXPECTED[tool]["counts"]}
    assert after == before
