"""The two dashboards: the platform's on the root domain, each merchant's on its host.

They are separate admin sites so a model registered for the platform (merchants,
plans) can never be reached from a merchant host, where the public schema is still on
the search path.
"""

import json
from typing import Any

from django import forms
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user
from django_otp.forms import OTPAuthenticationFormMixin
from unfold.admin import ModelAdmin
from unfold.forms import (
    AdminPasswordChangeForm,
    AuthenticationForm,
    UserChangeForm,
    UserCreationForm,
)
from unfold.sites import UnfoldAdminSite

from loyalty import lockout


class LockoutAuthenticationForm(AuthenticationForm):
    """The sign-in form under the lockout policy (loyalty/lockout.py): a locked account
    is told when it may try again."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Staff sign in with their email: say so, and let phones offer the email keyboard.
        self.fields["username"].label = _("Email")
        self.fields["username"].widget.attrs.update({"inputmode": "email"})

    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()
        except ValidationError:
            self._refuse_if_locked()
            raise

    def _refuse_if_locked(self) -> None:
        refused = lockout.refusal(self.request)
        if refused is not None:
            raise ValidationError(refused[1], code="locked_out")


class PlatformLoginForm(LockoutAuthenticationForm, OTPAuthenticationFormMixin):
    """Password and the code of the admin's authenticator app (TOTP). A wrong code
    counts as a failed sign-in, like a wrong password."""

    otp_token = forms.CharField(
        label=_("Authenticator code"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        user = self.get_user()
        # Each admin has one authenticator: choose it rather than asking.
        device = next(devices_for_user(user, confirmed=True), None) if user else None
        if device is not None:
            cleaned["otp_device"] = device.persistent_id
        try:
            self.clean_otp(user)
        except ValidationError:
            lockout.login_failed(self.request, cleaned.get("username") or "")
            self._refuse_if_locked()
            raise
        return cleaned


class PlatformAdminSite(UnfoldAdminSite):
    """The root domain's dashboard: platform admins, with password and TOTP."""

    site_header = _("Loyalty platform")
    site_title = _("Loyalty platform")
    index_title = _("Platform")
    login_template = "platform/login.html"
    index_template = "platform/index.html"

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        from billing.selectors import billing_overview
        from tenants.models import Merchant
        from tenants.stats import platform_overview

        overview = platform_overview()
        billing = billing_overview()
        labels = {
            "active_merchants": _("Active merchants"),
            "suspended_merchants": _("Suspended"),
            "members": _("Members"),
            "points_issued_today": _("Points issued today"),
            "messages_sent_today": _("Messages sent today"),
            "mrr": _("Monthly recurring revenue"),
        }
        context = {
            "kpis": [(labels[k], k, v) for k, v in overview.kpis.items()],
            "points_chart": json.dumps(overview.points_per_day),
            # Axis figures in Latin digits, as every other figure on the page.
            "chart_options": json.dumps({"locale": "en", "maintainAspectRatio": False}),
            "billing": billing,
            "billing_states": [
                (state, label, billing.states[state]) for state, label in Merchant.Billing.choices
            ],
            **(extra_context or {}),
        }
        return super().index(request, context)

    def __init__(self, name: str = "platform_admin") -> None:
        super().__init__(name)
        self.login_form = PlatformLoginForm

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and bool(
            getattr(request.user, "is_verified", lambda: False)()
        )


class MerchantAdminSite(UnfoldAdminSite):
    index_title = _("Dashboard")
    settings_name = "UNFOLD_MERCHANT"
    login_form = LockoutAuthenticationForm
    login_template = "dashboard/login.html"

    index_template = "dashboard/index.html"

    def admin_view(self, view: Any, cacheable: bool = False) -> Any:
        """Every page of the site, behind the read-only gate of a lapsed subscription
        (dashboard.gates): a refused POST is answered before the view runs."""
        from functools import wraps

        from dashboard.gates import read_only_refusal

        @wraps(view)
        def gated(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            return read_only_refusal(request) or view(request, *args, **kwargs)

        return super().admin_view(gated, cacheable)

    def extra_urls(self) -> list[Any]:
        from django.urls import path

        from dashboard import billing_views, views

        return [
            path("counter/", self.admin_view(views.counter), name="counter"),
            path("counter/lookup", self.admin_view(views.counter_lookup), name="counter_lookup"),
            path("counter/earn", self.admin_view(views.counter_earn), name="counter_earn"),
            path("counter/enrol", self.admin_view(views.counter_enrol), name="counter_enrol"),
            path(
                "counter/enrol/confirm",
                self.admin_view(views.counter_enrol_confirm),
                name="counter_enrol_confirm",
            ),
            path("counter/voucher", self.admin_view(views.counter_voucher), name="counter_voucher"),
            path("poster/", self.admin_view(views.poster), name="join_poster"),
            path("poster.pdf", self.admin_view(views.poster_pdf), name="join_poster_pdf"),
            path("subscription/", self.admin_view(billing_views.subscription), name="subscription"),
            path(
                "subscription/choose/",
                self.admin_view(billing_views.subscription_choose),
                name="subscription_choose",
            ),
            path(
                "subscription/done/",
                self.admin_view(billing_views.subscription_done),
                name="subscription_done",
            ),
            path(
                "subscription/changed/",
                self.admin_view(billing_views.subscription_changed),
                name="subscription_changed",
            ),
            path(
                "subscription/portal/",
                self.admin_view(billing_views.subscription_portal),
                name="subscription_portal",
            ),
            path("profile/", self.admin_view(views.profile), name="profile"),
            path(
                "email-check/send/",
                self.admin_view(views.owner_email_check_again),
                name="owner_email_check_send",
            ),
        ]

    def each_context(self, request: HttpRequest) -> dict[str, Any]:
        context = super().each_context(request)
        merchant = getattr(request, "tenant", None)
        if merchant is not None:
            context["site_header"] = merchant.name
            context["site_title"] = merchant.name
            # A banner on every page until the owner confirms the email address.
            context["owner_email_unverified"] = not merchant.email_verified
            context["owner_email"] = merchant.contact_email
            # Kept whole, left to right, inside an Arabic sentence.
            context["owner_email_isolated"] = format_html("<bdi>{}</bdi>", merchant.contact_email)
            # The trial's countdown, a payment due or a lapsed plan, on every page.
            from dashboard.billing_views import billing_banner

            context["billing_banner"] = billing_banner(request, merchant)
        return context


platform_site = PlatformAdminSite(name="platform_admin")
merchant_site = MerchantAdminSite(name="merchant_admin")


class PermissionNames:
    """Permissions named in the reader's language: Django stores their names in English
    when it creates them, so a name is made again from the action and the model."""

    ACTIONS = {"add": _("Can add"), "change": _("Can change"), "delete": _("Can delete")}

    def formfield_for_manytomany(
        self, db_field: Any, request: HttpRequest | None = None, **kwargs: Any
    ) -> Any:
        if db_field.name in ("permissions", "user_permissions"):
            # Only what a dashboard has pages for: other tables' permissions do nothing.
            models = [*platform_site._registry, *merchant_site._registry]
            kwargs["queryset"] = Permission.objects.filter(
                content_type__in=ContentType.objects.get_for_models(*models).values()
            ).select_related("content_type")
        field = super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]
        if field is not None and db_field.name in ("permissions", "user_permissions"):
            field.label_from_instance = self._permission_name
        return field

    def _permission_name(self, permission: Any) -> str:
        model = permission.content_type.model_class()
        action = permission.codename.split("_", 1)[0]
        if model is None or action not in (*self.ACTIONS, "view"):
            return str(permission)
        label = self.ACTIONS.get(action) or _("Can view")
        return f"{permission.content_type} | {label} {model._meta.verbose_name}"


class UserAdmin(PermissionNames, BaseUserAdmin, ModelAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = AdminPasswordChangeForm
    list_display = ("username", "email", "first_name", "last_name", "is_active", "last_login")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deleting follows every foreign key to User, merchant tables included, which
        # do not exist in the public schema: deactivate instead, as the merchants do.
        return False


class GroupAdmin(PermissionNames, BaseGroupAdmin, ModelAdmin):
    pass


platform_site.register(User, UserAdmin)
platform_site.register(Group, GroupAdmin)
