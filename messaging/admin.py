"""The platform's own messages (mail to merchant owners), on the root domain's
dashboard. Members' messages are in each merchant's dashboard."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from loyalty.admin_sites import platform_site

from .models import Delivery
from .relay import deliveries_retry


@admin.register(Delivery, site=platform_site)
class PlatformDeliveryAdmin(ModelAdmin):
    list_display = ("created_at", "channel", "to", "title", "status", "attempts", "last_error")
    list_filter = ("status", "channel")
    search_fields = ("to", "title")
    ordering = ("-id",)
    exclude = ("sealed",)
    actions = ["retry"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(description=_("Send again (failed ones)"), permissions=["view"])
    def retry(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        count = deliveries_retry(list(queryset.values_list("pk", flat=True)))
        messages.success(request, _("%(count)s message(s) queued again.") % {"count": count})
