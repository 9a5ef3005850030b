"""The root domain's card page: the customer's memberships in every merchant (as
points/api MyMembershipsView reads them), each opening that merchant's card already
signed in through a one-time hand-off (webcard/handoff.py)."""

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_tenants.utils import tenant_context

from loyalty.errors import DomainError
from loyalty.formatting import local_name
from points import selectors
from tenants.models import Merchant
from tenants.selectors import merchant_url, merchants_active

from ..handoff import handoff_issue, handoff_take
from ..sessions import session_start
from ..views import customer_of, customer_required


def _joined(request: HttpRequest) -> list[Merchant]:
    customer = customer_of(request)
    return list(
        merchants_active().filter(customer_links__customer=customer).order_by("name").distinct()
    )


@require_GET
@customer_required
def memberships(request: HttpRequest) -> HttpResponse:
    customer = customer_of(request)
    cards = []
    for merchant in _joined(request):
        with tenant_context(merchant):
            membership = selectors.membership_for_customer(customer.pk)
        if membership is not None:
            tier = membership.tier
            cards.append(
                {
                    "merchant": merchant,
                    "name": local_name(merchant.name, merchant.name_ar),
                    "points": membership.current_points,
                    "tier": tier.display_name() if tier is not None else "",
                }
            )
    return render(request, "card/memberships.html", {"customer": customer, "cards": cards})


@require_POST
@customer_required
def open_card(request: HttpRequest, slug: str) -> HttpResponse:
    """To the merchant's card, signed in there: a one-time link made at the tap, so it
    is fresh (a link in the page would go stale in a minute)."""
    merchant = next((m for m in _joined(request) if m.slug == slug), None)
    if merchant is None:
        raise Http404
    token = handoff_issue(customer=customer_of(request), merchant_id=merchant.pk)
    response = HttpResponseRedirect(
        merchant_url(request, merchant)
        + reverse("card-handoff", args=[token], urlconf=settings.ROOT_URLCONF)
    )
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_GET
def handoff(request: HttpRequest, token: str) -> HttpResponse:
    """On the merchant's host: the hand-off token starts a session here, once."""
    merchant = getattr(request, "tenant", None)
    try:
        customer = handoff_take(token=token, merchant_id=getattr(merchant, "pk", 0))
    except DomainError:
        response = render(
            request,
            "card/handoff_invalid.html",
            {"message": _("This link has expired or was already used.")},
            status=400,
        )
    else:
        response = HttpResponseRedirect(reverse("card-home"))
        session_start(request, response, customer)
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    return response
