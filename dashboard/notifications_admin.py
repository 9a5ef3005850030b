"""Notifications in the merchant dashboard: templates with a preview, the delivery log
with its dead letters, and broadcasts."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.decorators import action, display

from loyalty.admin_sites import merchant_site
from loyalty.errors import DomainError
from loyalty.formatting import points_text
from messaging.admin import MessageTextMixin
from messaging.models import Channel, Delivery, EventSetting
from messaging.relay import deliveries_retry, event_settings, override_of, sender_current
from messaging.texts import COMMON_FIELDS, FIELDS, template_validate
from messaging.texts import render as text_render
from notifications import services
from notifications.models import Broadcast
from notifications.selectors import broadcast_reach

from .gates import plan_limit_check, refusal_message
from .permissions import RoleAdmin, require, staff_user

# What the preview fills the placeholders with.
SAMPLE = {
    "name": "Lina",
    "points": 750,
    "balance": 1250,
    "tier": "Gold",
    "tier_ar": "ذهبي",
    "previous_tier": "Silver",
    "multiplier": "1.5",
    "needed": 300,
    "review_on": "2026-12-31",
    "reward": "Free coffee",
    "reward_ar": "قهوة مجانية",
    "voucher_code": "K7M2QX",
    "reason": "Out of stock",
    "expires_on": "2026-12-31",
}


class WhatsappInPlan(forms.ModelForm):
    """WhatsApp, when the owner ticks it, must be in the merchant's plan: refused as it
    is saved (`plan_limit_reached`, limit "whatsapp"), with the way to upgrade."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("whatsapp") and "whatsapp" in self.changed_data:
            plan_limit_check(self, "whatsapp", "whatsapp")
        return cleaned


class EventSettingForm(WhatsappInPlan):
    class Meta:
        model = EventSetting
        fields = ("push", "email", "sms", "whatsapp", "title_en", "body_en", "title_ar", "body_ar")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for field in ("title_en", "body_en", "title_ar", "body_ar"):
            try:
                template_validate(self.instance.event, cleaned.get(field, ""))
            except forms.ValidationError as error:
                self.add_error(field, error)
        return cleaned


@admin.register(EventSetting, site=merchant_site)
class EventSettingAdmin(RoleAdmin):
    view_permission = "notifications.edit"
    edit_permission = "notifications.edit"
    form = EventSettingForm
    list_display = ("event", "push", "email", "sms", "whatsapp", "custom_text")
    list_editable = ("push", "email", "sms", "whatsapp")
    readonly_fields = ("event", "placeholders", "preview")
    fieldsets = (
        (None, {"fields": ("event",)}),
        (_("Channels"), {"fields": ("push", "email", "sms", "whatsapp")}),
        (
            _("Your wording (leave empty for ours)"),
            {"fields": ("placeholders", "title_en", "body_en", "title_ar", "body_ar")},
        ),
        (_("Preview"), {"fields": ("preview",)}),
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_changelist_form(self, request: HttpRequest, **kwargs: Any) -> Any:
        # The channels ticked in the list are checked against the plan too.
        return super().get_changelist_form(request, form=WhatsappInPlan, **kwargs)

    def get_queryset(self, request: HttpRequest) -> QuerySet[EventSetting]:
        # A broadcast brings its own channels and wording.
        return super().get_queryset(request).exclude(event="broadcast")

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        event_settings()  # every event has its row, with the default channels
        return super().changelist_view(request, extra_context)

    @display(description=_("Own wording"), boolean=True)
    def custom_text(self, setting: EventSetting) -> bool:
        return any((setting.title_en, setting.body_en, setting.title_ar, setting.body_ar))

    @display(description=_("Placeholders you can use"))
    def placeholders(self, setting: EventSetting) -> str:
        names = (*COMMON_FIELDS, *FIELDS.get(setting.event, ()))
        return format_html_join(" ", "<code>{{{}}}</code>", ((n,) for n in names))

    @display(description=_("Preview"))
    def preview(self, setting: EventSetting) -> str:
        sender = sender_current()
        rows = []
        for language, label in (("en", "English"), ("ar", "العربية")):
            text = text_render(
                setting.event,
                language,
                SAMPLE,
                sender.name_in(language),
                override_of(setting, language),
            )
            direction = "rtl" if language == "ar" else "ltr"
            rows.append((label, language, direction, text.title, text.body))
        return format_html_join(
            "",
            '<div lang="{1}" dir="{2}" style="margin-bottom:12px"><small>{0}</small><br>'
            "<strong>{3}</strong><br>{4}</div>",
            (
                (label, language, direction, title, body)
                for label, language, direction, title, body in rows
            ),
        )


def dead_letters_badge(request: HttpRequest) -> str:
    """The sidebar badge: messages that failed for good and wait for a decision."""
    count = Delivery.objects.filter(status=Delivery.Status.DEAD).count()
    return str(count) if count else ""


@admin.register(Delivery, site=merchant_site)
class DeliveryAdmin(MessageTextMixin, RoleAdmin):
    """Every message on every channel; dead letters can be sent again."""

    view_permission = "notifications.edit"
    list_display = (
        "created_at",
        "event",
        "channel",
        "to_shown",
        "title_shown",
        "status",
        "attempts",
        "reason",
    )
    list_filter = ("status", "channel", "message__event")
    search_fields = ("to", "body", "provider_id")
    list_select_related = ("message",)
    ordering = ("-id",)
    actions = ["retry"]
    readonly_fields = (
        "message",
        "channel",
        "to_shown",
        "language",
        "title_shown",
        "body_shown",
        "status",
        "attempts",
        "next_attempt_at",
        "provider_id",
        "reason",
        "created_at",
        "sent_at",
    )
    fields = readonly_fields

    @display(description=_("last error"))
    def reason(self, delivery: Delivery) -> str:
        # Our own reasons are stored in English and shown translated; a provider's
        # error text is shown as it came.
        return gettext(delivery.last_error) if delivery.last_error else "-"

    @display(description=_("Event"))
    def event(self, delivery: Delivery) -> str:
        return delivery.message.get_event_display()

    @admin.action(description=_("Send again (failed ones)"))
    def retry(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        require(request, "notifications.edit")
        count = deliveries_retry(list(queryset.values_list("pk", flat=True)))
        messages.success(request, _("%(count)s message(s) queued again.") % {"count": count})


class BroadcastForm(WhatsappInPlan):
    class Meta:
        model = Broadcast
        fields = (
            "title_en",
            "body_en",
            "title_ar",
            "body_ar",
            "segment",
            "tier",
            "push",
            "email",
            "sms",
            "whatsapp",
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        draft = Broadcast(**{f: cleaned.get(f) for f in self.Meta.fields if f in cleaned})
        try:
            services.broadcast_validate(draft)
        except forms.ValidationError as invalid:
            self.add_error(None, invalid)
        return cleaned


def _reach_context(segment: str, tier_id: int | None, channels: list[str]) -> dict[str, Any]:
    reach = broadcast_reach(segment=segment, tier_id=tier_id, channels=channels)
    labels = dict(Channel.choices)
    return {
        "reach": reach,
        "reach_channels": [(c, labels[c], reach.by_channel[c]) for c in channels],
    }


def _tier_id(value: object) -> int | None:
    text = str(value or "")
    return int(text) if text.isdigit() and int(text) < 2**63 else None


@admin.register(Broadcast, site=merchant_site)
class BroadcastAdmin(RoleAdmin):
    view_permission = "notifications.edit"
    edit_permission = "notifications.edit"
    form = BroadcastForm
    list_display = ("title_en", "segment", "status", "audience_size", "progress", "sent_at")
    list_filter = ("status", "segment")
    actions_detail = ["send"]
    change_form_template = "dashboard/broadcast_change_form.html"
    readonly_fields = ("status", "audience", "progress", "sent_at", "created_by")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and obj.status != Broadcast.Status.DRAFT:
            return (*BroadcastForm.Meta.fields, *self.readonly_fields)
        return self.readonly_fields

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = super().get_fields(request, obj)
        if obj is None or obj.status == Broadcast.Status.DRAFT:
            # A draft's audience is shown live under the form, as it is being chosen.
            return [f for f in fields if f not in ("audience", "progress", "sent_at")]
        return fields

    def get_urls(self) -> list[URLPattern]:
        reach = path(
            "audience/",
            self.admin_site.admin_view(self.audience_view),
            name="notifications_broadcast_audience",
        )
        return [reach, *super().get_urls()]

    def audience_view(self, request: HttpRequest) -> HttpResponse:
        """The audience of the segment being chosen on the form, and how many of its
        members agreed to each chosen channel (the form asks as it changes)."""
        require(request, "notifications.edit")
        segment = request.GET.get("segment", "")
        if segment not in Broadcast.Segment.values:
            segment = Broadcast.Segment.ALL
        channels = [c for c in Channel.values if request.GET.get(c) in ("on", "true", "1")]
        context = _reach_context(segment, _tier_id(request.GET.get("tier")), channels)
        return TemplateResponse(request, "dashboard/broadcast_reach.html", context)

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        broadcast = self.get_object(request, object_id) if object_id else None
        if broadcast is None or broadcast.status == Broadcast.Status.DRAFT:
            draft = broadcast or Broadcast()
            extra_context = {
                **(extra_context or {}),
                **_reach_context(draft.segment, draft.tier_id, draft.channels()),
                "reach_url": reverse("merchant_admin:notifications_broadcast_audience"),
            }
        return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request: HttpRequest, obj: Broadcast, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = staff_user(request)
        super().save_model(request, obj, form, change)

    @display(description=_("Audience"))
    def audience(self, broadcast: Broadcast) -> str:
        return _("%(count)s member(s)") % {"count": points_text(broadcast.audience_size)}

    @display(description=_("Progress"))
    def progress(self, broadcast: Broadcast) -> str:
        if broadcast.status == Broadcast.Status.DRAFT:
            return "-"
        p = services.broadcast_progress(broadcast)
        parts = [
            (_("reached"), p.reached, _("Delivered on at least one channel.")),
            (
                _("waiting"),
                p.waiting,
                _("Not delivered yet: queued, held for the morning or retried."),
            ),
            (_("skipped"), p.skipped, _("Every channel skipped: no consent or no address there.")),
            (_("failed"), p.failed, _("Nothing delivered: a channel failed for good.")),
        ]
        return format_html(
            '<span data-progress="{}">{}</span>',
            "/".join(str(n) for _label, n, _help in parts),
            format_html_join(
                ", ",
                '<span title="{}">{} {}</span>',
                ((help, points_text(n), label) for label, n, help in parts),
            ),
        )

    @action(description=_("Send now"), url_path="send", icon="send")
    def send(self, request: HttpRequest, object_id: int) -> HttpResponse:
        require(request, "notifications.edit")
        back = HttpResponseRedirect(
            reverse("merchant_admin:notifications_broadcast_change", args=[object_id])
        )
        broadcast = self.get_object(request, str(object_id))  # None for a bad or unknown id
        if broadcast is None:
            raise Http404
        if request.method != "POST":  # a link shows what will happen; the form sends
            if broadcast.status != Broadcast.Status.DRAFT:
                messages.info(request, _("This broadcast has already been sent."))
                return back
            context = {
                **self.admin_site.each_context(request),
                **_reach_context(broadcast.segment, broadcast.tier_id, broadcast.channels()),
                "broadcast": broadcast,
                "back": back.url,
                "title": _("Send broadcast"),
                "opts": self.model._meta,
            }
            return TemplateResponse(request, "dashboard/broadcast_send.html", context)
        try:
            broadcast = services.broadcast_send(broadcast_id=broadcast.pk)
            messages.success(
                request,
                _("Sending to %(count)s member(s).") % {"count": broadcast.audience_size},
            )
        except DomainError as error:
            messages.error(request, refusal_message(error))
        return back
