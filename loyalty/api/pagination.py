"""One way to page every list: `?page=N&page_size=M` (at most 100), answered as
`{"count", "next", "previous", "results"}`. Follow `next` until it is null.

A list's query parameters are a `QuerySerializer`: an unknown parameter, a filter value
that is not one of the list's, or a bad `page` / `page_size` is 400 `invalid` with the
parameter named, never a silent fallback or a 404."""

from collections.abc import Callable, Sequence
from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .base import QueryInt, QuerySerializer

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class PageQuery(QuerySerializer):
    page = QueryInt(min_value=1, required=False, help_text="1 for the first page")
    page_size = QueryInt(
        min_value=1, max_value=MAX_PAGE_SIZE, required=False, help_text=f"{PAGE_SIZE} unless set"
    )


def query_of(request: Request, query: type[QuerySerializer]) -> dict[str, Any]:
    """The request's query parameters, checked by `query` (400 naming the bad ones)."""
    checked = query(data=request.query_params.dict())
    checked.is_valid(raise_exception=True)
    return dict(checked.validated_data)


class Pages(PageNumberPagination):
    page_size = PAGE_SIZE
    max_page_size = MAX_PAGE_SIZE
    page_size_query_param = "page_size"

    def paginate_queryset(
        self, queryset: Any, request: Request, view: APIView | None = None
    ) -> list[Any] | None:
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound:
            raise serializers.ValidationError({"page": ["There is no such page."]}) from None


def page_of(
    request: Request,
    view: APIView,
    items: QuerySet[Any] | Sequence[Any],
    represent: Callable[[list[Any]], Any],
    **extra: Any,
) -> Response:
    """One page of `items`, each turned into JSON by `represent` (a list in, a list out).
    Validate the query with `query_of` first."""
    paginator = Pages()
    page = paginator.paginate_queryset(items, request, view=view) or []
    response = paginator.get_paginated_response(represent(page))
    response.data.update(extra)
    return response
