"""The dashboard of a merchant whose subscription lapsed, and refusals by the plan.

A read-only merchant's dashboard shows every page and changes nothing: the model
pages offer no add, save or delete (`RoleAdmin` asks `merchant_read_only`), and every
POST the merchant site serves is refused with the `merchant_inactive` message
(`read_only_refusal`, from `MerchantAdminSite.admin_view`), except what the owner
needs to pay again or to leave: the subscription pages, the password change, sign-out
and the email-confirmation link. Language choice (/i18n/) is outside the site. The
counter's JSON views answer by their services' gate, in the API's error shape.
"""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from billing.limits import plan_limit_require
from loyalty.errors import DomainError
from tenants.models import Merchant
from tenants.selectors import merchant_current
from tenants.services import merchant_writable_require

# The merchant site's views a read-only merchant may still POST to.
OPEN_VIEWS = {"password_change", "logout", "owner_email_check_send"}
OPEN_PREFIXES = ("subscription", "counter_")


def merchant_read_only(request: HttpRequest) -> bool:
    """Whether the request's merchant is read-only (its subscription lapsed)."""
    tenant = getattr(request, "tenant", None)
    merchant = tenant if isinstance(tenant, Merchant) else merchant_current()
    return merchant.is_read_only


def refusal_message(error: DomainError) -> str | SafeString:
    """A service's refusal as the dashboard shows it: a plan's limit or a lapsed
    subscription comes with the way out, a link to the subscription page."""
    if error.code not in ("plan_limit_reached", "merchant_inactive"):
        return error.message
    return format_html(
        '{} <a href="{}" class="font-semibold underline" data-testid="upgrade">{}</a>',
        error.message,
        reverse("merchant_admin:subscription"),
        _("Upgrade") if error.code == "plan_limit_reached" else _("Renew the plan"),
    )


def _back(request: HttpRequest) -> str:
    """Where a refused POST goes: a model page's list, or the page it came from."""
    match = request.resolver_match
    model_admin = getattr(match.func, "model_admin", None) if match else None
    if model_admin is not None:
        opts = model_admin.model._meta
        try:
            return reverse(f"merchant_admin:{opts.app_label}_{opts.model_name}_changelist")
        except NoReverseMatch:
            pass
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return reverse("merchant_admin:index")


def read_only_refusal(request: HttpRequest) -> HttpResponse | None:
    """The answer to a change a read-only merchant's dashboard refuses (None: go on)."""
    if request.method in ("GET", "HEAD", "OPTIONS") or not merchant_read_only(request):
        return None
    match = request.resolver_match
    name = (match.url_name or "") if match else ""
    if name in OPEN_VIEWS or name.startswith(OPEN_PREFIXES):
        return None
    if request.path.startswith(reverse("merchant_admin:subscription")):
        return None  # /admin/subscription/...: choosing a plan and paying
    try:
        merchant_writable_require()
    except DomainError as refused:
        messages.error(request, refusal_message(refused))
    return HttpResponseRedirect(_back(request))


def plan_limit_check(form: forms.BaseForm, limit: str, field: str | None = None) -> None:
    """Ask the plan's `limit` while the form is checked, to show a refusal on the form
    with the way to upgrade; the service asks again, under its lock, when it saves."""
    try:
        plan_limit_require(limit)
    except DomainError as refused:
        form.add_error(field, refusal_message(refused))
