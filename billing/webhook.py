"""Stripe's webhook endpoint on the root domain: verify, store once, answer at once.

The work an event asks for runs on a Celery worker (`billing.tasks`), so Stripe gets
its answer in milliseconds and a slow or failing call back to Stripe never makes it
resend. The answers are read by Stripe (and shown in its dashboard), not by people.
"""

import json

import stripe
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from loyalty.api.errors import error_response
from loyalty.errors import status_of

from .events import stripe_event_receive

# Stripe's events are a few kilobytes; anything far larger is not one.
MAX_BYTES = 256 * 1024


def _refuse(code: str, message: str) -> JsonResponse:
    return error_response(code, message, status=status_of(code))


@csrf_exempt
def stripe_webhook(request: HttpRequest) -> JsonResponse:
    if request.method != "POST":
        response = _refuse("method_not_allowed", "Only POST is served here.")
        response["Allow"] = "POST"
        return response
    secret = settings.STRIPE_WEBHOOK_SECRET
    # Without the API key the worker could not re-read what an event is about.
    if not (secret and settings.STRIPE_SECRET_KEY):
        return _refuse("billing_not_configured", "Online billing is not set up on this platform.")
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BYTES or len(request.body) > MAX_BYTES:
        return _refuse("request_too_large", f"A Stripe event is at most {MAX_BYTES} bytes.")
    try:
        payload = request.body.decode("utf-8")
        stripe.WebhookSignature.verify_header(
            payload,
            request.headers.get("Stripe-Signature"),
            secret,
            tolerance=settings.STRIPE_WEBHOOK_TOLERANCE,
        )
    except (UnicodeDecodeError, stripe.SignatureVerificationError) as error:
        stale = "tolerance" in str(error)
        return _refuse(
            "webhook_signature_invalid",
            "The signature is too old (STRIPE_WEBHOOK_TOLERANCE)."
            if stale
            else "The Stripe-Signature header is missing or does not match the body.",
        )
    try:
        data = json.loads(payload)
        valid = data.get("object") == "event" and all(
            isinstance(data.get(key), kind)
            for key, kind in (("id", str), ("type", str), ("created", int), ("data", dict))
        )
    except (ValueError, AttributeError):
        valid = False
    if not valid:
        return _refuse("webhook_event_invalid", "The signed body is not a Stripe event.")
    stripe_event_receive(data=data)
    return JsonResponse({"received": True})
