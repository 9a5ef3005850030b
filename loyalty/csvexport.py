"""CSV that is safe to open in a spreadsheet.

A text cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is read by
Excel, LibreOffice and Google Sheets as a formula (`=HYPERLINK(...)` in a reject reason
becomes a live link). Such a cell is written with a leading single quote, which the
spreadsheet shows as text (OWASP's advice for CSV injection).

Only text is neutralised: numbers (int, Decimal, float) are written as they are, so a
points column keeps `-100` as a number a spreadsheet can sum. Every export writes
through `csv_rows`, so the rule lives here once.
"""

import csv
from collections.abc import Iterable, Iterator
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell_safe(value: Any) -> Any:
    """A cell as written to the file: text that a spreadsheet would run is quoted."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_rows(rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """Each row as one line of CSV, ready to stream (StreamingHttpResponse)."""
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow([cell_safe(value) for value in row])
