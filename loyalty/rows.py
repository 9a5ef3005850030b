"""Model instances from hand-written SQL: the hot reads (the earn's lock, a member's
summary, the sign-in checks, the membership lookups, the rewards offered, the history's
pages) use statements built once, often over several tables, and build the instances
Django would.

`columns` lists a model's columns for a SELECT, in the order `from_row` reads them back;
`json_columns` and `from_json` do the same for rows gathered with `json_agg` (a list of
related rows in one column)."""

from functools import cache
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, models

M = TypeVar("M", bound=models.Model)


def columns(model: type[models.Model], alias: str) -> str:
    return ", ".join(f"{alias}.{f.column}" for f in model._meta.concrete_fields)


def width(model: type[models.Model]) -> int:
    """How many values `columns(model, ...)` selects."""
    return len(_attnames(model))


def from_row(model: type[M], values: Any) -> M:
    """The instance of the values `columns(model, ...)` selected (a slice of a row), each
    converted as the ORM would (a JSON field's text decoded)."""
    converters = _converters(model)
    if converters:
        values = list(values)
        for index, field in converters:
            values[index] = field.from_db_value(  # type: ignore[attr-defined]
                values[index], None, connection
            )
    return model.from_db(DEFAULT_DB_ALIAS, _attnames(model), values)


@cache
def _converters(model: type[models.Model]) -> list[tuple[int, models.Field]]:
    return [
        (index, field)
        for index, field in enumerate(model._meta.concrete_fields)
        if hasattr(field, "from_db_value")
    ]


@cache
def _attnames(model: type[models.Model]) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields]


def json_columns(model: type[models.Model], alias: str) -> str:
    """The row as a JSON array; numbers, dates and times as text so they read back exactly."""
    exact = (models.DecimalField, models.DateField, models.TimeField)
    return ", ".join(
        f"{alias}.{f.column}::text" if isinstance(f, exact) else f"{alias}.{f.column}"
        for f in model._meta.concrete_fields
    )


def from_json(model: type[M], values: list[Any]) -> M:
    """The instance of one array `json_columns(model, ...)` built."""
    fields = model._meta.concrete_fields
    return model.from_db(
        DEFAULT_DB_ALIAS,
        _attnames(model),
        [f.to_python(v) for f, v in zip(fields, values, strict=False)],
    )
