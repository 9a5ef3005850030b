"""Markdown tables, ready to paste into bench/README.md."""

from __future__ import annotations

import math
from collections.abc import Sequence


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(c) for c in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        return (
            "| "
            + " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            + " |"
        )

    rule = "| " + " | ".join("-" * width for width in widths) + " |"
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def number(value: float, digits: int = 0) -> str:
    if value is None or math.isnan(value):
        return "-"
    return f"{value:,.{digits}f}"


def span(values: Sequence[float], digits: int = 0, unit: str = "") -> str:
    """'57-69 ms' over runs, or the one value."""
    found = [v for v in values if v is not None and not math.isnan(v)]
    if not found:
        return "-"
    low, high = number(min(found), digits), number(max(found), digits)
    text = low if low == high else f"{low}-{high}"
    return f"{text} {unit}".rstrip()
