"""Converting a file's cells into canonical record values, with an error per bad value.

- Dates: the format of each date column is detected on the first chunk (dd.mm.yyyy, ISO,
  mm/dd/yyyy, ...; ``date_order`` settles 03/04/2025); the mapping can fix it. In XLSX, plain
  numbers in date columns are read as Excel date serials (days since 1899-12-30).
- Numbers: decimal comma or point detected per column (``1.234,56`` / ``1,234.56``).

Each mapped value is parsed once with Polars expressions; a value that cannot be parsed becomes
a :class:`~solidground.importers.validation.RowError` naming file, row, column, value and what
was expected, and its row is rejected.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import polars as pl

from solidground.importers.kinds import model_choices
from solidground.importers.mapping import ColumnSpec, Mapping, MappingError
from solidground.importers.reading import TableReader
from solidground.importers.records import Kind, frame_schema, required_fields
from solidground.importers.validation import RowError

_TRUE = ["true", "1", "yes", "y", "ja", "j", "wahr", "x", "on", "t"]
_FALSE = ["false", "0", "no", "n", "nein", "falsch", "off", "f", "-"]


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
        missing = self._add_columns(mapping, by_lower)
        if mapping.external_id_columns:
            self._add_external_id(mapping, by_lower)
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

    def _add_columns(self, mapping: Mapping, by_lower: dict[str, str]) -> list[str]:
        """Add a field for each mapped column the file has; the others, as sentences."""
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
        return missing

    def _add_external_id(self, mapping: Mapping, by_lower: dict[str, str]) -> None:
        """The external id joined from ``external_id_columns``, which the file must all have."""
        found = [by_lower.get(c.strip().lower()) for c in mapping.external_id_columns]
        if any(column is None for column in found):
            raise MappingError(
                f"{self.file_name} lacks a column of external_id_columns "
                f"({', '.join(mapping.external_id_columns)}); its columns are: "
                + ", ".join(self.header)
            )
        present = [column for column in found if column is not None]
        self.fields["external_id"] = _Field(
            "external_id",
            pl.String(),
            ColumnSpec("external_id", join=tuple(present), separator="|"),
            present,
            " + ".join(present),
        )

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


def make_converter(reader: TableReader, mapping: Mapping, *, kind: Kind | None = None) -> Converter:
    return Converter(
        mapping,
        reader.header,
        file_name=reader.path.name,
        file_type=reader.fmt.file_type,
        kind=kind or cast(Kind, mapping.record_kind),
        delimiter=reader.fmt.delimiter,
    )
