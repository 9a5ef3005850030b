from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from loyalty.admin_sites import platform_site

from .models import MessageUsage, Plan, StripeEvent


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


@admin.register(StripeEvent, site=platform_site)
class StripeEventAdmin(ModelAdmin):
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

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False
