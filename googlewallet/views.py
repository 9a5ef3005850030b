"""GET /card/wallet/google: the signed-in member's "Save to Google Wallet" link."""

import logging

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render

from points.models import Membership
from webcard.views import customer_of, customer_required

from . import client, services

logger = logging.getLogger(__name__)


@customer_required
def save(request: HttpRequest) -> HttpResponse:
    """Ensure the merchant's class and the member's object at Google, then send the
    browser to Google's save page with the signed JWT."""
    if not client.configured():
        raise Http404
    membership = Membership.objects.filter(customer=customer_of(request)).first()
    if membership is None:
        return redirect("card-home")
    try:
        wallet = services.wallet_object_ensure(membership_id=membership.pk)
    except client.WalletError:
        logger.warning("Google Wallet: no object for member %s", membership.pk, exc_info=True)
        return render(request, "card/wallet_google_failed.html", status=503)
    link = client.save_url(
        object_id=wallet.object_id,
        class_id=services.class_id(),
        origin=f"{request.scheme}://{request.get_host()}",
    )
    return HttpResponseRedirect(link)
