from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from loyalty.admin_sites import platform_site
from loyalty.formatting import money_text

from .models import Invoice, MessageUsage, Plan, Subscription
from .money import stripe_decimal


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
