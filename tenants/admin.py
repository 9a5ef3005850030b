from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline

from billing.models import Invoice
from billing.money import stripe_decimal
from billing.selectors import billing_state_q
from loyalty.admin_sites import platform_site
from loyalty.forms import UnfoldForm

from . import services
from .models import Domain, Merchant, SchemaTemplate
from .selectors import merchant_host
from .stats import merchants_with_figures


class CreateMerchantForm(UnfoldForm):
    name = forms.CharField(label=_("Business name"), max_length=120)
    # Addresses read left to right in Arabic too.
    slug = forms.SlugField(
        label=_("Web address"), max_length=40, widget=forms.TextInput(attrs={"dir": "ltr"})
    )
    owner_email = forms.EmailField(
        label=_("Owner's email"), widget=forms.EmailInput(attrs={"dir": "ltr"})
    )
    category = forms.ChoiceField(label=_("Category"), choices=Merchant.Category.choices)
    city = forms.CharField(label=_("City"), max_length=80, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slug"].help_text = _(
            "Their address: e.g. cafe-aroma gives cafe-aroma.%(domain)s"
        ) % {"domain": settings.BASE_DOMAIN}


class SuspendForm(UnfoldForm):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=255,
        help_text=_("Shown on the merchant's suspended page, to the owner, staff and members."),
    )


class DomainForm(forms.ModelForm):
    class Meta:
        model = Domain
        fields = ("domain", "is_primary")
        labels = {"domain": _("Domain"), "is_primary": _("Primary")}


class DomainInline(TabularInline):
    model = Domain
    form = DomainForm
    extra = 0


# Why a merchant is read-only (Merchant.read_only_reason), as the platform reads it.
READ_ONLY_REASONS = {
    "trial_ended": _("the trial ended"),
    "canceled": _("canceled"),
    "unpaid": _("not paid"),
}


class BillingFilter(admin.SimpleListFilter):
    """Merchants by billing state, with the clock applied (as the dashboard counts)."""

    title = _("Billing")
    parameter_name = "billing"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
        return Merchant.Billing.choices

    def queryset(self, request: HttpRequest, queryset: QuerySet[Merchant]) -> QuerySet[Merchant]:
        if self.value() in Merchant.Billing.values:
            return queryset.filter(billing_state_q(str(self.value()), now=timezone.now()))
        return queryset


@admin.register(Merchant, site=platform_site)
class MerchantAdmin(ModelAdmin):
    list_display = (
        "name",
        "slug",
        "category",
        "city",
        "status",
        "plan",
        "billing",
        "members",
        "points_30_days",
        "last_active",
        "trial_ends_at",
        "created_at",
    )
    list_filter = ("status", BillingFilter, "plan", "category", "city")
    search_fields = ("name", "name_ar", "slug", "contact_email")
    # Suspension goes through the list's actions (a reason, a confirmation, who and when).
    readonly_fields = (
        "schema",
        "slug",
        "status",
        "suspended_reason",
        "suspended_at",
        "suspended_by",
        "created_at",
        "billing_history",
    )
    exclude = ("schema_name",)

    @admin.display(description=_("Billing"))
    def billing(self, merchant: Merchant) -> str:
        return str(Merchant.Billing(merchant.billing_state()).label)

    @admin.display(description=_("Billing history"))
    def billing_history(self, merchant: Merchant) -> str:
        """The billing state, the Stripe subscription, the invoices and the last Stripe
        events of the merchant, as the webhook recorded them."""
        from billing.models import StripeEvent, Subscription

        subscription = Subscription.objects.filter(merchant=merchant).select_related("plan").first()
        invoices = Invoice.objects.filter(merchant=merchant).order_by("-created", "-pk")[:24]
        return render_to_string(
            "platform/merchant_billing.html",
            {
                "merchant": merchant,
                "state": Merchant.Billing(merchant.billing_state()).label,
                "reason": READ_ONLY_REASONS.get(merchant.read_only_reason, ""),
                "subscription": subscription,
                "subscription_amount": (
                    stripe_decimal(subscription.monthly_amount, subscription.currency)
                    if subscription and subscription.currency
                    else None
                ),
                "invoices": [
                    (
                        invoice,
                        stripe_decimal(invoice.amount_due, invoice.currency),
                        stripe_decimal(invoice.amount_paid, invoice.currency),
                    )
                    for invoice in invoices
                ],
                "events": StripeEvent.objects.filter(merchant=merchant).order_by("-created")[:10],
            },
        )

    @admin.display(description=_("schema"))
    def schema(self, merchant: Merchant) -> str:
        return format_html("<code>{}</code>", merchant.schema_name)

    inlines = [DomainInline]
    actions = ["suspend", "resume"]
    change_list_template = "platform/merchant_change_list.html"

    def get_urls(self) -> list[Any]:
        create = path(
            "create/", self.admin_site.admin_view(self.create_view), name="tenants_merchant_create"
        )
        return [create, *super().get_urls()]

    def create_view(self, request: HttpRequest) -> HttpResponse:
        """Create a merchant with its schema and owner; the owner is mailed a link to
        choose their password (no password is ever shown here)."""
        if not request.user.is_superuser:
            raise PermissionDenied
        form = CreateMerchantForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                created = services.merchant_create(
                    name=data["name"],
                    slug=data["slug"],
                    owner_email=data["owner_email"],
                    category=data["category"],
                    city=data["city"],
                    language=(translation.get_language() or "en")[:2],
                )
            except ValidationError as error:
                form.add_error("slug", error)
            else:
                messages.success(
                    request,
                    _(
                        "%(name)s is ready at %(host)s. We mailed %(email)s a link to choose "
                        "a password and sign in."
                    )
                    % {
                        "name": created.merchant.name,
                        "host": merchant_host(created.merchant),
                        "email": created.owner.email,
                    },
                )
                return HttpResponseRedirect(reverse("platform_admin:tenants_merchant_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "title": _("Create merchant"),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "platform/merchant_create.html", context)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Merchant]:
        return merchants_with_figures()

    @admin.display(description=_("Members"), ordering="member_count")
    def members(self, obj: Merchant) -> int:
        return getattr(obj, "member_count", None) or 0

    @admin.display(description=_("Points, 30 days"), ordering="issued_30d")
    def points_30_days(self, obj: Merchant) -> int:
        return getattr(obj, "issued_30d", 0)

    @admin.display(description=_("Last active"), ordering="last_active")
    def last_active(self, obj: Merchant) -> Any:
        return getattr(obj, "last_active", None)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A merchant is created with its schema and owner: `create_merchant` or signup.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Merchant | None = None) -> bool:
        return False

    def _confirm(
        self,
        request: HttpRequest,
        queryset: QuerySet[Merchant],
        action: str,
        form: SuspendForm | None,
    ) -> TemplateResponse:
        """The page between choosing the action and doing it (as Django's "delete
        selected" asks): the merchants it touches, and the reason when suspending."""
        context = {
            **self.admin_site.each_context(request),
            "title": _("Suspend merchants?") if action == "suspend" else _("Resume merchants?"),
            "action": action,
            "merchants": queryset,
            "form": form,
            "opts": self.model._meta,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "platform/merchant_confirm_action.html", context)

    @admin.action(description=_("Suspend selected merchants"))
    def suspend(self, request: HttpRequest, queryset: QuerySet[Merchant]) -> HttpResponse | None:
        form = SuspendForm(request.POST if "confirmed" in request.POST else None)
        if not form.is_valid():
            return self._confirm(request, queryset, "suspend", form)
        actor = request.user.get_username()
        for merchant in queryset:
            services.merchant_suspend(
                merchant=merchant, reason=form.cleaned_data["reason"], actor=actor
            )
            self.log_change(request, merchant, f"suspended: {form.cleaned_data['reason']}")
        messages.success(
            request, _("%(count)s merchant(s) suspended.") % {"count": queryset.count()}
        )
        return None

    @admin.action(description=_("Resume selected merchants"))
    def resume(self, request: HttpRequest, queryset: QuerySet[Merchant]) -> HttpResponse | None:
        if "confirmed" not in request.POST:
            return self._confirm(request, queryset, "resume", None)
        for merchant in queryset:
            services.merchant_resume(merchant=merchant)
            self.log_change(request, merchant, "resumed")
        messages.success(request, _("%(count)s merchant(s) resumed.") % {"count": queryset.count()})
        return None


@admin.register(SchemaTemplate, site=platform_site)
class SchemaTemplateAdmin(ModelAdmin):
    list_display = ("fingerprint", "statement_count", "created_at")
    fields = ("fingerprint", "statement_count", "created_at", "sql")
    readonly_fields = fields

    @admin.display(description=_("script"))
    def sql(self, template: SchemaTemplate) -> str:
        return format_html("<pre><code>{}</code></pre>", template.script)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
