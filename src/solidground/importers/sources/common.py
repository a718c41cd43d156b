"""Mapping rules the API connectors share: names to our statuses, priorities, billing, channels.

Helpdesk tools let every provider name statuses and priorities freely ("Waiting on Client",
"Warten auf Kunde", "Priority 2 - Quick Response"). Each connector first looks a name up in its
tool's defaults, then falls back to the keyword rules here, in German and English. Whatever
still matches nothing becomes ``open`` (status) or ``3`` (priority): visible in the data, never
a rejected ticket.

:func:`ticket_lifecycle` derives resolved and closed times and the reopen count from a status
history, the same way for every tool.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol, TypeVar

from solidground.importers.actions import do_import_batch
from solidground.importers.models import ImportRun
from solidground.importers.records import ImportBatch
from solidground.importers.writer import read_cursor

# Ordered: the first rule whose keyword occurs in the lower-cased name wins. Waiting rules come
# before "progress" so "waiting for customer (in progress)" pauses the clock, and answers
# ("Customer Responded") come first so they do not read as waiting for the customer.
T = TypeVar("T")
D = TypeVar("D")


def _first_rule(name: str, rules: Sequence[tuple[T, tuple[str, ...]]], default: D) -> T | D:
    """The value of the first rule with a keyword inside ``name`` (case-insensitive)."""
    lowered = name.strip().lower()
    for value, keywords in rules:
        if any(keyword in lowered for keyword in keywords):
            return value
    return default


_STATUS_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    # The customer answered or the ticket came back: the ball is with the provider again.
    (
        "open",
        (
            "responded",
            "replied",
            "updated",
            "reopen",
            "erneut",
            "wieder",
            "rückmeldung erhalten",
            "geantwortet",
        ),
    ),
    (
        "waiting_third_party",
        (
            "third party",
            "third-party",
            "3rd party",
            "vendor",
            "supplier",
            "dritt",
            "lieferant",
            "hersteller",
        ),
    ),
    (
        "waiting_customer",
        (
            "customer",
            "client",
            "kunde",
            "pending reminder",
            "waiting",
            "wartet",
            "warten",
            "on hold",
            "pending",
        ),
    ),
    (
        "closed",
        ("closed", "geschlossen", "merged", "zusammengef", "cancel", "duplicate", "removed"),
    ),
    ("resolved", ("resolved", "gelöst", "geloest", "completed", "erledigt", "done", "solved")),
    ("in_progress", ("progress", "bearbeitung", "assigned", "zugewiesen", "working", "scheduled")),
    ("new", ("new", "neu")),
    ("open", ("open", "offen", "reopen", "responded")),
)


def status_from_name(name: str, *, default: str = "open") -> str:
    """Our status for a tool's status name, by keyword.

    >>> status_from_name("Waiting on Client")
    'waiting_customer'
    >>> status_from_name("Warten auf Lieferant")
    'waiting_third_party'
    >>> status_from_name(">Closed")
    'closed'
    >>> status_from_name("Customer Responded")
    'open'
    >>> status_from_name("Erneut geöffnet")
    'open'
    >>> status_from_name("Something custom")
    'open'
    """
    return _first_rule(name, _STATUS_RULES, default)


_PRIORITY_NUMBER = re.compile(r"(?:priority|prio|p)\s*-?\s*([1-5])\b")
_PRIORITY_RULES: tuple[tuple[int, tuple[str, ...]], ...] = (
    (1, ("critical", "kritisch", "emergency", "notfall", "urgent", "dringend", "sehr hoch")),
    (4, ("low", "niedrig", "gering", "scheduled", "geplant", "do not respond")),
    (2, ("high", "hoch", "quick")),
    (3, ("normal", "medium", "mittel", "standard")),
)


def priority_from_name(name: str, *, default: int = 3) -> int:
    """Our priority 1 (critical) to 4 (low) for a tool's priority name.

    >>> priority_from_name("Priority 1 - Emergency Response")
    1
    >>> priority_from_name("3 high")
    2
    >>> priority_from_name("1 low")
    4
    >>> priority_from_name("P5")
    4
    """
    named = _first_rule(name, _PRIORITY_RULES, None)
    if named is not None:
        return named
    match = _PRIORITY_NUMBER.search(name.strip().lower())
    if match:
        return min(int(match.group(1)), 4)
    return default


_BILLING_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("internal", ("internal", "intern")),
    ("goodwill", ("goodwill", "kulanz", "no charge", "nocharge", "kostenlos", "do not bill")),
    (
        "included",
        (
            "non-billable",
            "not billable",
            "nicht abrechenbar",
            "nicht verrechenbar",
            "included",
            "inklusive",
            "inkludiert",
            "contract",
            "vertrag",
            "pauschal",
            "flat",
        ),
    ),
    ("billed", ("billable", "abrechenbar", "verrechenbar", "billed", "berechnet", "extra")),
)


def billing_from_name(name: str, *, default: str = "included") -> str:
    """Our billing (billed, included, goodwill, internal) for a time or activity type's name.

    >>> billing_from_name("Billable")
    'billed'
    >>> billing_from_name("Non-billable")
    'included'
    >>> billing_from_name("Kulanz")
    'goodwill'
    """
    return _first_rule(name, _BILLING_RULES, default)


_CHANNEL_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("email", ("mail",)),
    ("phone", ("phone", "call", "telefon", "anruf")),
    ("portal", ("portal", "web", "form")),
    ("chat", ("chat", "sms", "telegram", "whatsapp", "teams", "messenger", "slack")),
    ("onsite", ("onsite", "on-site", "on site", "walk", "vor ort")),
    ("monitoring", ("monitor", "rmm", "alert", "alarm", "automat")),
)


def channel_from_name(name: str, *, default: str = "other") -> str:
    """Our channel for a tool's source or article type name.

    >>> channel_from_name("E-Mail")
    'email'
    >>> channel_from_name("Walk In")
    'onsite'
    """
    return _first_rule(name, _CHANNEL_RULES, default)


def parse_instant(value: object) -> datetime | None:
    """An aware UTC datetime from an ISO 8601 string with offset or ``Z``; None for empty.

    A value without an offset is refused: APIs give offsets, and guessing a zone would shift
    SLA clocks silently.

    >>> parse_instant("2021-11-03T11:51:13.759Z")
    datetime.datetime(2021, 11, 3, 11, 51, 13, 759000, tzinfo=datetime.timezone.utc)
    >>> parse_instant("2025-03-03T09:15:00+01:00").isoformat()
    '2025-03-03T08:15:00+00:00'
    """
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a date and time")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone offset")
    return parsed.astimezone(UTC)


def iso(instant: datetime) -> str:
    """The cursor form of an instant: UTC, ``Z``, milliseconds when there are any.

    >>> iso(datetime(2024, 5, 1, 10, 0, tzinfo=UTC))
    '2024-05-01T10:00:00Z'
    >>> iso(datetime(2024, 5, 1, 10, 0, 0, 809000, tzinfo=UTC))
    '2024-05-01T10:00:00.809Z'
    """
    instant = instant.astimezone(UTC)
    if instant.microsecond:
        return instant.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def minutes_from_hours(hours: object) -> int:
    """Whole minutes from a decimal number of hours (0.25 -> 15); 0 for empty."""
    if hours is None or hours == "":
        return 0
    return round(float(str(hours)) * 60)


_OPEN_STATES = {"new", "open", "in_progress", "waiting_customer", "waiting_third_party"}
_DONE_STATES = {"resolved", "closed"}


@dataclass(frozen=True)
class Lifecycle:
    resolved_at: datetime | None
    closed_at: datetime | None
    reopen_count: int


def ticket_lifecycle(
    changes: Iterable[tuple[datetime, str]],
    *,
    current_status: str,
    created_at: datetime,
    fallback_done_at: datetime | None = None,
) -> Lifecycle:
    """Resolved and closed times and reopens from (changed_at, our status) pairs.

    - resolved_at: when the ticket last entered resolved or closed, if it is resolved or closed
      now (after a reopen the earlier resolution no longer counts, docs/domain.md);
    - closed_at: when it last entered closed, if it is closed now;
    - reopen_count: transitions from resolved/closed back to an open status.

    ``fallback_done_at`` stands in when the ticket is done but the history shows no such change
    (a history that was cut, or a tool that records only the current state). Times before
    ``created_at`` are moved to it: a ticket is never resolved before it exists.
    """
    ordered: Sequence[tuple[datetime, str]] = sorted(changes, key=lambda pair: pair[0])
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    reopens = 0
    previous: str | None = None
    for changed_at, status in ordered:
        if status in _DONE_STATES and previous not in _DONE_STATES:
            resolved_at = changed_at
        if status == "closed" and previous != "closed":
            closed_at = changed_at
        if status in _OPEN_STATES and previous in _DONE_STATES:
            reopens += 1
        previous = status
    if current_status not in _DONE_STATES:
        resolved_at = closed_at = None
    else:
        resolved_at = resolved_at or fallback_done_at
        closed_at = (closed_at or fallback_done_at) if current_status == "closed" else None
    return Lifecycle(
        resolved_at=max(resolved_at, created_at) if resolved_at else None,
        closed_at=max(closed_at, created_at) if closed_at else None,
        reopen_count=reopens,
    )


class SyncProgress(Protocol):
    """What a sync reports while it fetches; the command shows it as rich progress bars."""

    def step(self, label: str, total: int | None = None) -> None:
        """Start a step (fetching one kind of thing); ``total`` when it is known."""

    def advance(self, amount: int = 1) -> None:
        """Count ``amount`` more items done in the current step."""


class NoProgress:
    def step(self, label: str, total: int | None = None) -> None:
        return None

    def advance(self, amount: int = 1) -> None:
        return None


@dataclass
class SyncOutcome:
    """One sync: its ImportRun (counts, errors), what the mapping skipped, requests sent."""

    run: ImportRun
    skipped: list[str]
    requests: int


def write_sync(
    batch: ImportBatch,
    *,
    skipped: list[str],
    requests: int,
    dry_run: bool = False,
    label: str = "",
) -> SyncOutcome:
    """Hand a connector's batch to the import action: one transaction, an ImportRun, analysis.

    The writer saves the batch's cursors in the same transaction as its records, so a failed
    sync leaves both as they were.
    """
    run = do_import_batch(batch, kind=ImportRun.Kind.SYNC, preset=label, dry_run=dry_run)
    if skipped:
        # What the mapping left out belongs with the run, beside the writer's rejections.
        run.first_errors = [*run.first_errors, *skipped][:100]
        run.save(update_fields=["first_errors"])
    return SyncOutcome(run=run, skipped=skipped, requests=requests)


def cursor_instant(source: str, kind: str) -> datetime | None:
    """The stored cursor of ``kind`` as an instant, or None (first sync, or unreadable)."""
    stored = read_cursor(source, kind)
    if not stored:
        return None
    try:
        return parse_instant(stored)
    except ValueError:
        return None


def newest(values: Iterable[object], *, after: datetime | None = None) -> datetime | None:
    """The latest instant among ISO strings (ignoring empty ones), never earlier than ``after``."""
    latest = after
    for value in values:
        instant = parse_instant(value)
        if instant is not None and (latest is None or instant > latest):
            latest = instant
    return latest
