"""Reading CSV and XLSX files: format detection, and the rows chunk by chunk.

- Encoding: a byte-order mark wins; otherwise UTF-8 if the start of the file is valid UTF-8,
  else what charset-normalizer detects (Windows-1252 for the usual German Excel export).
- Dialect: the stdlib ``csv.Sniffer`` on the first 64 KiB, checked against the header line.
- XLSX: openpyxl in read-only mode.
- Empty rows (the trailing ones Excel leaves) are skipped; row numbers count them, so an
  error's row is the row the user sees in Excel (the header is row 1).

Memory is bounded by the chunk size, not by the file. Turning the cells into canonical values
is ``converting.py``'s job.
"""

from __future__ import annotations

import codecs
import csv
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import polars as pl
from charset_normalizer import from_bytes

from solidground.importers.mapping import Mapping

SAMPLE_BYTES = 256 * 1024
DELIMITERS = ";,\t|"


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


def open_file(path: Path, mapping: Mapping) -> tuple[FileFormat, TableReader]:
    if not path.is_file():
        raise FileFormatError(f"{path} does not exist or is not a file")
    fmt = detect_format(path, mapping)
    return fmt, TableReader(path, fmt, mapping)
