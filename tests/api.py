"""Helpers for API tests: clients bound to a host, and sign-in through the real flows."""

import re
from typing import Any

from django.conf import settings
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from customers.services import phone_normalize
from messaging.models import SentMessage

ROOT = settings.BASE_DOMAIN


def api(host: str, token: str | None = None, **headers: Any) -> APIClient:
    client = APIClient(HTTP_HOST=f"{host}:8000", **headers)
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def last_code(phone: str) -> str:
    """The code in the last SMS recorded for `phone` (OTP messages live in public)."""
    with schema_context("public"):
        body = SentMessage.objects.filter(to=phone_normalize(phone)).latest("id").body
    match = re.search(r"\b(\d{6})\b", body)
    assert match, body
    return match.group(1)


def customer_sign_in(phone: str) -> dict[str, Any]:
    """Sign in through OTP on the root domain; returns the verify response body."""
    client = api(ROOT)
    sent = client.post("/api/v1/auth/otp/request", {"phone": phone}, format="json")
    assert sent.status_code == 202, sent.content
    verified = client.post(
        "/api/v1/auth/otp/verify", {"phone": phone, "code": last_code(phone)}, format="json"
    )
    assert verified.status_code == 200, verified.content
    return verified.json()


def staff_sign_in(host: str, email: str, password: str) -> dict[str, Any]:
    response = api(host).post(
        "/api/v1/staff/auth/login", {"email": email, "password": password}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()
