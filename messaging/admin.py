"""The platform's own messages (mail to merchant owners), on the root domain's
dashboard. Members' messages are in each merchant's dashboard."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, linebreaks
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.decorators import display

from loyalty.admin_sites import platform_site

from .models import Delivery
from .relay import deliveries_retry


class MessageTextMixin:
    """A message's title and text as its reader got them: in their language, marked
    with it, in their own direction (an English mail on the Arabic dashboard)."""

    @display(description=_("title"))
    def title_shown(self, delivery: Delivery) -> str:
        if not delivery.title:
            return "-"
        return format_html(
            '<span lang="{}" dir="auto">{}</span>', delivery.language, delivery.title
        )

    @display(description=_("to"))
    def to_shown(self, delivery: Delivery) -> str:
        return delivery.recipient()

    @display(description=_("text"))
    def body_shown(self, delivery: Delivery) -> str:
        return format_html(
            '<div lang="{}" dir="auto">{}</div>', delivery.language, linebreaks(delivery.body)
        )


@admin.register(Delivery, site=platform_site)
class PlatformDeliveryAdmin(MessageTextMixin, ModelAdmin):
    list_display = (
        "created_at",
        "channel",
        "to_shown",
        "title_shown",
        "status",
        "attempts",
        "last_error",
    )
    list_filter = ("status", "channel")
    search_fields = ("to", "title")
    ordering = ("-id",)
    readonly_fields = (
        "channel",
        "to_shown",
        "language",
        "title_shown",
        "body_shown",
        "status",
        "attempts",
        "next_attempt_at",
        "provider_id",
        "last_error",
        "created_at",
        "sent_at",
    )
    fields = readonly_fields
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
