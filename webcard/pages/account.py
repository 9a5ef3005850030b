"""The customer's settings on the web card: profile, notification preferences, their
data (export, delete), signing out (customers/api's views, the same services)."""

import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from customers import services
from customers.models import Customer
from loyalty.errors import DomainError

from ..sessions import session_end, sessions_end_all
from ..views import customer_of
from . import member_required, render_local

# The preference fields (customers.services.PREFERENCE_FIELDS), grouped per channel.
CHANNELS = (
    ("push", gettext_lazy("Notifications")),
    ("sms", gettext_lazy("Text messages (SMS)")),
    ("whatsapp", gettext_lazy("WhatsApp")),
    ("email", gettext_lazy("Email")),
)
TIME_ZONES = ("Asia/Amman", "Asia/Riyadh", "Asia/Dubai", "Asia/Kuwait", "Europe/London")


def _settings_page(
    request: HttpRequest, errors: dict[str, str] | None = None, status: int = 200
) -> HttpResponse:
    customer = customer_of(request)
    preference = services.preferences_of(customer)
    channels = [
        {
            "label": label,
            "transactional": f"{channel}_transactional",
            "marketing": f"{channel}_marketing",
            "transactional_on": getattr(preference, f"{channel}_transactional"),
            "marketing_on": getattr(preference, f"{channel}_marketing"),
        }
        for channel, label in CHANNELS
    ]
    form = request.POST if request.method == "POST" and errors else {}
    return render_local(
        request,
        "card/settings.html",
        {
            "customer": customer,
            "name": form.get("name", customer.name),
            "language": form.get("language", customer.language),
            "time_zone": form.get("time_zone", customer.time_zone),
            "languages": Customer.Language.choices,
            "time_zones": TIME_ZONES,
            "channels": channels,
            "errors": errors or {},
            "saved": request.GET.get("saved", ""),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@member_required
def account(request: HttpRequest) -> HttpResponse:
    """GET: the settings; POST: name, language and time zone (customer_update checks
    the time zone); the page then speaks the chosen language."""
    if request.method == "GET":
        return _settings_page(request)
    name = request.POST.get("name", "").strip()
    language = request.POST.get("language", "")
    time_zone = request.POST.get("time_zone", "").strip()
    errors = {}
    if len(name) > 120:
        errors["name"] = _("At most 120 characters.")
    if language not in Customer.Language.values:
        errors["language"] = _("Choose English or Arabic.")
    if not errors:
        try:
            services.customer_update(
                customer=customer_of(request), name=name, language=language, time_zone=time_zone
            )
        except DomainError as error:
            if error.code != "unknown_time_zone":
                raise
            errors["time_zone"] = _("Not a known time zone. Example: Asia/Amman")
    if errors:
        return _settings_page(request, errors, status=422)
    response = redirect(f"{reverse('card-settings')}?saved=profile")
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
    )
    return response


@require_POST
@member_required
def preferences(request: HttpRequest) -> HttpResponse:
    """The channels the customer accepts (a box left unticked is a no), and whether
    they accept marketing at all."""
    customer = customer_of(request)
    chosen = {field: field in request.POST for field in services.PREFERENCE_FIELDS}
    services.preferences_update(customer=customer, **chosen)
    services.customer_update(
        customer=customer, marketing_consent="marketing_consent" in request.POST
    )
    return redirect(f"{reverse('card-settings')}?saved=notifications")


@require_GET
@member_required
def export(request: HttpRequest) -> HttpResponse:
    """Everything held about the customer, as the API's export, as a JSON download."""
    data = services.customer_export(customer=customer_of(request))
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json"
    )
    response["Content-Disposition"] = 'attachment; filename="my-data.json"'
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
@member_required
def delete(request: HttpRequest) -> HttpResponse:
    """GET: what deleting means; POST: the account is closed and signed out everywhere."""
    if request.method == "GET":
        return render_local(request, "card/delete.html", {})
    customer = customer_of(request)
    services.customer_delete(customer=customer)
    sessions_end_all(customer=customer)
    response = redirect("card-signin")
    session_end(request, response)
    return response


@require_POST
@member_required
def signout_everywhere(request: HttpRequest) -> HttpResponse:
    sessions_end_all(customer=customer_of(request))
    response = redirect("card-signin")
    session_end(request, response)
    return response
