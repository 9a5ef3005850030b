"""The web card's Web Push switch posts here (merchant host, /card/push/...): the
browser's PushSubscription.toJSON() to subscribe, its endpoint to unsubscribe.
JSON in and out, CSRF-protected, refusals in the API's error shape."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from loyalty.api.errors import domain_error_response, error_response
from loyalty.api.parsers import json_request_body
from loyalty.errors import DomainError
from tenants.selectors import merchant_current
from webcard.views import customer_of, customer_required

from .services import push_subscription_delete, push_subscription_save


def _json_post(view: Callable[[HttpRequest, dict[str, Any]], JsonResponse]) -> Any:
    @wraps(view)
    def wrapped(request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            response = error_response(
                "method_not_allowed", _("This method is not served here."), status=405
            )
            response["Allow"] = "POST"
            return response
        try:
            return view(request, json_request_body(request))
        except DomainError as error:
            return domain_error_response(error)

    return customer_required(wrapped)


def _keys(data: dict[str, Any]) -> dict[str, Any]:
    keys = data.get("keys")
    return keys if isinstance(keys, dict) else {}


@_json_post
def subscribe(request: HttpRequest, data: dict[str, Any]) -> JsonResponse:
    keys = _keys(data)
    push_subscription_save(
        customer=customer_of(request),
        merchant=merchant_current(),
        endpoint=data.get("endpoint"),
        p256dh=keys.get("p256dh"),
        auth=keys.get("auth"),
    )
    return JsonResponse({"subscribed": True})


@_json_post
def unsubscribe(request: HttpRequest, data: dict[str, Any]) -> JsonResponse:
    push_subscription_delete(customer=customer_of(request), endpoint=data.get("endpoint"))
    return JsonResponse({"subscribed": False})
