"""The member's pass download, and the web service Apple's devices call for it
(Apple's "Wallet Passes web service": register and unregister a device, the passes that
changed since a tag, the latest pass, logs). The web service is reached at
https://<merchant host>/card/wallet/apple/, so each merchant's host answers for its own
passes only; another merchant's serial number is unknown here (404).
"""

import datetime
import json
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.http import http_date, parse_http_date_safe
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from points.selectors import membership_for_customer
from tenants.selectors import merchant_current
from webcard.views import customer_of, customer_required

from . import config, selectors, services
from .models import DEVICE_ID_MAX, WalletPass
from .passes import pass_build

logger = logging.getLogger(__name__)
CONTENT_TYPE = "application/vnd.apple.pkpass"
PREFIX = "ApplePass "

View = Callable[..., HttpResponse]


def _enabled(view: View) -> View:
    """404 while Apple Wallet is not configured, or for another Pass Type ID."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not config.enabled():
            raise Http404
        pass_type_id = kwargs.pop("pass_type_id", None)
        if pass_type_id is not None and pass_type_id != settings.APPLE_PASS_TYPE_ID:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


def _pkpass(content: bytes, wallet_pass: WalletPass) -> HttpResponse:
    response = HttpResponse(content, content_type=CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="card.pkpass"'
    response["Last-Modified"] = http_date(wallet_pass.changed_at.timestamp())
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@_enabled
@customer_required
def pkpass_download(request: HttpRequest) -> HttpResponse:
    """The signed-in member's pass; a customer who is not a member yet goes to the card."""
    membership = membership_for_customer(customer_of(request).pk)
    if membership is None:
        return redirect("card-home")
    wallet_pass, content = pass_build(membership=membership, merchant=merchant_current())
    return _pkpass(content, wallet_pass)


def _authorised(request: HttpRequest, serial_number: str) -> WalletPass | HttpResponse:
    """The pass, if the request carries its token; else the refusal to answer with."""
    wallet_pass = selectors.pass_by_serial(serial_number)
    if wallet_pass is None:
        return HttpResponse(status=404)
    header = request.headers.get("Authorization", "")
    token = header[len(PREFIX) :] if header.startswith(PREFIX) else ""
    if not token or not services.pass_token_valid(wallet_pass, token):
        return HttpResponse(status=401)
    return wallet_pass


@csrf_exempt
@require_http_methods(["POST", "DELETE"])
@_enabled
def registration(request: HttpRequest, device_library_id: str, serial_number: str) -> HttpResponse:
    """POST: the device keeps the pass and gives its push token (201 new, 200 known).
    DELETE: the device removed the pass (200)."""
    found = _authorised(request, serial_number)
    if isinstance(found, HttpResponse):
        return found
    if len(device_library_id) > DEVICE_ID_MAX:
        return HttpResponse(status=400)
    if request.method == "DELETE":
        services.device_unregister(wallet_pass=found, device_library_id=device_library_id)
        return HttpResponse(status=200)
    try:
        push_token = json.loads(request.body or b"{}").get("pushToken")
    except (ValueError, AttributeError):
        push_token = None
    if not isinstance(push_token, str) or not 0 < len(push_token) <= 200:
        return HttpResponse(status=400)
    _, created = services.device_register(
        wallet_pass=found, device_library_id=device_library_id, push_token=push_token
    )
    return HttpResponse(status=201 if created else 200)


def _tag(text: str) -> datetime.datetime | None:
    """Our tag: the latest change, in seconds since 1970 (changes are whole seconds)."""
    try:
        return datetime.datetime.fromtimestamp(int(text), tz=datetime.UTC)
    except (ValueError, OverflowError, OSError):
        return None  # no tag, or not one of ours: every pass of the device is listed


@require_GET
@_enabled
def registrations(request: HttpRequest, device_library_id: str) -> HttpResponse:
    """The serial numbers of this device's passes that changed since the tag."""
    since = _tag(request.GET.get("passesUpdatedSince", ""))
    serials, latest = selectors.serials_updated(device_library_id=device_library_id, since=since)
    if not serials or latest is None:
        return HttpResponse(status=204)
    return JsonResponse({"serialNumbers": serials, "lastUpdated": str(int(latest.timestamp()))})


@require_GET
@_enabled
def latest_pass(request: HttpRequest, serial_number: str) -> HttpResponse:
    """The pass as it is now; 304 when it has not changed since If-Modified-Since."""
    found = _authorised(request, serial_number)
    if isinstance(found, HttpResponse):
        return found
    since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    if since is not None and found.changed_at.timestamp() <= since:
        return HttpResponse(status=304)
    _, content = pass_build(membership=found.membership, merchant=merchant_current())
    return _pkpass(content, found)


@csrf_exempt
@require_POST
@_enabled
def device_log(request: HttpRequest) -> HttpResponse:
    """Errors a device met with our passes, for the server's log."""
    try:
        messages = json.loads(request.body or b"{}").get("logs", [])
    except (ValueError, AttributeError):
        messages = []
    if isinstance(messages, list):
        for message in messages[:20]:
            logger.warning("Apple Wallet device: %s", str(message)[:500])
    return HttpResponse(status=200)
