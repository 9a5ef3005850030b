"""The API's shorter middleware chain (loyalty.web_middleware) and its content
negotiation (loyalty.api.negotiation): what an API request still gets, what it no longer
gets, and pages that keep everything."""

import pytest
from django.core.handlers.base import BaseHandler
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.test import RequestFactory

from loyalty import web_middleware
from tests.api import api

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("layer", "sets"),
    [
        (web_middleware.SessionMiddleware, "session"),
        (web_middleware.AuthenticationMiddleware, "user"),
        (web_middleware.MessageMiddleware, "_messages"),
    ],
)
def test_an_api_request_passes_through_the_web_only_layers(layer, sets) -> None:
    def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse("ok")

    middleware = layer(view)
    api_request = RequestFactory().get("/api/v1/merchant")
    assert middleware(api_request).status_code == 200
    assert not hasattr(api_request, sets)

    page_request = RequestFactory().get("/admin/")
    page_request.session = {}  # type: ignore[assignment]  # as SessionMiddleware leaves it
    middleware(page_request)
    assert hasattr(page_request, sets)


def test_an_api_answer_keeps_the_security_headers_language_and_length(merchant_a) -> None:
    response = api(merchant_a.host).get("/api/v1/merchant", HTTP_ACCEPT_LANGUAGE="ar")
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Language"] == "ar"
    assert int(response["Content-Length"]) == len(response.content)
    assert not response.cookies  # no session cookie


def test_an_api_error_is_still_in_the_readers_language(merchant_a) -> None:
    response = api(merchant_a.host).get("/api/v1/staff/members", HTTP_ACCEPT_LANGUAGE="ar")
    assert response.status_code == 401
    english = api(merchant_a.host).get("/api/v1/staff/members")
    assert response.json()["error"]["message"] != english.json()["error"]["message"]


def test_pages_keep_the_whole_chain(merchant_a, host_client) -> None:
    page = host_client(merchant_a.host).get("/admin/login/")
    assert page.status_code == 200
    assert "csrftoken" in page.cookies
    assert page.wsgi_request.user.is_anonymous  # AuthenticationMiddleware ran
    assert hasattr(page.wsgi_request, "session")
    assert hasattr(page.wsgi_request, "_messages")


def test_csrf_still_guards_every_view_it_did() -> None:
    handler = BaseHandler()
    handler.load_middleware()
    guards = [
        hook
        for hook in handler._view_middleware  # type: ignore[attr-defined]
        if isinstance(getattr(hook, "__self__", None), CsrfViewMiddleware)
    ]
    assert guards, "CSRF's process_view must run for every request, API included"


@pytest.mark.parametrize(
    ("accept", "status"),
    [
        (None, 200),
        ("*/*", 200),
        ("application/json", 200),
        ("application/json; indent=2", 200),
        ("text/html, application/json;q=0.9", 200),
        ("", 406),
        ("text/html", 406),
    ],
)
def test_content_negotiation_answers_as_drf_did(merchant_a, accept, status) -> None:
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    response = api(merchant_a.host).get("/api/v1/merchant", **headers)
    assert response.status_code == status, response.content
    if status == 200:
        assert response["Content-Type"].startswith("application/json")
    else:
        assert response.json()["error"]["code"] == "not_acceptable"


def test_an_unknown_format_is_still_a_404(merchant_a) -> None:
    assert api(merchant_a.host).get("/api/v1/merchant?format=xml").status_code == 404
    assert api(merchant_a.host).get("/api/v1/merchant?format=json").status_code == 200
