"""The web card's pages beside the card itself: history, rewards and vouchers, inbox,
settings (merchant host), and the customer's memberships everywhere (root domain).

Each reads and writes through the same selectors and services as the mobile API's
views (points/api, rewards/api, notifications/api, customers/api); none adds a rule.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from loyalty.api.pagination import PAGE_SIZE, Pages
from points import selectors
from points.models import Membership
from tenants.selectors import merchant_current, merchant_timezone

from ..views import customer_of, customer_required

View = Callable[..., HttpResponse]


def member_required(view: View) -> View:
    """The page needs a signed-in customer who is a member here; a customer who is not
    goes to the card's home (where joining is)."""

    @customer_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        membership = selectors.membership_for_customer(customer_of(request).pk)
        if membership is None:
            return redirect("card-home")
        request.card_membership = membership  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapped


def membership_of(request: HttpRequest) -> Membership:
    membership: Membership = request.card_membership  # type: ignore[attr-defined]
    return membership


def page_of(request: HttpRequest, items: QuerySet[Any] | Pages) -> Page[Any]:
    """One page of `items`, the API's page size; a page out of range is the last."""
    return Paginator(cast(Any, items), PAGE_SIZE).get_page(request.GET.get("page"))


def render_local(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    """A merchant page: dates in the merchant's time zone, money in its currency."""
    merchant = merchant_current()
    with timezone.override(merchant_timezone()):
        return render(
            request,
            template,
            {"merchant": merchant, "currency": merchant.currency, **context},
            status=status,
        )
