from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from loyalty.admin_sites import platform_site
from loyalty.errors import DomainError
from loyalty.formatting import money_text

from .models import Invoice, MessageUsage, Plan, StripeEvent, Subscription
from .money import stripe_decimal
from .stripe_api import billing_configured
from .stripe_prices import plan_prices_sync


@admin.register(Plan, site=platform_site)
class PlanAdmin(ModelAdmin):
    list_display = (
        "name",
        "name_ar",
        "plan_code",
        "price",
        "max_members",
        "max_staff",
        "max_rewards",
        "sms_per_month",
        "whatsapp",
        "is_public",
    )
    ordering = ("sort", "price")
    # Set by the sync below from what Stripe answered, never by hand.
    readonly_fields = (
        "stripe_product_id",
        "stripe_price_id",
        "stripe_price_amount",
        "stripe_price_currency",
    )
    actions = ["stripe_prices_sync"]

    @admin.action(description=_("Bring the Stripe prices in step with these plans"))
    def stripe_prices_sync(self, request: HttpRequest, queryset: QuerySet[Plan]) -> None:
        if not billing_configured():
            self.message_user(
                request,
                gettext("Online billing is not configured: set STRIPE_SECRET_KEY first."),
                messages.ERROR,
            )
            return
        try:
            report = plan_prices_sync(plans=queryset)
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
            return
        for line in report.created:
            self.message_user(request, gettext("New Stripe price: %s") % line, messages.SUCCESS)
        for line in report.replaced:
            self.message_user(
                request,
                gettext("New Stripe price, the old one archived: %s") % line,
                messages.SUCCESS,
            )
        for line in report.skipped:
            self.message_user(request, gettext("Not sold online: %s") % line, messages.WARNING)
        if not report.changed and not report.skipped:
            self.message_user(
                request, gettext("The Stripe prices were already in step."), messages.INFO
            )

    @admin.display(description=_("code"), ordering="code")
    def plan_code(self, plan: Plan) -> str:
        return format_html("<code>{}</code>", plan.code)

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False  # merchants point at their plan


@admin.register(MessageUsage, site=platform_site)
class MessageUsageAdmin(ModelAdmin):
    list_display = ("merchant", "month", "texts")
    list_filter = ("month",)
    list_select_related = ("merchant",)
    ordering = ("-month", "-texts")

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


class ReadOnlyAdmin(ModelAdmin):
    """Stripe's records as the webhook stored them: read here, changed only by Stripe."""

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(StripeEvent, site=platform_site)
class StripeEventAdmin(ReadOnlyAdmin):
    """What Stripe told the platform, read-only: an event with an error is one to look
    at (an unknown customer, or Stripe's API failing while it was processed)."""

    list_display = ("event_id", "type", "created", "merchant", "processed_at", "error")
    list_filter = ("type",)
    list_select_related = ("merchant",)
    search_fields = ("event_id",)
    readonly_fields = (
        "event_id",
        "type",
        "created",
        "received_at",
        "processed_at",
        "merchant",
        "error",
        "payload",
    )


@admin.register(Subscription, site=platform_site)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = (
        "merchant",
        "status",
        "plan",
        "amount",
        "current_period_end",
        "cancel_at_period_end",
        "started_at",
    )
    list_filter = ("status", "plan", "cancel_at_period_end")
    list_select_related = ("merchant", "plan")
    search_fields = ("stripe_subscription_id", "merchant__name", "merchant__slug")
    ordering = ("-updated_at",)

    @admin.display(description=_("monthly amount"), ordering="monthly_amount")
    def amount(self, subscription: Subscription) -> str:
        return money_text(
            stripe_decimal(subscription.monthly_amount, subscription.currency or "JOD"),
            subscription.currency or "JOD",
        )


@admin.register(Invoice, site=platform_site)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = (
        "__str__",
        "merchant",
        "created",
        "due",
        "paid",
        "status",
        "paid_at",
        "payment_failed_at",
        "attempt_count",
    )
    list_filter = ("status", ("payment_failed_at", admin.EmptyFieldListFilter))
    list_select_related = ("merchant",)
    search_fields = ("number", "stripe_invoice_id", "merchant__name", "merchant__slug")
    ordering = ("-created",)

    @admin.display(description=_("amount due"), ordering="amount_due")
    def due(self, invoice: Invoice) -> str:
        return money_text(stripe_decimal(invoice.amount_due, invoice.currency), invoice.currency)

    @admin.display(description=_("amount paid"), ordering="amount_paid")
    def paid(self, invoice: Invoice) -> str:
        return money_text(stripe_decimal(invoice.amount_paid, invoice.currency), invoice.currency)
