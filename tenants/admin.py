from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from unfold.admin import ModelAdmin, TabularInline

from loyalty.admin_sites import platform_site

from . import services
from .models import Domain, Merchant, SchemaTemplate
from .stats import merchants_with_figures


class DomainInline(TabularInline):
    model = Domain
    extra = 0


@admin.register(Merchant, site=platform_site)
class MerchantAdmin(ModelAdmin):
    list_display = (
        "name",
        "slug",
        "category",
        "city",
        "status",
        "members",
        "points_30_days",
        "last_active",
        "trial_ends_at",
        "created_at",
    )
    list_filter = ("status", "category", "city")
    search_fields = ("name", "name_ar", "slug", "contact_email")
    readonly_fields = ("schema_name", "slug", "created_at")
    inlines = [DomainInline]
    actions = ["suspend", "resume"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Merchant]:
        return merchants_with_figures()

    @admin.display(description="Members", ordering="member_count")
    def members(self, obj: Merchant) -> int:
        return getattr(obj, "member_count", None) or 0

    @admin.display(description="Points, 30 days", ordering="issued_30d")
    def points_30_days(self, obj: Merchant) -> int:
        return getattr(obj, "issued_30d", 0)

    @admin.display(description="Last active", ordering="last_active")
    def last_active(self, obj: Merchant) -> Any:
        return getattr(obj, "last_active", None)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A merchant is created with its schema and owner: `create_merchant` or signup.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Merchant | None = None) -> bool:
        return False

    @admin.action(description="Suspend selected merchants")
    def suspend(self, request: HttpRequest, queryset: QuerySet[Merchant]) -> None:
        for merchant in queryset:
            services.merchant_suspend(merchant=merchant, reason="Suspended by the platform")
        messages.success(request, f"{queryset.count()} merchant(s) suspended.")

    @admin.action(description="Resume selected merchants")
    def resume(self, request: HttpRequest, queryset: QuerySet[Merchant]) -> None:
        for merchant in queryset:
            services.merchant_resume(merchant=merchant)
        messages.success(request, f"{queryset.count()} merchant(s) resumed.")


@admin.register(SchemaTemplate, site=platform_site)
class SchemaTemplateAdmin(ModelAdmin):
    list_display = ("fingerprint", "statement_count", "created_at")
    readonly_fields = ("fingerprint", "statement_count", "created_at", "script")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
