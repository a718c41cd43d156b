"""What each kind of record becomes in the store: its model, its references, its fields.

The writer (``writer.py``), the validation (``validation.py``) and the staging SQL
(``staging.py``) all read this table; the file importer reads the enumerated values of a field
(``model_choices``) to translate a source's words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models

from solidground.contracts.models import CatalogueItem, Contract, RevenueLine, SlaPolicy
from solidground.customers.models import Contact, Customer, CustomerReference
from solidground.importers.records import MODEL_FIELD_NAMES, Kind, frame_schema
from solidground.service.models import Interaction, Ticket, TicketStatusChange, TimeEntry
from solidground.surveys.models import SurveyAnswer


@dataclass(frozen=True)
class Ref:
    """How a ``*_ref`` field becomes a foreign key."""

    field: str  # record field, e.g. "customer_ref"
    column: str  # foreign key column on the target table, e.g. "customer_id"
    table: str  # table looked up
    key: str  # column matched against the ref value
    value: str  # column of the looked-up table that gives the pk
    by_source: bool  # match only records of the same source
    required: bool
    what: str  # for messages: "customer", "ticket", ...
    hint: str


def table_of(model: type[models.Model]) -> str:
    return model._meta.db_table


CUSTOMER_REF = Ref(
    "customer_ref",
    "customer_id",
    table_of(CustomerReference),
    "external_id",
    "customer_id",
    True,
    True,
    "customer",
    "import the customers first or let the import create them",
)


def _ref(field_name: str, model: type[models.Model], what: str, *, required: bool) -> Ref:
    return Ref(
        field_name,
        f"{field_name.removesuffix('_ref')}_id",
        table_of(model),
        "external_id",
        "id",
        True,
        required,
        what,
        f"import the {what}s first",
    )


_TICKET_OPTIONAL = _ref("ticket_ref", Ticket, "ticket", required=False)
_CONTACT_OPTIONAL = _ref("contact_ref", Contact, "contact", required=False)
_CONTRACT_OPTIONAL = _ref("contract_ref", Contract, "contract", required=False)


@dataclass(frozen=True)
class KindSpec:
    kind: Kind
    model: type[models.Model]
    refs: tuple[Ref, ...]
    # The customer comes from the ticket when customer_ref is empty.
    customer_via_ticket: bool = False
    returns_customer: bool = True


SPECS: dict[Kind, KindSpec] = {
    "contacts": KindSpec("contacts", Contact, (CUSTOMER_REF,)),
    "contracts": KindSpec(
        "contracts",
        Contract,
        (
            CUSTOMER_REF,
            Ref(
                "sla_policy_name",
                "sla_policy_id",
                table_of(SlaPolicy),
                "name",
                "id",
                False,
                False,
                "SLA policy",
                "create the SLA policy first or leave the column empty",
            ),
        ),
    ),
    "catalogue_items": KindSpec(
        "catalogue_items",
        CatalogueItem,
        (_ref("contract_ref", Contract, "contract", required=True),),
        returns_customer=False,
    ),
    "tickets": KindSpec(
        "tickets",
        Ticket,
        (
            CUSTOMER_REF,
            _CONTACT_OPTIONAL,
            _CONTRACT_OPTIONAL,
            _ref("catalogue_item_ref", CatalogueItem, "catalogue item", required=False),
        ),
    ),
    "status_changes": KindSpec(
        "status_changes",
        TicketStatusChange,
        (_ref("ticket_ref", Ticket, "ticket", required=True),),
        returns_customer=False,
    ),
    "time_entries": KindSpec(
        "time_entries", TimeEntry, (CUSTOMER_REF, _TICKET_OPTIONAL), customer_via_ticket=True
    ),
    "interactions": KindSpec(
        "interactions",
        Interaction,
        (CUSTOMER_REF, _CONTACT_OPTIONAL, _TICKET_OPTIONAL),
        customer_via_ticket=True,
    ),
    "survey_answers": KindSpec(
        "survey_answers",
        SurveyAnswer,
        (CUSTOMER_REF, _CONTACT_OPTIONAL, _TICKET_OPTIONAL),
        customer_via_ticket=True,
    ),
    "revenue_lines": KindSpec("revenue_lines", RevenueLine, (CUSTOMER_REF, _CONTRACT_OPTIONAL)),
}

CUSTOMER_FIELDS = [
    "name",
    "country",
    "subdivision",
    "timezone",
    "seats",
    "endpoints",
    "status",
    "customer_since",
    "notes",
]


def model_field(kind: Kind, record_field: str) -> models.Field[Any, Any] | None:
    model = Customer if kind == "customers" else SPECS[kind].model
    name = MODEL_FIELD_NAMES.get(record_field, record_field)
    try:
        found = model._meta.get_field(name)
    except Exception:  # FieldDoesNotExist: a record-only field such as customer_name
        return None
    return found if isinstance(found, models.Field) and not found.is_relation else None


def value_fields(kind: Kind) -> list[str]:
    """Record fields stored as columns of the target table (not refs, not helpers)."""
    return [
        name
        for name in frame_schema(kind)
        if name != "external_id" and model_field(kind, name) is not None
    ]


def field_choices(field: models.Field[Any, Any]) -> list[Any] | None:
    if not field.choices:
        return None
    return [value for value, _label in field.flatchoices]


def model_choices(kind: Kind, record_field: str) -> list[Any] | None:
    """Our values of an enumerated field (ticket status, billing, ...), or None."""
    found = model_field(kind, record_field)
    return None if found is None else field_choices(found)
