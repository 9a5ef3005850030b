"""The web card's sign-in: phone, then the code sent by SMS (the same OTP service,
limits and errors as the app's `auth/otp/*`), remembered on the device.

Pages that need a signed-in customer are wrapped in `customer_required`; pages that
need the customer's membership of this merchant in `member_required`.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_tenants.utils import get_public_schema_name, schema_context

from customers import services as customers
from customers.models import Customer
from loyalty.clientip import client_ip
from loyalty.errors import DomainError
from loyalty.ratelimit import RateLimited, wait_minutes

from .sessions import device_token_of, session_customer, session_end, session_start

View = Callable[..., HttpResponse]


def refusal_text(error: DomainError) -> str:
    """A service's refusal as a page shows it, in the page's language."""
    if isinstance(error, RateLimited):
        return _("Too many tries. Try again in %(minutes)s min.") % {
            "minutes": wait_minutes(error.retry_after)
        }
    return str(error.message)


def next_of(request: HttpRequest, default: str = "") -> str:
    """Where to go after signing in: a path on this host only."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default or reverse("card-home")


def customer_required(view: View) -> View:
    """The page needs a signed-in customer; anyone else goes to sign in, and back."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if session_customer(request) is None:
            query = urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(f"{reverse('card-signin')}?{query}")
        return view(request, *args, **kwargs)

    return wrapped


def customer_of(request: HttpRequest) -> Customer:
    customer = session_customer(request)
    assert customer is not None, "wrap the view in customer_required"
    return customer


def _language(request: HttpRequest) -> str:
    language = translation.get_language() or "ar"
    return Customer.Language.ARABIC if language.startswith("ar") else Customer.Language.ENGLISH


@require_http_methods(["GET", "POST"])
def signin(request: HttpRequest) -> HttpResponse:
    """Step 1: the phone number. A code is sent and the code form follows."""
    if request.method == "GET" and session_customer(request) is not None:
        return redirect(next_of(request))
    context: dict[str, Any] = {"next": next_of(request), "phone": "", "error": ""}
    if request.method == "POST":
        phone = request.POST.get("phone", "").strip()[:32]
        context["phone"] = phone
        try:
            normal = customers.phone_normalize(phone)
            # In the public schema, whatever the host: the limits' counters and the
            # record of the SMS are the platform's, shared with the app's sign-in, so
            # no merchant's host gives a phone a fresh allowance of codes.
            with schema_context(get_public_schema_name()):
                customers.otp_request(
                    phone=normal,
                    ip=client_ip(request),
                    language=_language(request),
                    device_token=device_token_of(request),
                )
        except DomainError as error:
            context["error"] = refusal_text(error)
            return render(request, "card/signin.html", context, status=error.status)
        query = urlencode({"phone": normal, "next": context["next"]})
        return redirect(f"{reverse('card-signin-code')}?{query}")
    return render(request, "card/signin.html", context)


@require_http_methods(["GET", "POST"])
def signin_code(request: HttpRequest) -> HttpResponse:
    """Step 2: the code from the SMS. Right, the browser is signed in for a year."""
    phone = (request.POST.get("phone") or request.GET.get("phone") or "").strip()[:32]
    if not phone:
        return redirect("card-signin")
    context: dict[str, Any] = {"next": next_of(request), "phone": phone, "error": ""}
    if request.method == "POST":
        code = request.POST.get("code", "").strip()[:12]
        try:
            with schema_context(get_public_schema_name()):
                customer, _created = customers.customer_sign_in(phone=phone, code=code)
        except DomainError as error:
            context["error"] = refusal_text(error)
            return render(request, "card/signin_code.html", context, status=error.status)
        response = redirect(context["next"])
        session_start(
            request,
            response,
            customer,
            device_token=customers.device_token_issue(phone=customer.phone),
        )
        return response
    return render(request, "card/signin_code.html", context)


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    response = redirect("card-signin")
    session_end(request, response)
    return response
