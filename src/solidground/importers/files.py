"""Reading CSV and XLSX files into canonical frames, chunk by chunk.

- Encoding: a byte-order mark wins; otherwise UTF-8 if the start of the file is valid UTF-8,
  else what charset-normalizer detects (Windows-1252 for the usual German Excel export).
- Dialect: the stdlib ``csv.Sniffer`` on the first 64 KiB, checked against the header line.
- XLSX: openpyxl in read-only mode; date cells arrive as dates, plain numbers in date columns
  are read as Excel date serials (days since 1899-12-30).
- Dates: the format of each date column is detected on the first chunk (dd.mm.yyyy, ISO,
  mm/dd/yyyy, ...; ``date_order`` settles 03/04/2025); the mapping can fix it.
- Numbers: decimal comma or point detected per column (``1.234,56`` / ``1,234.56``).
- Empty rows (the trailing ones Excel leaves) are skipped; row numbers count them, so an
  error's row is the row the user sees in Excel (the header is row 1).

Each mapped value is parsed once with Polars expressions; a value that cannot be parsed becomes
a :class:`~solidground.importers.writer.RowError` naming file, row, column, value and what was
expected, and its row is rejected. Memory is bounded by the chunk size, not by the file.
"""

from __future__ import annotations

import codecs
import csv
import queue
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, TypeVar, cast

import polars as pl
from charset_normalizer import from_bytes

from solidground.importers.mapping import ColumnSpec, Mapping, MappingError
from solidground.importers.records import Kind, frame_schema, required_fields
from solidground.importers.writer import (
    DEFAULT_CHUNK_SIZE,
    BatchWriter,
    RowError,
    WriteResult,
    model_choices,
)

T = TypeVar("T")
SAMPLE_BYTES = 256 * 1024
# Files this large (about 150,000 rows) are bulk loads: secondary indexes are rebuilt at the end.
BULK_BYTES = 16 * 1024 * 1024
DELIMITERS = ";,\t|"
_TRUE = ["true", "1", "yes", "y", "ja", "j", "wahr", "x", "on", "t"]
_FALSE = ["false", "0", "no", "n", "nein", "falsch", "off", "f", "-"]


class FileFormatError(ValueError):
    """A file that cannot be read as given; the message says what to change."""


@dataclass
class FileFormat:
    file_type: str  # "csv" or "xlsx"
    encoding: str = ""
    delimiter: str = ""
    quotechar: str = '"'
    sheet: str = ""
    # What was detected (not given by the mapping), for the preview and the command output.
    detected: dict[str, str] = field(default_factory=dict)


# --- detection -----------------------------------------------------------------------------


def detect_encoding(sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the end of the sample is still UTF-8.
        if exc.start >= len(sample) - 3:
            return "utf-8"
    matches = list(from_bytes(sample))
    if not matches:
        return "cp1252"
    least_chaos = min(match.chaos for match in matches)
    for match in matches:
        # Small German samples fit several code pages equally well (cp1250, cp775, ...);
        # German Excel writes Windows-1252, so it wins whenever it fits as well as the best.
        if match.chaos <= least_chaos + 0.01 and "cp1252" in match.could_be_from_charset:
            return "cp1252"
    return matches[0].encoding


def detect_delimiter(text: str) -> str:
    header = text.split("\n", 1)[0]
    # The first 50 lines say enough; the sniffer's regexes are slow on more.
    head = "\n".join(text.split("\n", 50)[:50])
    try:
        dialect = csv.Sniffer().sniff(head, delimiters=DELIMITERS)
        if header.count(dialect.delimiter) > 0:
            return dialect.delimiter
    except csv.Error:
        pass
    counts = {delimiter: header.count(delimiter) for delimiter in DELIMITERS}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def detect_format(path: Path, mapping: Mapping) -> FileFormat:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return FileFormat(file_type="xlsx", sheet=mapping.sheet)
    if suffix == ".xls":
        raise FileFormatError(
            f"{path.name} is an old Excel (.xls) file; save it as .xlsx or CSV and import that"
        )
    with path.open("rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    if sample.startswith(b"PK\x03\x04"):
        return FileFormat(file_type="xlsx", sheet=mapping.sheet)
    fmt = FileFormat(file_type="csv")
    if mapping.encoding != "auto":
        fmt.encoding = mapping.encoding
    else:
        fmt.encoding = detect_encoding(sample)
        fmt.detected["encoding"] = fmt.encoding
    if mapping.delimiter != "auto":
        fmt.delimiter = mapping.delimiter
    else:
        text = sample.decode(fmt.encoding, errors="ignore")
        # Skip rows above the header so the sniffer sees the table.
        lines = text.split("\n")[max(mapping.header_row - 1, 0) :]
        fmt.delimiter = detect_delimiter("\n".join(lines))
        fmt.detected["delimiter"] = fmt.delimiter
    return fmt


# --- reading -----------------------------------------------------------------------------------


@dataclass
class Chunk:
    frame: pl.DataFrame  # one String column per header column, plus _row
    done: int  # progress: bytes or rows read so far
    total: int  # bytes or rows in all


def _unique_header(cells: Sequence[Any]) -> list[str]:
    names: list[str] = []
    seen: dict[str, int] = {}
    for index, cell in enumerate(cells):
        name = "" if cell is None else str(cell).replace("\ufeff", "").strip()
        name = name or f"column {index + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name} ({seen[name]})"
        else:
            seen[name] = 1
        names.append(name)
    return names


def _frame(header: list[str], rows: list[list[str | None]], numbers: list[int]) -> pl.DataFrame:
    width = len(header)
    fixed = [
        (row + [None] * (width - len(row)))[:width] if len(row) != width else row for row in rows
    ]
    frame = pl.DataFrame(fixed, schema=dict.fromkeys(header, pl.String), orient="row")
    return frame.with_columns(pl.Series("_row", numbers, dtype=pl.Int64))


class TableReader:
    """Header and chunks of a CSV or XLSX file."""

    def __init__(self, path: Path, fmt: FileFormat, mapping: Mapping) -> None:
        self.path = path
        self.fmt = fmt
        self.mapping = mapping
        self.header: list[str] = []

    def chunks(self, chunk_size: int) -> Iterator[Chunk]:
        if self.fmt.file_type == "xlsx":
            yield from self._xlsx_chunks(chunk_size)
        else:
            yield from self._csv_chunks(chunk_size)

    def _csv_header(self, path: Path, encoding: str) -> list[str]:
        with path.open(encoding=encoding, newline="") as handle:
            reader = csv.reader(handle, delimiter=self.fmt.delimiter, quotechar=self.fmt.quotechar)
            for number, cells in enumerate(reader, start=1):
                if number == self.mapping.header_row:
                    return _unique_header(cells)
        raise FileFormatError(f"{self.path.name} has no header row")

    def _utf8_copy(self, directory: Path) -> Path:
        """The file re-encoded as UTF-8 (Polars reads UTF-8 only), streamed in blocks."""
        target = directory / "utf8.csv"
        decoder = codecs.getincrementaldecoder(self.fmt.encoding)(errors="strict")
        lines = 1
        with self.path.open("rb") as source, target.open("wb") as out:
            while block := source.read(1 << 20):
                try:
                    text = decoder.decode(block)
                except UnicodeDecodeError as exc:
                    line = lines + block[: exc.start].count(b"\n")
                    raise FileFormatError(
                        f"{self.path.name}, line {line}: the file is not valid "
                        f"{self.fmt.encoding} ({exc.reason}); set encoding = "
                        '"windows-1252" or "utf-8" in the mapping, or save the file as UTF-8'
                    ) from None
                lines += block.count(b"\n")
                out.write(text.encode("utf-8"))
            out.write(decoder.decode(b"", final=True).encode("utf-8"))
        return target

    def _csv_chunks(self, chunk_size: int) -> Iterator[Chunk]:
        total = self.path.stat().st_size
        with tempfile.TemporaryDirectory(prefix="solidground-import-") as scratch:
            encoding = self.fmt.encoding.lower().replace("_", "-")
            source = self.path if encoding in ("utf-8", "utf8") else self._utf8_copy(Path(scratch))
            self.header = self._csv_header(source, "utf-8")
            with source.open("rb") as handle:
                sample = handle.read(SAMPLE_BYTES)
            bytes_per_row = max(len(sample) / max(sample.count(b"\n"), 1), 1.0)
            width = len(self.header)
            frame = pl.scan_csv(
                source,
                separator=self.fmt.delimiter,
                quote_char=self.fmt.quotechar or None,
                has_header=True,
                skip_rows=max(self.mapping.header_row - 1, 0),
                with_column_names=lambda names: (self.header + names[width:])[: len(names)],
                infer_schema=False,
                truncate_ragged_lines=True,
                raise_if_empty=False,
                row_index_name="_row",
                row_index_offset=self.mapping.header_row + 1,
            )
            rows = 0
            try:
                for batch in frame.collect_batches(chunk_size=chunk_size):
                    rows += batch.height
                    columns = [c for c in self.header if c in batch.columns]
                    batch = batch.select(
                        [pl.col(c).cast(pl.String) for c in columns]
                        + [pl.col("_row").cast(pl.Int64)]
                    )
                    # Empty rows (all cells empty) are skipped; their numbers still count.
                    batch = batch.filter(
                        pl.any_horizontal(
                            [pl.col(c).str.strip_chars().fill_null("") != "" for c in columns]
                        )
                    )
                    done = min(int(rows * bytes_per_row), total)
                    yield Chunk(batch, done, total)
            except pl.exceptions.PolarsError as exc:
                raise FileFormatError(
                    f"{self.path.name} cannot be read as CSV with delimiter "
                    f"{self.fmt.delimiter!r}: {str(exc).splitlines()[0]}; check the quoting "
                    "or set delimiter in the mapping"
                ) from None
            if not rows:
                yield Chunk(_frame(self.header, [], []), total, total)

    def _xlsx_cell(self, value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, datetime):
            return value.replace(tzinfo=None).isoformat(sep=" ")
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, time):
            return value.isoformat()
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float):
            text = str(int(value)) if value.is_integer() else repr(value)
            # Numbers are typed in XLSX: write them the way the mapping reads numbers.
            return text.replace(".", ",") if self.mapping.decimal_separator == "," else text
        text = str(value)
        return text if text.strip() else None

    def _xlsx_chunks(self, chunk_size: int) -> Iterator[Chunk]:
        import openpyxl
        from openpyxl.utils.exceptions import InvalidFileException

        try:
            workbook = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except (InvalidFileException, OSError, KeyError, ValueError) as exc:
            raise FileFormatError(f"{self.path.name} cannot be read as XLSX: {exc}") from None
        try:
            if self.fmt.sheet:
                if self.fmt.sheet not in workbook.sheetnames:
                    raise FileFormatError(
                        f"{self.path.name} has no sheet {self.fmt.sheet!r}; sheets are: "
                        + ", ".join(workbook.sheetnames)
                    )
                sheet: Any = workbook[self.fmt.sheet]
            else:
                sheet = workbook.worksheets[0]
                self.fmt.sheet = sheet.title
                self.fmt.detected["sheet"] = sheet.title
            total = int(sheet.max_row or 0)
            rows: list[list[str | None]] = []
            numbers: list[int] = []
            row_number = 0
            for cells in sheet.iter_rows(values_only=True):
                row_number += 1
                if row_number < self.mapping.header_row:
                    continue
                if row_number == self.mapping.header_row:
                    self.header = _unique_header(cells)
                    continue
                values = [self._xlsx_cell(cell) for cell in cells]
                if not any(value is not None for value in values):
                    continue
                rows.append(values)
                numbers.append(row_number)
                if len(rows) >= chunk_size:
                    yield Chunk(_frame(self.header, rows, numbers), row_number, total)
                    rows, numbers = [], []
            if not self.header:
                raise FileFormatError(f"{self.path.name} has no header row")
            if rows or not numbers:
                yield Chunk(_frame(self.header, rows, numbers), total, total)
        finally:
            workbook.close()


# --- converting ------------------------------------------------------------------------------

# Families of date formats, tried together; the first format of each is shown in errors.
_ISO_AWARE = ["%Y-%m-%dT%H:%M:%S%.f%#z", "%Y-%m-%d %H:%M:%S%.f%#z", "%Y-%m-%dT%H:%M%#z"]
_ISO = ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"]
_ISO_DATE = ["%Y-%m-%d"]
_FAMILIES: dict[str, list[str]] = {
    "DMY.": ["%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y", "%d.%m.%y %H:%M", "%d.%m.%y"],
    "ISO": [*_ISO, *_ISO_DATE],
    "DMY-": ["%d-%m-%Y %H:%M", "%d-%m-%Y %H:%M:%S", "%d-%m-%Y"],
    "DMY/": ["%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y"],
    "MDY/": [
        "%m/%d/%Y %I:%M %p",
        "%m/%d/%Y %I:%M:%S %p",
        "%m/%d/%Y %H:%M",
        "%m/%d/%Y %H:%M:%S",
        "%m/%d/%Y",
        "%m/%d/%y %I:%M %p",
        "%m/%d/%y",
    ],
    "MDY-": ["%m-%d-%Y %H:%M", "%m-%d-%Y %H:%M:%S", "%m-%d-%Y"],
    "YMD/": ["%Y/%m/%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d"],
}
_ORDER_OF_FAMILY = {"DMY.": "DMY", "DMY-": "DMY", "DMY/": "DMY", "MDY/": "MDY", "MDY-": "MDY"}


def describe_format(fmt: str) -> str:
    """``%d.%m.%Y %H:%M`` -> ``dd.mm.yyyy HH:MM`` for people."""
    for code, text in (
        ("%d", "dd"),
        ("%m", "mm"),
        ("%Y", "yyyy"),
        ("%y", "yy"),
        ("%H", "HH"),
        ("%I", "hh"),
        ("%M", "MM"),
        ("%S", "SS"),
        ("%p", "AM/PM"),
        ("%.f", ""),
        ("%#z", "+hh:mm"),
    ):
        fmt = fmt.replace(code, text)
    return fmt


_CURRENCY = r"[€$£\s\u00a0']|EUR|USD|CHF|GBP"


def _number(expr: pl.Expr, decimal: str) -> pl.Expr:
    cleaned = expr.str.replace_all(_CURRENCY, "")
    if decimal == ",":
        cleaned = cleaned.str.replace_all(r"\.", "").str.replace(",", ".", literal=True)
    else:
        cleaned = cleaned.str.replace_all(",", "", literal=True)
    return cleaned


def _detect_decimal(values: pl.Series, default: str) -> str:
    texts = values.drop_nulls().str.replace_all(_CURRENCY, "")
    comma = texts.str.contains(r",\d{1,2}$|,\d{4,}$|^\d{1,3}(\.\d{3})+,\d+$").sum()
    point = texts.str.contains(r"\.\d{1,2}$|\.\d{4,}$|^\d{1,3}(,\d{3})+\.\d+$").sum()
    if comma > point:
        return ","
    if point > comma:
        return "."
    return default


@dataclass
class _Field:
    name: str
    dtype: pl.DataType
    spec: ColumnSpec | None
    source_columns: list[str]  # the file's columns used
    label: str  # how errors name the column
    values: dict[str, Any] | None = None
    default: Any = None


class Converter:
    """Turns chunks of a file's rows (strings) into canonical frames of one record kind."""

    def __init__(
        self,
        mapping: Mapping,
        header: list[str],
        *,
        file_name: str,
        file_type: str,
        kind: Kind,
        delimiter: str = ",",
    ) -> None:
        self.mapping = mapping
        self.delimiter = delimiter
        self.file_name = file_name
        self.file_type = file_type
        self.kind = kind
        self.schema = frame_schema(kind)
        by_lower = {name.strip().lower(): name for name in header}
        self.header = header
        self.fields: dict[str, _Field] = {}
        missing: list[str] = []
        for name, spec in mapping.columns.items():
            if spec.join:
                found = [by_lower.get(column.strip().lower()) for column in spec.join]
                present = [column for column in found if column is not None]
                if not present:
                    missing.append(f"{name} (joined from {', '.join(spec.join)})")
                    continue
                self._add(name, spec, present, " + ".join(present))
            else:
                column = next(
                    (
                        by_lower[c.strip().lower()]
                        for c in spec.columns
                        if c.strip().lower() in by_lower
                    ),
                    None,
                )
                if column is None:
                    missing.append(f"{name} (tried: {', '.join(spec.columns)})")
                    continue
                self._add(name, spec, [column], column)
        if mapping.external_id_columns:
            found = [by_lower.get(c.strip().lower()) for c in mapping.external_id_columns]
            if any(column is None for column in found):
                raise MappingError(
                    f"{file_name} lacks a column of external_id_columns "
                    f"({', '.join(mapping.external_id_columns)}); its columns are: "
                    + ", ".join(header)
                )
            present = [column for column in found if column is not None]
            self.fields["external_id"] = _Field(
                "external_id",
                pl.String(),
                ColumnSpec("external_id", join=tuple(present), separator="|"),
                present,
                " + ".join(present),
            )
        for name, value in mapping.defaults.items():
            if name not in self.fields:
                self.fields[name] = _Field(name, self.schema[name], None, [], name, default=value)
            else:
                self.fields[name].default = value
        for name, table in mapping.values.items():
            if name in self.fields:
                self.fields[name].values = table
        if "customer_ref" in self.schema and "customer_ref" not in self.fields:
            name_field = self.fields.get("customer_name")
            if name_field is not None and name_field.spec is not None:
                self._add(
                    "customer_ref", name_field.spec, name_field.source_columns, name_field.label
                )
        required = [name for name in required_fields(kind) if name not in self.fields]
        if required:
            tried = [entry for entry in missing if entry.split(" ", 1)[0] in required]
            raise MappingError(
                f"{file_name} has no column for {', '.join(required)}"
                + (f" ({'; '.join(tried)})" if tried else "")
                + f"; its columns are: {', '.join(header)}. Add the column names to the "
                "mapping's [columns] or give a value under [defaults]."
            )
        self.missing_optional = missing
        self.formats: dict[str, list[str]] = {}
        self.decimals: dict[str, str] = {}

    def _add(self, name: str, spec: ColumnSpec, columns: list[str], label: str) -> None:
        self.fields[name] = _Field(name, self.schema[name], spec, columns, label)

    @property
    def supplied(self) -> set[str]:
        return set(self.fields)

    @property
    def column_names(self) -> dict[str, str]:
        return {name: item.label for name, item in self.fields.items()}

    @property
    def unmapped_columns(self) -> list[str]:
        used = {column for item in self.fields.values() for column in item.source_columns}
        return [column for column in self.header if column not in used]

    # raw values

    def _raw(self, item: _Field) -> pl.Expr:
        nulls = ["", *self.mapping.null_values]
        if item.spec is not None and item.spec.join:
            parts = [
                pl.when(pl.col(c).str.strip_chars().is_in(nulls))
                .then(None)
                .otherwise(pl.col(c).str.strip_chars())
                for c in item.source_columns
            ]
            expr = pl.concat_str(parts, separator=item.spec.separator, ignore_nulls=True)
        elif item.source_columns:
            expr = pl.col(item.source_columns[0]).str.strip_chars()
        else:
            return pl.lit(None, dtype=pl.String)
        return pl.when(expr.is_in(nulls)).then(None).otherwise(expr)

    # typed parsing; returns (value, problem) where problem is a reason or null

    def _date_formats(self, item: _Field, raw: pl.Series) -> list[str]:
        """The formats to try for a date column, best first, decided on the first chunk."""
        if item.name in self.formats:
            return self.formats[item.name]
        explicit = (item.spec.date_format if item.spec else None) or (
            None if self.mapping.date_format == "auto" else self.mapping.date_format
        )
        if explicit:
            formats = [explicit]
        else:
            sample = raw.drop_nulls().head(2000)
            order = self.mapping.date_order
            scores: list[tuple[int, int, str]] = []
            for position, (key, family) in enumerate(_FAMILIES.items()):
                parsed = (
                    sample.to_frame("v")
                    .select(
                        pl.coalesce(
                            [
                                pl.col("v").str.to_datetime(f, strict=False, time_unit="us")
                                for f in family
                            ]
                        )
                    )
                    .to_series()
                )
                family_order = _ORDER_OF_FAMILY.get(key)
                wanted = "DMY" if order == "auto" else order
                preferred = 0 if family_order in (None, wanted) else 1
                scores.append((-int(parsed.is_not_null().sum()), preferred * 100 + position, key))
            family = _FAMILIES[min(scores)[2]]
            # Within the family, the format that fits most of the sample goes first.
            hits = {
                f: int(sample.str.to_datetime(f, strict=False, time_unit="us").is_not_null().sum())
                for f in family
            }
            formats = sorted(family, key=lambda f: -hits[f])
        self.formats[item.name] = formats
        return formats

    def _instants(self, item: _Field, raw: pl.Series) -> tuple[pl.Series, pl.Series]:
        """Parse a date/time column; returns (values, problems) as Series.

        Formats are tried in turn on the values not parsed yet, so a clean column costs one
        pass. Wall-clock values are read in the mapping's zone; values with an offset as given.
        """
        is_date = self.schema[item.name] == pl.Date()
        formats = self._date_formats(item, raw)
        expected = describe_format(formats[0])
        if is_date:
            expected = expected.split(" ")[0]
        tries: list[tuple[str, str]] = [(f, "naive") for f in formats]
        tries += [(f, "naive") for f in _ISO + _ISO_DATE if f not in formats]
        tries += [(f, "aware") for f in _ISO_AWARE]
        if self.file_type == "xlsx":
            tries.append(("", "serial"))
        height = raw.len()
        target = pl.Date() if is_date else pl.Datetime("us", "UTC")
        values = pl.Series(item.name, [None] * height, dtype=target)
        nonexistent = pl.Series([False] * height)
        pending = raw.is_not_null()
        for fmt, how in tries:
            if not pending.any():
                break
            index = pending.arg_true()
            sub = raw.gather(index)
            if how == "serial":
                serial = sub.str.replace(",", ".", literal=True)
                days = serial.cast(pl.Float64, strict=False)
                days = days.set(~serial.str.contains(r"^\d{1,6}(\.\d+)?$"), None)
                parsed = pl.select(
                    pl.datetime(1899, 12, 30, time_unit="us")
                    + pl.duration(
                        microseconds=(pl.lit(days) * 86_400_000_000).round(0).cast(pl.Int64)
                    )
                ).to_series()
            else:
                parsed = sub.str.to_datetime(fmt, strict=False, time_unit="us")
            found = parsed.is_not_null()
            if not found.any():
                continue
            if is_date:
                if how == "aware":
                    result = sub.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
                else:
                    result = parsed.dt.date()
            elif how == "aware":
                result = parsed.dt.convert_time_zone("UTC")
            else:
                local = parsed.dt.replace_time_zone(
                    self.mapping.timezone, ambiguous="earliest", non_existent="null"
                )
                missing = found & local.is_null()
                if missing.any():
                    nonexistent = nonexistent.scatter(index.filter(missing), True)
                result = local.dt.convert_time_zone("UTC")
            hit = index.filter(found)
            values = values.scatter(hit, result.filter(found))
            pending = pending.scatter(hit, False)
        problems = pl.Series([None] * height, dtype=pl.String)
        if pending.any():
            gap = (
                f"does not exist in {self.mapping.timezone} (the hour skipped when clocks "
                "go forward); correct the time"
            )
            problems = pl.select(
                pl.when(pl.lit(nonexistent))
                .then(pl.lit(gap))
                .when(pl.lit(pending))
                .then(pl.lit(f"is not a date (expected {expected})"))
                .otherwise(None)
            ).to_series()
            # A gap time was parsed by some format; only unparsed ones are errors.
            values = values.set(pending, None)
        return values, problems

    def _number_expr(self, item: _Field, raw: pl.Expr, sample: pl.Series) -> pl.Expr:
        if self.mapping.decimal_separator != "auto":
            decimal = self.mapping.decimal_separator
        elif item.name in self.decimals:
            decimal = self.decimals[item.name]
        else:
            # No decided value in the sample (e.g. only whole numbers): a ";" file is German.
            default = "," if self.delimiter == ";" else "."
            decimal = _detect_decimal(sample, default)
            self.decimals[item.name] = decimal
        return _number(raw, decimal)

    def _typed(self, item: _Field, raw: pl.Expr, sample: pl.Series) -> tuple[pl.Expr, pl.Expr]:
        dtype = item.dtype
        none = pl.lit(None, dtype=pl.String)
        if isinstance(dtype, pl.String):
            return raw, none
        if isinstance(dtype, pl.Boolean):
            lowered = raw.str.to_lowercase()
            value = (
                pl.when(lowered.is_in(_TRUE))
                .then(pl.lit(True))
                .when(lowered.is_in(_FALSE))
                .then(pl.lit(False))
                .otherwise(None)
            )
            problem = pl.when(raw.is_not_null() & value.is_null()).then(
                pl.lit("is not yes or no (expected true/false, ja/nein, yes/no or 1/0)")
            )
            return value, problem
        if isinstance(dtype, pl.Decimal):
            value = self._number_expr(item, raw, sample).cast(dtype, strict=False)
            problem = pl.when(raw.is_not_null() & value.is_null()).then(
                pl.lit("is not an amount (expected a number such as 1.234,56 or 1234.56)")
            )
            return value, problem
        # Int64: whole numbers; durations in a unit become minutes.
        unit = item.spec.unit if item.spec is not None else "minutes"
        if item.name in ("minutes", "duration_minutes") and unit == "hh:mm":
            parts = raw.str.extract_groups(r"^(\d+):(\d{1,2})(?::(\d{1,2}))?$")
            hours = parts.struct.field("1").cast(pl.Float64, strict=False)
            mins = parts.struct.field("2").cast(pl.Float64, strict=False)
            secs = parts.struct.field("3").cast(pl.Float64, strict=False).fill_null(0)
            number = hours * 60 + mins + secs / 60
            expected = "a duration hh:mm such as 1:30"
        else:
            number = self._number_expr(item, raw, sample).cast(pl.Float64, strict=False)
            factor = {"hours": 60.0, "seconds": 1 / 60, "minutes": 1.0}.get(unit, 1.0)
            if item.name in ("minutes", "duration_minutes"):
                number = number * factor
                expected = f"a duration in {unit}"
            else:
                expected = "a whole number"
        if item.name in ("minutes", "duration_minutes"):
            rounded = number.round(0)
            # A few seconds of work are still work: never round a positive duration to 0.
            value = (
                pl.when((rounded == 0) & (number > 0)).then(pl.lit(1.0)).otherwise(rounded)
            ).cast(pl.Int64, strict=False)
            bad = raw.is_not_null() & number.is_null()
        else:
            value = number.cast(pl.Int64, strict=False)
            bad = raw.is_not_null() & (number.is_null() | (number != number.round(0)))
        problem = pl.when(bad).then(pl.lit(f"is not {expected}"))
        return value, problem

    def _mapped(self, item: _Field, raw: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
        """Apply [values.FIELD]: source value -> our value (as text, parsed afterwards)."""
        assert item.values is not None
        table = {str(k).strip().lower(): v for k, v in item.values.items()}
        fallback = table.pop("*", None)

        def text(value: Any) -> str | None:
            if value is None or value == "":
                return None
            if isinstance(value, bool):
                return "true" if value else "false"
            return str(value)

        keys = list(table)
        targets = [text(v) for v in table.values()]
        lowered = raw.str.to_lowercase()
        known = lowered.is_in(keys)
        mapped = lowered.replace_strict(keys, targets, default=None, return_dtype=pl.String)
        choices = model_choices(self.kind, item.name)
        canonical = lowered.is_in([str(choice) for choice in choices]) if choices else pl.lit(False)
        if fallback is not None:
            otherwise: pl.Expr = pl.lit(text(fallback), dtype=pl.String)
            problem = pl.lit(None, dtype=pl.String)
        else:
            otherwise = pl.when(canonical).then(lowered).otherwise(raw)
            listed = ", ".join(str(k) for k in item.values if k != "*")
            problem = pl.when(raw.is_not_null() & ~known & ~canonical).then(
                pl.lit(
                    f"is not in the mapping for {item.name} (known: {listed}); add it under "
                    f"[values.{item.name}] in the mapping"
                )
            )
        value = pl.when(raw.is_null()).then(None).when(known).then(mapped).otherwise(otherwise)
        return value, problem

    def convert(self, chunk: pl.DataFrame) -> tuple[pl.DataFrame, list[RowError], int]:
        """Canonical frame of the good rows, the errors, and how many rows were rejected."""
        raw_columns: list[pl.Expr] = []
        for name, item in self.fields.items():
            raw_columns.append(self._raw(item).alias(f"raw:{name}"))
        raws = chunk.select([pl.col("_row"), *raw_columns])
        values: list[pl.Expr] = []
        problems: list[pl.Expr] = []
        for name, item in self.fields.items():
            raw = pl.col(f"raw:{name}")
            problem_parts: list[pl.Expr] = []
            if item.values is not None:
                raw, value_problem = self._mapped(item, raw)
                problem_parts.append(value_problem)
            if isinstance(item.dtype, pl.String):
                value, parse_problem = raw, pl.lit(None, dtype=pl.String)
            elif isinstance(item.dtype, pl.Datetime | pl.Date):
                texts = raws.select(raw.alias("s")).get_column("s")
                parsed, date_problems = self._instants(item, texts)
                raws = raws.with_columns(
                    parsed.alias(f"parsed:{name}"), date_problems.alias(f"dateproblem:{name}")
                )
                value = pl.col(f"parsed:{name}")
                parse_problem = pl.col(f"dateproblem:{name}")
            else:
                sample_name = f"raw:{name}"
                sample = raws.get_column(sample_name)
                if item.values is not None:
                    sample = raws.select(raw.alias("s")).get_column("s")
                value, parse_problem = self._typed(item, raw, sample)
            problem_parts.append(parse_problem)
            if item.default is not None:
                value = value.fill_null(pl.lit(item.default).cast(item.dtype, strict=False))
            values.append(value.cast(item.dtype, strict=False).alias(name))
            problems.append(pl.coalesce(problem_parts).alias(f"problem:{name}"))
        converted = raws.with_columns([*values, *problems])
        if self.kind == "survey_answers" and {"score", "answered_at"} <= set(self.fields):
            # A row without a score is an invitation nobody answered (Zendesk "offered").
            converted = converted.with_columns(
                pl.when(pl.col("score").is_null())
                .then(None)
                .otherwise(pl.col("answered_at"))
                .alias("answered_at")
            )
        problem_names = [f"problem:{name}" for name in self.fields]
        bad = pl.any_horizontal([pl.col(p).is_not_null() for p in problem_names])
        errors: list[RowError] = []
        bad_rows = converted.filter(bad)
        for name, item in self.fields.items():
            hits = bad_rows.filter(pl.col(f"problem:{name}").is_not_null())
            for row, value, reason in hits.select(
                "_row", f"raw:{name}", f"problem:{name}"
            ).iter_rows():
                errors.append(
                    RowError(
                        file=self.file_name,
                        row=int(row),
                        column=item.label,
                        value="" if value is None else str(value),
                        reason=str(reason),
                        kind=self.kind,
                    )
                )
        errors.sort(key=lambda error: error.row)
        good = converted.filter(~bad).select(["_row", *self.fields])
        return good, errors, bad_rows.height


_DONE = object()


@dataclass
class _Failure:
    error: BaseException


def prefetch(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """Produce ``items`` in a worker thread, at most ``depth`` ahead of the consumer.

    An exception in the worker is raised in the consumer; when the consumer stops early (an
    error, an interruption), the worker stops at its next item.
    """
    channel: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                channel.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for item in items:
                if not put(item):
                    return
            put(_DONE)
        except BaseException as exc:  # handed to the consumer, which raises it
            put(_Failure(exc))

    worker = threading.Thread(target=work, name="import-reader", daemon=True)
    worker.start()
    try:
        while True:
            item = channel.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item
    finally:
        stop.set()
        worker.join(timeout=10)


# --- importing ---------------------------------------------------------------------------------


@dataclass
class FileImportResult:
    result: WriteResult
    rows: int
    fmt: FileFormat
    warnings: list[str] = field(default_factory=list)
    date_formats: dict[str, str] = field(default_factory=dict)


def open_file(path: Path, mapping: Mapping) -> tuple[FileFormat, TableReader]:
    if not path.is_file():
        raise FileFormatError(f"{path} does not exist or is not a file")
    fmt = detect_format(path, mapping)
    return fmt, TableReader(path, fmt, mapping)


def make_converter(reader: TableReader, mapping: Mapping, *, kind: Kind | None = None) -> Converter:
    return Converter(
        mapping,
        reader.header,
        file_name=reader.path.name,
        file_type=reader.fmt.file_type,
        kind=kind or cast(Kind, mapping.record_kind),
        delimiter=reader.fmt.delimiter,
    )


def import_file(
    path: Path,
    mapping: Mapping,
    *,
    strict: bool = False,
    dry_run: bool = False,
    chunk_size: int | None = None,
    create_missing_customers: bool = True,
    on_errors: Callable[[Sequence[RowError]], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
    row_limit: int | None = None,
    defer_indexes: bool | None = None,
) -> FileImportResult:
    """Read, convert, validate and write a file; one transaction (see writer.BatchWriter).

    ``defer_indexes``: rebuild the target table's secondary indexes once at the end instead of
    row by row; by default on for files of BULK_BYTES or more.
    """
    if mapping.kind == "eventlog":
        from solidground.importers.eventlog import import_eventlog

        return import_eventlog(
            path,
            mapping,
            strict=strict,
            dry_run=dry_run,
            create_missing_customers=create_missing_customers,
            on_errors=on_errors,
            progress=progress,
            row_limit=row_limit,
        )
    kind = cast(Kind, mapping.kind)
    fmt, reader = open_file(path, mapping)
    size = min(chunk_size or DEFAULT_CHUNK_SIZE, row_limit or DEFAULT_CHUNK_SIZE * 1000)
    if defer_indexes is None:
        defer_indexes = row_limit is None and path.stat().st_size >= BULK_BYTES
    state: dict[str, Any] = {"converter": None, "rows": 0}

    def converted() -> Iterator[tuple[Chunk, pl.DataFrame, list[RowError], int]]:
        for chunk in reader.chunks(size):
            if state["converter"] is None:
                state["converter"] = make_converter(reader, mapping)
            frame = chunk.frame
            if row_limit is not None:
                frame = frame.head(max(row_limit - state["rows"], 0))
            state["rows"] += frame.height
            good, errors, rejected = state["converter"].convert(frame)
            yield chunk, good, errors, rejected
            if row_limit is not None and state["rows"] >= row_limit:
                return

    with BatchWriter(
        source=mapping.source,
        strict=strict,
        dry_run=dry_run,
        create_missing_customers=create_missing_customers,
        on_errors=on_errors,
        defer_indexes=defer_indexes,
    ) as writer:
        # Reading and converting the next chunk (Polars, off the GIL) overlaps with writing
        # this one (the database): the database connection stays in this thread.
        for chunk, good, errors, rejected in prefetch(converted()):
            converter = cast(Converter, state["converter"])
            writer.add_errors(kind, errors, rejected_rows=rejected)
            writer.write_frame(
                kind,
                good,
                file=path.name,
                supplied=converter.supplied,
                column_names=converter.column_names,
            )
            if progress is not None:
                progress(chunk.done, chunk.total)
    rows = int(state["rows"])
    converter = state["converter"]
    warnings: list[str] = []
    formats: dict[str, str] = {}
    if isinstance(converter, Converter):
        warnings = [f"no column for {entry}" for entry in converter.missing_optional]
        formats = {name: describe_format(f[0]) for name, f in converter.formats.items()}
    return FileImportResult(writer.result, rows, fmt, warnings, formats)
