"""One way to page every list: `?page=N&page_size=M` (at most 100), answered as
`{"count", "next", "previous", "results"}`. Follow `next` until it is null; a page past
the last one is empty.

A list's query parameters are a `QuerySerializer`: an unknown parameter, a filter value
that is not one of the list's, or a bad `page` / `page_size` is 400 `invalid` with the
parameter named, never a silent fallback or a 404."""

from collections.abc import Callable, Sequence
from typing import Any, Protocol, cast

from django.core.paginator import Paginator
from django.db.models import QuerySet
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from .base import QueryInt, QuerySerializer

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class PageQuery(QuerySerializer):
    page = QueryInt(min_value=1, required=False, help_text="1 for the first page")
    page_size = QueryInt(
        min_value=1, max_value=MAX_PAGE_SIZE, required=False, help_text=f"{PAGE_SIZE} unless set"
    )


class Pages(Protocol):
    """What a paginator reads besides a queryset or a list: a count and a slice
    (e.g. `points.selectors.LedgerPages`)."""

    def count(self) -> int: ...

    def __getitem__(self, index: slice) -> Sequence[Any]: ...


def query_of(request: Request, query: type[QuerySerializer]) -> dict[str, Any]:
    """The request's query parameters, checked by `query` (400 naming the bad ones)."""
    checked = query(data=request.query_params.dict())
    checked.is_valid(raise_exception=True)
    return dict(checked.validated_data)


def page_of(
    request: Request,
    items: QuerySet[Any] | Sequence[Any] | Pages,
    represent: Callable[[list[Any]], Any],
    **extra: Any,
) -> Response:
    """One page of `items`, each turned into JSON by `represent` (a list in, a list out).
    Validate the query with `query_of` first. A page past the last one is empty."""
    size = int(request.query_params.get("page_size") or PAGE_SIZE)
    number = int(request.query_params.get("page") or 1)
    paginator = Paginator(cast(Any, items), size)  # Pages: Django reads count() and a slice
    results = list(paginator.page(number).object_list) if number <= paginator.num_pages else []
    here = request.build_absolute_uri()

    def link(to: int) -> str:
        return (
            remove_query_param(here, "page") if to == 1 else replace_query_param(here, "page", to)
        )

    return Response(
        {
            **extra,
            "count": paginator.count,
            "next": link(number + 1) if number < paginator.num_pages else None,
            "previous": link(min(number - 1, paginator.num_pages)) if number > 1 else None,
            "results": represent(results),
        }
    )
