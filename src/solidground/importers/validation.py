"""Validation of a chunk of canonical records before anything is written.

Every row is checked against the record rules and the model's constraints (required values,
choices, lengths, ranges, created <= resolved, ...); a bad row becomes a :class:`RowError`
that names the file, row, column and value, and is left out of the chunk. References are
checked later, by the writer, against the store.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal

import polars as pl
from django.db import models

from solidground.importers.kinds import field_choices, model_field
from solidground.importers.records import Kind, field_defaults, frame_schema, required_fields

# Free text that is cut to the column's length instead of rejecting the row: a long subject is
# still a ticket. Ids, references and enumerations are never cut.
_TRUNCATED_FIELDS = {
    "name",
    "subject",
    "category",
    "technician",
    "role",
    "phone",
    "code",
    "description",
    "reference",
    "source_status",
}


@dataclass(frozen=True)
class RowError:
    """One rejected value: where it was, what it was, and what to do about it."""

    file: str
    row: int
    column: str
    value: str
    reason: str
    kind: str = ""
    external_id: str = ""

    def message(self) -> str:
        return f'{self.file}, row {self.row}, column "{self.column}": "{self.value}" {self.reason}'

    def __str__(self) -> str:
        return self.message()


# --- rules ---------------------------------------------------------------------------------------


Rule = tuple[pl.Expr, str, str]  # (bad-row expression, field, reason)


def _checks(kind: Kind) -> list[Rule]:
    """(bad-row expression, field, reason) for this kind's own rules."""
    c = pl.col
    checks: list[Rule] = []
    if kind == "tickets":
        checks += [
            (
                c("first_response_at") < c("created_at"),
                "first_response_at",
                "is before the ticket was created",
            ),
            (c("resolved_at") < c("created_at"), "resolved_at", "is before the ticket was created"),
        ]
    elif kind == "time_entries":
        checks += [
            (c("minutes") <= 0, "minutes", "is not a positive duration"),
            (c("billed_amount") < 0, "billed_amount", "is negative"),
            (
                c("customer_ref").is_null() & c("ticket_ref").is_null(),
                "customer_ref",
                "is empty and no ticket is given; a time entry needs a customer or a ticket",
            ),
        ]
    elif kind == "contracts":
        checks += [
            (c("end_date") < c("start_date"), "end_date", "is before the start date"),
            (c("monthly_fee") < 0, "monthly_fee", "is negative"),
            (c("hourly_rate") < 0, "hourly_rate", "is negative"),
        ]
    elif kind == "catalogue_items":
        checks.append((c("rate") < 0, "rate", "is negative"))
    elif kind == "revenue_lines":
        checks.append((c("direct_cost") < 0, "direct_cost", "is negative"))
    elif kind == "survey_answers":
        checks += [
            (c("scale_max") <= c("scale_min"), "scale_max", "is not above the lowest score"),
            (
                (c("score") < c("scale_min")) | (c("score") > c("scale_max")),
                "score",
                "is outside the survey's scale",
            ),
            (
                c("score").is_null() & c("answered_at").is_not_null(),
                "score",
                "is empty but the survey was answered; give both or neither",
            ),
            (
                c("score").is_not_null() & c("answered_at").is_null(),
                "answered_at",
                "is empty but there is a score; give the time of the answer",
            ),
            (
                c("customer_ref").is_null() & c("ticket_ref").is_null(),
                "customer_ref",
                "is empty and no ticket is given; an answer needs a customer or a ticket",
            ),
        ]
    elif kind == "interactions":
        checks.append(
            (
                c("customer_ref").is_null() & c("ticket_ref").is_null(),
                "customer_ref",
                "is empty and no ticket is given",
            )
        )
    return checks


@dataclass
class Validated:
    frame: pl.DataFrame
    errors: list[RowError]
    rejected: int


def _complete(kind: Kind, frame: pl.DataFrame) -> list[pl.Expr]:
    """All columns of the kind's schema, in order, with defaults for missing ones (as
    expressions on ``frame``)."""
    return _completion(kind, tuple(frame.columns))


@functools.lru_cache(maxsize=256)
def _completion(kind: Kind, present: tuple[str, ...]) -> list[pl.Expr]:
    # Built once per kind and set of columns: a source sends the same columns every time.
    schema = frame_schema(kind)
    defaults = field_defaults(kind)
    columns: list[pl.Expr] = []
    for name, dtype in schema.items():
        if name in present:
            expr = pl.col(name).cast(dtype, strict=False)
            # Empty strings in id and reference columns mean "none".
            if isinstance(dtype, pl.String) and (
                name == "external_id" or name.endswith(("_ref", "_name"))
            ):
                expr = pl.when(expr.str.strip_chars() == "").then(None).otherwise(expr)
            default = defaults.get(name)
            if default is not None:
                expr = expr.fill_null(pl.lit(default, dtype=dtype))
            columns.append(expr.alias(name))
        else:
            columns.append(pl.lit(defaults.get(name), dtype=dtype).alias(name))
    if "_row" in present:
        columns.append(pl.col("_row").cast(pl.Int64))
    else:
        columns.append(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("_row"))
    columns.append(
        pl.col("_naive").cast(pl.String)
        if "_naive" in present
        else pl.lit(None, dtype=pl.String).alias("_naive")
    )
    return columns


@functools.cache
def _rules(kind: Kind) -> tuple[list[Rule], list[pl.Expr]]:
    """The kind's rules, and the truncations of its free-text fields; the same for every
    chunk, so built once per kind."""
    rules: list[Rule] = [
        (
            pl.col("_naive").is_not_null(),
            "_naive",
            "has no time zone; give instants with a zone (the writer never guesses one)",
        )
    ]
    required = set(required_fields(kind))
    schema = frame_schema(kind)
    truncations: list[pl.Expr] = []
    for name in schema:
        stored = model_field(kind, name)
        if name in required:
            rules.append((pl.col(name).is_null(), name, "is empty; a value is required"))
        if stored is None:
            continue
        choices = field_choices(stored)
        if choices is not None:
            rules.append(
                (
                    pl.col(name).is_not_null() & ~pl.col(name).is_in(choices),
                    name,
                    "is not one of: " + ", ".join(str(choice) for choice in choices),
                )
            )
        elif name not in required and not stored.null and name not in field_defaults(kind):
            rules.append((pl.col(name).is_null(), name, "is empty; a value is required"))
        max_length = getattr(stored, "max_length", None)
        if isinstance(stored, models.CharField) and max_length and choices is None:
            if name in _TRUNCATED_FIELDS:
                truncations.append(pl.col(name).str.slice(0, max_length))
            else:
                rules.append(
                    (
                        pl.col(name).str.len_chars() > max_length,
                        name,
                        f"is longer than {max_length} characters",
                    )
                )
        if isinstance(stored, models.DecimalField):
            digits = (stored.max_digits or 14) - (stored.decimal_places or 2)
            rules.append(
                (
                    pl.col(name).abs() >= Decimal(10) ** digits,
                    name,
                    f"is too large (at most {digits} digits before the decimal point)",
                )
            )
        if isinstance(
            stored,
            models.PositiveIntegerField | models.PositiveSmallIntegerField,
        ):
            limit = 32767 if isinstance(stored, models.PositiveSmallIntegerField) else 2**31 - 1
            rules.append(
                (
                    (pl.col(name) < 0) | (pl.col(name) > limit),
                    name,
                    f"is outside 0..{limit}",
                )
            )
    for name in schema:
        if name == "external_id" or name.endswith("_ref"):
            rules.append(
                (pl.col(name).str.len_chars() > 120, name, "is longer than 120 characters")
            )
    rules += _checks(kind)
    return rules, truncations


def validate(
    kind: Kind, frame: pl.DataFrame, *, file: str, column_names: dict[str, str]
) -> Validated:
    """The chunk's good rows (complete, in the kind's schema), and an error per bad one."""
    rules, truncations = _rules(kind)
    # One query: complete, cut, and flag every rule (_bad<i>) and any rule (_bad).
    query = frame.lazy().select(_complete(kind, frame))
    if truncations:
        query = query.with_columns(truncations)
    flagged = query.with_columns(_masks(kind)).with_columns(_any_bad(len(rules))).collect()
    flags = [f"_bad{i}" for i in range(len(rules))]
    if flagged["_bad"].any():
        bad_rows = flagged.filter(pl.col("_bad"))
        errors = _rule_errors(kind, bad_rows, rules, file, column_names)
        good = flagged.filter(~pl.col("_bad")).drop([*flags, "_bad"])
    else:
        errors = []
        good = flagged.drop([*flags, "_bad"])
    good = _without_earlier_duplicates(kind, good, errors, file, column_names)
    rejected = frame.height - good.height
    return Validated(good.drop("_naive"), errors, rejected)


@functools.cache
def _masks(kind: Kind) -> list[pl.Expr]:
    rules, _truncations = _rules(kind)
    return [rule.fill_null(False).alias(f"_bad{i}") for i, (rule, _, _) in enumerate(rules)]


@functools.cache
def _any_bad(count: int) -> pl.Expr:
    return pl.any_horizontal([pl.col(f"_bad{i}") for i in range(count)]).alias("_bad")


def _rule_errors(
    kind: Kind,
    bad_rows: pl.DataFrame,
    rules: list[Rule],
    file: str,
    column_names: dict[str, str],
) -> list[RowError]:
    errors: list[RowError] = []
    for i, (_rule, name, reason) in enumerate(rules):
        hits = bad_rows.filter(pl.col(f"_bad{i}"))
        if not hits.height:
            continue
        # Aliased: the bad column may be external_id itself (a duplicate name otherwise).
        for row, value, external_id in hits.select(
            "_row", pl.col(name).cast(pl.String).alias("_value"), "external_id"
        ).iter_rows():
            errors.append(
                RowError(
                    file=file,
                    row=int(row),
                    column=column_names.get(name, name if name != "_naive" else "instant"),
                    value="" if value is None else str(value),
                    reason=reason,
                    kind=kind,
                    external_id=external_id or "",
                )
            )
    errors.sort(key=lambda error: error.row)
    return errors


def _without_earlier_duplicates(
    kind: Kind,
    good: pl.DataFrame,
    errors: list[RowError],
    file: str,
    column_names: dict[str, str],
) -> pl.DataFrame:
    """The same id twice in one chunk: the last row wins, the earlier ones are reported."""
    if not good["external_id"].is_duplicated().any():
        return good
    duplicated = good.filter(pl.col("external_id").is_duplicated())
    last = duplicated.group_by("external_id").agg(pl.col("_row").max().alias("_last"))
    earlier = duplicated.join(last, on="external_id").filter(pl.col("_row") != pl.col("_last"))
    for row, external_id, last_row in earlier.select("_row", "external_id", "_last").iter_rows():
        errors.append(
            RowError(
                file=file,
                row=int(row),
                column=column_names.get("external_id", "external_id"),
                value=str(external_id),
                reason=f"appears again in row {last_row}; the later row is imported",
                kind=kind,
                external_id=str(external_id),
            )
        )
    return good.filter(~pl.col("_row").is_in(earlier["_row"].implode()))
