"""Event logs: one row per update of a ticket become tickets plus their status histories.

The mapping says which columns name the ticket, the time of the event and the status
(``[eventlog]``), and maps status names with ``[values.status]``. Events are ordered per ticket
by time, then by the optional ``sequence`` column (the source's own update counter,
ServiceNow's ``sys_mod_count``), then by their position in the file; ``order = "sequence"``
puts the counter first and ``order = "file"`` keeps the export's row order (for logs whose
clock or counter has glitches but whose rows are in order, like the ServiceNow sample).

What is derived from the history (unless the mapping maps the field to a column):

- status changes: one per *change* of our status (consecutive events with the same status are
  one stay); external id ``<ticket>#<sequence>:<status>`` of the event that began the stay (or
  ``<ticket>@<time>:<status>`` without a sequence column), so a longer export of the same log
  updates instead of duplicating;
- ``status``: the status after the last event;
- ``reopen_count``: how often the ticket left resolved/closed for another status;
- ``resolved_at``: the time of the last event (in order) in status resolved (ServiceNow writes
  ``resolved_at`` again on every update of a resolved incident), or the first closed event when
  it was never resolved; empty while the ticket is open again;
- ``closed_at``: the last event (in order) in status closed, when the ticket ends closed;
- ``created_at``: the first event, when no column is mapped (e.g. ``opened_at``).

Other ticket fields come from the ticket's last event. The whole log is held in memory (event
logs are far smaller than ticket tables; 1M events take about 1 GB).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import polars as pl

from solidground.importers.converting import Converter, describe_format, make_converter
from solidground.importers.files import FileImportResult
from solidground.importers.mapping import ColumnSpec, EventLogSpec, Mapping, MappingError
from solidground.importers.reading import TableReader, open_file
from solidground.importers.validation import RowError
from solidground.importers.writer import BatchWriter

_DONE = ["resolved", "closed"]
DERIVED_FIELDS = ("status", "reopen_count", "resolved_at", "closed_at", "created_at")


def _status_mapping(mapping: Mapping) -> Mapping:
    spec = mapping.eventlog
    assert spec is not None
    return replace(
        mapping,
        kind="status_changes",
        columns={
            "external_id": ColumnSpec("external_id", columns=spec.ticket_column),
            "ticket_ref": ColumnSpec("ticket_ref", columns=spec.ticket_column),
            "changed_at": ColumnSpec("changed_at", columns=spec.changed_at_column),
            "status": ColumnSpec("status", columns=spec.status_column),
            "source_status": ColumnSpec("source_status", columns=spec.status_column),
        },
        values={"status": mapping.values.get("status", {})},
        defaults={},
        external_id_columns=(),
    )


def ticket_mapping(mapping: Mapping) -> Mapping:
    """The event log mapping as a mapping of one ticket per row (its last row wins)."""
    spec = mapping.eventlog
    assert spec is not None
    columns = dict(mapping.columns)
    # A ticket's id is the event log's ticket column: the status changes refer to it.
    columns["external_id"] = ColumnSpec("external_id", columns=spec.ticket_column)
    values = {name: table for name, table in mapping.values.items() if name != "status"}
    return replace(mapping, kind="tickets", columns=columns, values=values)


def derive(
    events: pl.DataFrame, tickets: pl.DataFrame, *, mapped: set[str], order: str = "time"
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Tickets and status changes from converted events.

    ``events``: ticket_ref, changed_at, status, source_status, _seq, _row.
    ``tickets``: one converted ticket row per event (same _row).
    """
    keys = {
        "time": ["ticket_ref", "changed_at", "_seq", "_row"],
        "sequence": ["ticket_ref", "_seq", "changed_at", "_row"],
        "file": ["ticket_ref", "_row"],
    }[order]
    ordered = events.sort(keys, nulls_last=True)
    previous = pl.col("status").shift(1).over("ticket_ref")
    ordered = ordered.with_columns(
        previous.alias("_previous"),
        pl.col("_row").last().over("ticket_ref").alias("_last_row"),
    )
    stays = ordered.filter(
        pl.col("_previous").is_null() | (pl.col("status") != pl.col("_previous"))
    )
    # The sequence alone is not unique in real logs (ServiceNow repeats sys_mod_count).
    with_seq = pl.col("ticket_ref") + "#" + pl.col("_seq").cast(pl.String) + ":" + pl.col("status")
    without_seq = (
        pl.col("ticket_ref")
        + "@"
        + pl.col("changed_at").dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        + ":"
        + pl.col("status")
    )
    changes = stays.select(
        pl.when(pl.col("_seq").is_not_null())
        .then(with_seq)
        .otherwise(without_seq)
        .alias("external_id"),
        "ticket_ref",
        "changed_at",
        "status",
        "source_status",
        "_row",
    )
    reopens = (pl.col("_previous").is_in(_DONE) & ~pl.col("status").is_in(_DONE)).cast(pl.Int64)
    summary = ordered.group_by("ticket_ref").agg(
        pl.col("status").last().alias("final_status"),
        reopens.sum().alias("reopen_count"),
        pl.col("changed_at").filter(pl.col("status") == "resolved").last().alias("_resolved"),
        pl.col("changed_at").filter(pl.col("status") == "closed").first().alias("_first_closed"),
        pl.col("changed_at").filter(pl.col("status") == "closed").last().alias("_closed"),
        pl.col("changed_at").min().alias("_first_event"),
        pl.col("_last_row").first(),
    )
    summary = summary.with_columns(
        pl.when(pl.col("final_status").is_in(_DONE))
        .then(pl.coalesce("_resolved", "_first_closed"))
        .alias("resolved_at"),
        pl.when(pl.col("final_status") == "closed").then(pl.col("_closed")).alias("closed_at"),
        pl.col("final_status").alias("status"),
        pl.col("_first_event").alias("created_at"),
    )
    derived = [name for name in DERIVED_FIELDS if name not in mapped]
    ticket_rows = tickets.drop([name for name in derived if name in tickets.columns]).join(
        summary.select(["_last_row", *derived]),
        left_on="_row",
        right_on="_last_row",
        how="inner",
    )
    return ticket_rows, changes


@dataclass
class _ReadLog:
    """An event log read and converted: its events and tickets (bad rows dropped from both)."""

    events: pl.DataFrame
    tickets: pl.DataFrame
    errors: list[RowError]
    rows: int
    rejected: int
    ticket_converter: Converter
    status_converter: Converter


def import_eventlog(
    path: Path,
    mapping: Mapping,
    *,
    strict: bool = False,
    dry_run: bool = False,
    create_missing_customers: bool = True,
    on_errors: Callable[[Sequence[RowError]], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
    row_limit: int | None = None,
) -> FileImportResult:
    spec = mapping.eventlog
    if spec is None:
        raise MappingError(f"{mapping.origin}: not an event log mapping")
    fmt, reader = open_file(path, mapping)
    log = _read_log(reader, mapping, spec, progress=progress, row_limit=row_limit)
    mapped = set(mapping.columns) | set(mapping.defaults)
    with BatchWriter(
        source=mapping.source,
        strict=strict,
        dry_run=dry_run,
        create_missing_customers=create_missing_customers,
        on_errors=on_errors,
    ) as writer:
        writer.add_errors("status_changes", log.errors, rejected_rows=log.rejected)
        if log.events.height:
            tickets, changes = derive(
                log.events.drop("external_id"), log.tickets, mapped=mapped, order=spec.order
            )
            writer.write_frame(
                "tickets",
                tickets,
                file=path.name,
                supplied=log.ticket_converter.supplied | set(DERIVED_FIELDS),
                column_names=log.ticket_converter.column_names,
            )
            writer.write_frame(
                "status_changes",
                changes,
                file=path.name,
                column_names=log.status_converter.column_names,
            )
    converters = (log.ticket_converter, log.status_converter)
    formats = {
        name: describe_format(f[0])
        for converter in converters
        for name, f in converter.formats.items()
    }
    warnings = [f"no column for {entry}" for entry in log.ticket_converter.missing_optional]
    return FileImportResult(writer.result, log.rows, fmt, warnings, formats)


def _read_log(
    reader: TableReader,
    mapping: Mapping,
    spec: EventLogSpec,
    *,
    progress: Callable[[int, int], None] | None,
    row_limit: int | None,
) -> _ReadLog:
    tickets_mapping = ticket_mapping(mapping)
    status_mapping = _status_mapping(mapping)
    event_frames: list[pl.DataFrame] = []
    ticket_frames: list[pl.DataFrame] = []
    errors: list[RowError] = []
    rows = 0
    rejected = 0
    ticket_converter: Converter | None = None
    status_converter: Converter | None = None
    sequence_column: str | None = None
    for chunk in reader.chunks(100_000):
        if ticket_converter is None or status_converter is None:
            ticket_converter = make_converter(reader, tickets_mapping, kind="tickets")
            status_converter = make_converter(reader, status_mapping, kind="status_changes")
            by_lower = {name.lower(): name for name in reader.header}
            sequence_column = next(
                (by_lower[c.lower()] for c in spec.sequence_column if c.lower() in by_lower),
                None,
            )
        frame = chunk.frame
        if row_limit is not None:
            frame = frame.head(max(row_limit - rows, 0))
        rows += frame.height
        tickets, ticket_errors, _ = ticket_converter.convert(frame)
        events, event_errors, _ = status_converter.convert(frame)
        sequence = (
            pl.col(sequence_column).cast(pl.Int64, strict=False)
            if sequence_column
            else pl.lit(None, dtype=pl.Int64)
        )
        events = events.join(frame.select("_row", sequence.alias("_seq")), on="_row")
        # A bad event cannot be placed in its ticket's history: drop it from both.
        good_rows = tickets.select("_row").join(events.select("_row"), on="_row")
        rejected += frame.height - good_rows.height
        event_frames.append(events.join(good_rows, on="_row"))
        ticket_frames.append(tickets.join(good_rows, on="_row"))
        errors += ticket_errors + [
            error for error in event_errors if error.column not in {e.column for e in ticket_errors}
        ]
        if progress is not None:
            progress(chunk.done, chunk.total)
        if row_limit is not None and rows >= row_limit:
            break
    if ticket_converter is None or status_converter is None:
        raise MappingError(f"{reader.path.name} has no header row")
    errors.sort(key=lambda error: error.row)
    return _ReadLog(
        events=pl.concat(event_frames) if event_frames else pl.DataFrame(),
        tickets=pl.concat(ticket_frames) if ticket_frames else pl.DataFrame(),
        errors=errors,
        rows=rows,
        rejected=rejected,
        ticket_converter=ticket_converter,
        status_converter=status_converter,
    )
