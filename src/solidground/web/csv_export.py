"""CSV downloads that open right in a spreadsheet, in the reader's language.

UTF-8 with a byte-order mark (Excel otherwise reads umlauts as Latin-1); German uses a
semicolon as separator and a decimal comma, as German Excel expects; cells that start with
= + - @ (or a tab/CR) get a leading apostrophe so that a customer name cannot become a formula
(CSV injection, OWASP).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence

from django.http import StreamingHttpResponse
from django.utils import translation

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START):
        # A negative number is data, not a formula: keep "-12,5" as it is.
        stripped = text[1:].replace(",", "").replace(".", "")
        if not (text.startswith("-") and stripped.isdigit()):
            return "'" + text
    return text


def german() -> bool:
    return (translation.get_language() or "").startswith("de")


def decimal_text(value: float | None, digits: int = 2) -> str:
    """A plain number for a spreadsheet cell: no grouping, the language's decimal mark."""
    if value is None:
        return ""
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if german() else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> StreamingHttpResponse:
    """Stream ``rows`` as a CSV download named ``filename``."""
    delimiter = ";" if german() else ","
    writer = csv.writer(_Echo(), delimiter=delimiter)
    # The rows are made while the response streams, after the view has returned: they are
    # formatted in the language of the request that asked for them.
    language = translation.get_language() or "en"

    def lines() -> Iterator[str]:
        with translation.override(language):
            yield "\ufeff" + writer.writerow([safe_cell(h) for h in header])
            for row in rows:
                yield writer.writerow([safe_cell(cell) for cell in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
