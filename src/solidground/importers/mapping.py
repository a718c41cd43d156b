"""Column mappings: how a file's columns and values become canonical records.

A mapping is a small TOML (or YAML) file; presets are mappings shipped in ``presets/``.
Everything but ``source``, ``kind`` and ``[columns]`` is optional::

    name = "ConnectWise PSA: service tickets"
    source = "connectwise"        # records are keyed by (source, external id)
    kind = "tickets"              # a record kind from records.py, or "eventlog"
    timezone = "Europe/Berlin"    # zone of the file's wall-clock times (default Europe/Berlin)
    encoding = "auto"             # or "utf-8", "windows-1252", ...
    delimiter = "auto"            # or ";", ",", "\\t"
    decimal_separator = "auto"    # or "," or "."
    date_format = "auto"          # or a strftime format such as "%d.%m.%Y %H:%M"
    date_order = "auto"           # DMY, MDY or YMD: decides 03/04/2025 when auto can't
    sheet = ""                    # XLSX: the sheet's name (default the first)
    header_row = 1
    null_values = ["?", "-"]      # cell values that mean "empty"
    external_id_columns = []      # no id column? build one from these (joined with "|")

    [columns]                     # record field = source column (or alternatives, first found)
    external_id = ["id", "Ticket-ID"]
    subject = ["summary", "Zusammenfassung"]
    minutes = { column = ["actualHours", "Stunden"], unit = "hours" }
    started_at = { columns = ["Datum", "Uhrzeit"], separator = " " }   # joined columns

    [values.status]               # source value -> our value (case-insensitive)
    "Waiting Customer" = "waiting_customer"
    "*" = "open"                  # anything not listed (without it, unlisted values reject)

    [defaults]                    # values for fields the file does not have
    channel = "email"

Time zones: a wall-clock time in the file (``31.03.2025 10:00``) is read in ``timezone`` and
stored in UTC; a time with an offset (``2025-03-31T10:00:00+02:00``, ``...Z``) is taken as
given. A time that does not exist in the zone (the hour skipped when clocks go forward) is
rejected; one that exists twice (clocks go back) is read as the earlier.

Units (``unit``) of durations: ``minutes`` (default), ``hours`` (decimal hours), ``hh:mm``,
``seconds``.
"""

from __future__ import annotations

import tomllib
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from solidground.importers.records import KINDS, frame_schema

PRESETS_DIR = Path(__file__).resolve().parent / "presets"
FILE_KINDS = (*KINDS, "eventlog")
UNITS = ("minutes", "hours", "hh:mm", "seconds")
DATE_ORDERS = ("auto", "DMY", "MDY", "YMD")


class MappingError(ValueError):
    """A mapping (or a file's header) that cannot work; the message says what to change."""


@dataclass(frozen=True)
class ColumnSpec:
    field: str
    # Alternatives: the first one present in the file is used (English and German headers).
    columns: tuple[str, ...] = ()
    # Several columns joined into one value (date + time, or a subject from parts).
    join: tuple[str, ...] = ()
    separator: str = " "
    unit: str = "minutes"
    date_format: str | None = None


@dataclass(frozen=True)
class EventLogSpec:
    """One row per status change: which columns say which ticket, when, and what status."""

    ticket_column: tuple[str, ...]
    changed_at_column: tuple[str, ...]
    status_column: tuple[str, ...]
    # The source's update counter, e.g. ServiceNow's sys_mod_count: part of the status
    # changes' ids, and the order of events when ``order = "sequence"``.
    sequence_column: tuple[str, ...] = ()
    # How a ticket's events are ordered: "time" (then sequence, then file position),
    # "sequence" (then time, then file position) or "file" (the export's row order).
    order: str = "time"


@dataclass
class Mapping:
    name: str
    source: str
    kind: str
    columns: dict[str, ColumnSpec]
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    timezone: str = "Europe/Berlin"
    encoding: str = "auto"
    delimiter: str = "auto"
    decimal_separator: str = "auto"
    date_format: str = "auto"
    date_order: str = "auto"
    sheet: str = ""
    header_row: int = 1
    null_values: tuple[str, ...] = ()
    external_id_columns: tuple[str, ...] = ()
    eventlog: EventLogSpec | None = None
    origin: str = ""

    @property
    def record_kind(self) -> str:
        """The kind of the records the mapped rows become (tickets for an event log)."""
        return "tickets" if self.kind == "eventlog" else self.kind


def _as_tuple(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise MappingError(f"{where}: expected a column name or a list of names, not {value!r}")


def _column_spec(name: str, raw: Any, where: str) -> ColumnSpec:
    if isinstance(raw, str | list):
        return ColumnSpec(field=name, columns=_as_tuple(raw, where))
    if not isinstance(raw, dict):
        raise MappingError(f"{where}: expected a column name, a list or a table, not {raw!r}")
    unknown = set(raw) - {"column", "columns", "separator", "unit", "format"}
    if unknown:
        raise MappingError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    unit = str(raw.get("unit", "minutes"))
    if unit not in UNITS:
        raise MappingError(f"{where}: unit {unit!r} is not one of {', '.join(UNITS)}")
    joined = _as_tuple(raw.get("columns"), where) if "columns" in raw else ()
    return ColumnSpec(
        field=name,
        columns=_as_tuple(raw.get("column"), where),
        join=joined,
        separator=str(raw.get("separator", " ")),
        unit=unit,
        date_format=raw.get("format"),
    )


_KNOWN_KEYS = frozenset(
    {
        "name",
        "source",
        "kind",
        "description",
        "timezone",
        "encoding",
        "delimiter",
        "decimal_separator",
        "date_format",
        "date_order",
        "sheet",
        "header_row",
        "null_values",
        "external_id_columns",
        "columns",
        "values",
        "defaults",
        "eventlog",
    }
)


def parse_mapping(data: dict[str, Any], *, origin: str) -> Mapping:
    """Check and build a mapping from its TOML/YAML data; errors name ``origin`` and the key."""
    unknown = set(data) - _KNOWN_KEYS
    if unknown:
        raise MappingError(f"{origin}: unknown keys {', '.join(sorted(unknown))}")
    for key in ("source", "kind"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise MappingError(f'{origin}: "{key}" is missing (e.g. {key} = "...")')
    kind = data["kind"]
    if kind not in FILE_KINDS:
        raise MappingError(f"{origin}: kind {kind!r} is not one of {', '.join(FILE_KINDS)}")
    source = data["source"]
    if len(source) > 40:
        raise MappingError(f"{origin}: source {source!r} is longer than 40 characters")
    record_kind = "tickets" if kind == "eventlog" else kind
    columns, values, defaults = _field_tables(data, record_kind, origin)
    tz = str(data.get("timezone", "Europe/Berlin"))
    if tz not in zoneinfo.available_timezones():
        raise MappingError(f"{origin}: timezone {tz!r} is not an IANA zone such as Europe/Berlin")
    date_order = str(data.get("date_order", "auto"))
    if date_order not in DATE_ORDERS:
        raise MappingError(f"{origin}: date_order must be one of {', '.join(DATE_ORDERS)}")
    decimal_separator = str(data.get("decimal_separator", "auto"))
    if decimal_separator not in ("auto", ",", "."):
        raise MappingError(f'{origin}: decimal_separator must be "auto", "," or "."')
    delimiter = str(data.get("delimiter", "auto"))
    if delimiter == "\\t":
        delimiter = "\t"
    return Mapping(
        name=str(data.get("name") or Path(origin).stem),
        source=source,
        kind=kind,
        columns=columns,
        values=values,
        defaults=defaults,
        description=str(data.get("description", "")),
        timezone=tz,
        encoding=str(data.get("encoding", "auto")),
        delimiter=delimiter,
        decimal_separator=decimal_separator,
        date_format=str(data.get("date_format", "auto")),
        date_order=date_order,
        sheet=str(data.get("sheet", "")),
        header_row=int(data.get("header_row", 1)),
        null_values=_as_tuple(data.get("null_values"), f"{origin} null_values"),
        external_id_columns=_as_tuple(
            data.get("external_id_columns"), f"{origin} external_id_columns"
        ),
        eventlog=_eventlog_spec(data, origin) if kind == "eventlog" else None,
        origin=origin,
    )


def _field_tables(
    data: dict[str, Any], record_kind: str, origin: str
) -> tuple[dict[str, ColumnSpec], dict[str, dict[Any, Any]], dict[str, Any]]:
    """[columns], [values.FIELD] and [defaults], each naming only fields of the record."""
    fields = frame_schema(record_kind)  # type: ignore[arg-type]
    raw_columns = data.get("columns") or {}
    if not isinstance(raw_columns, dict):
        raise MappingError(f"{origin}: [columns] must be a table")
    columns: dict[str, ColumnSpec] = {}
    for name, raw in raw_columns.items():
        if name not in fields:
            raise MappingError(
                f"{origin}: [columns] {name!r} is not a field of {record_kind}; "
                f"fields are: {', '.join(fields)}"
            )
        columns[name] = _column_spec(name, raw, f"{origin} [columns] {name}")
    values = data.get("values") or {}
    if not isinstance(values, dict) or not all(isinstance(v, dict) for v in values.values()):
        raise MappingError(f"{origin}: [values.FIELD] tables map source values to ours")
    for name in values:
        if name not in fields:
            raise MappingError(f"{origin}: [values.{name}] is not a field of {record_kind}")
    defaults = data.get("defaults") or {}
    for name in defaults:
        if name not in fields:
            raise MappingError(f"{origin}: [defaults] {name!r} is not a field of {record_kind}")
    return columns, {name: dict(table) for name, table in values.items()}, dict(defaults)


def _eventlog_spec(data: dict[str, Any], origin: str) -> EventLogSpec:
    raw_log = data.get("eventlog")
    if not isinstance(raw_log, dict):
        raise MappingError(
            f"{origin}: an event log mapping needs an [eventlog] table with ticket, "
            "changed_at and status columns"
        )
    try:
        eventlog = EventLogSpec(
            ticket_column=_as_tuple(raw_log["ticket"], f"{origin} [eventlog] ticket"),
            changed_at_column=_as_tuple(raw_log["changed_at"], f"{origin} [eventlog] changed_at"),
            status_column=_as_tuple(raw_log["status"], f"{origin} [eventlog] status"),
            sequence_column=_as_tuple(raw_log.get("sequence"), f"{origin} [eventlog] sequence"),
            order=str(raw_log.get("order", "time")),
        )
    except KeyError as exc:
        raise MappingError(f"{origin}: [eventlog] needs {exc.args[0]!r}") from None
    if eventlog.order not in ("time", "sequence", "file"):
        raise MappingError(f'{origin}: [eventlog] order must be "time", "sequence" or "file"')
    return eventlog


def load_mapping(path: Path) -> Mapping:
    """A mapping from a ``.toml``, ``.yaml`` or ``.yml`` file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise MappingError(f"{path}: cannot read the mapping ({exc.strerror})") from None
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            data = yaml.safe_load(text)
        else:
            data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise MappingError(f"{path}: not valid {path.suffix.lstrip('.').upper()}: {exc}") from None
    if not isinstance(data, dict):
        raise MappingError(f"{path}: expected a table of settings at the top")
    return parse_mapping(data, origin=str(path))


def list_presets() -> list[str]:
    return sorted(path.stem for path in PRESETS_DIR.glob("*.toml"))


def load_preset(name: str) -> Mapping:
    path = PRESETS_DIR / f"{name}.toml"
    if not path.is_file():
        raise MappingError(f"there is no preset {name!r}; presets are: {', '.join(list_presets())}")
    return load_mapping(path)
