"""The merchant dashboard's pages (merchant host, /admin/). Every change goes through
a service; the pages hold no rules of their own."""

import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.db.models import QuerySet, Value
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from unfold.admin import TabularInline
from unfold.decorators import display
from unfold.forms import ActionForm
from unfold.widgets import UnfoldAdminCheckboxSelectMultipleWidget, UnfoldAdminTextInputWidget

from customers.services import phone_normalize
from loyalty import formatting
from loyalty.admin_sites import merchant_site
from loyalty.csvexport import csv_rows
from loyalty.errors import DomainError
from loyalty.formatting import money_text, points_text
from loyalty.forms import UnfoldForm
from loyalty.templatetags.formatting import bdi, ltr, money
from notifications.models import InboxItem
from points import services as points_services
from points.calculation import multiplier_text, threshold_text
from points.models import Campaign, LedgerEntry, Membership, PointsSettings, Tier, TierBasis
from points.selectors import (
    member_name,
    phone_shown,
    phone_whole_for,
    points_settings,
    tier_ladder,
    tier_progress,
)
from points.validation import weekdays_parse
from rewards import services as rewards_services
from rewards.models import Redemption, Reward, RewardCategory
from tenants import services as tenant_services
from tenants.roles import ROLE_LABELS, ROLES, Role, can, role_of
from tenants.selectors import merchant_current, merchant_url

from .gates import plan_limit_check
from .permissions import RoleAdmin, require, staff_user
from .services import setup_step_done


def _currency() -> str:
    return merchant_current().currency


class LedgerLines:
    """How a ledger line reads in a list: figures grouped, the amount in the currency's
    decimals, the explanation in the reader's language with its own direction."""

    @display(description=_("Points"), ordering="points")
    def points_shown(self, entry: LedgerEntry) -> str:
        return formatting.points_text(entry.points)

    @display(description=_("Balance after"))
    def balance_shown(self, entry: LedgerEntry) -> str:
        return formatting.points_text(entry.balance_after)

    @display(description=_("Amount"))
    def amount_shown(self, entry: LedgerEntry) -> str:
        return money(entry.amount, entry.currency or _currency()) if entry.amount else "—"

    @display(description=_("Explanation"))
    def explanation_line(self, entry: LedgerEntry) -> str:
        return format_html('<bdi dir="auto">{}</bdi>', entry.description_shown())

    @display(description=_("By"))
    def actor_name(self, entry: LedgerEntry) -> str:
        actor = entry.actor
        return bdi(actor.get_full_name() or actor.email) if actor else "—"


class LedgerInline(LedgerLines, TabularInline):
    model = LedgerEntry
    fk_name = "membership"
    fields = (
        "created_at",
        "kind",
        "points_shown",
        "balance_shown",
        "amount_shown",
        "explanation_line",
        "actor_name",
    )
    readonly_fields = fields
    ordering = ("-id",)
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False
    verbose_name_plural = _("Ledger (newest first)")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RedemptionInline(TabularInline):
    model = Redemption
    fields = ("created_at", "reward_name", "points_shown", "status", "voucher")
    readonly_fields = fields
    ordering = ("-id",)
    extra = 0
    max_num = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @display(description=_("Reward"))
    def reward_name(self, redemption: Redemption) -> str:
        return bdi(redemption.reward.display_name())

    @display(description=_("Points"))
    def points_shown(self, redemption: Redemption) -> str:
        return formatting.points_text(redemption.points)

    @display(description=_("Voucher code"))
    def voucher(self, redemption: Redemption) -> str:
        return ltr(redemption.voucher_code)


class InboxInline(TabularInline):
    """What the member was told: their in-app inbox (each channel's delivery is in the
    notification log)."""

    model = InboxItem
    fields = ("created_at", "event", "title", "body", "read_at")
    readonly_fields = fields
    ordering = ("-id",)
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name_plural = _("Messages (newest first)")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AdjustForm(UnfoldForm):
    points = forms.IntegerField(
        label=_("Points (negative to take away)"), min_value=-1_000_000, max_value=1_000_000
    )
    reason = forms.CharField(label=_("Reason"), max_length=255)


@admin.register(Membership, site=merchant_site)
class MembershipAdmin(RoleAdmin):
    view_permission = "members.view"
    list_display = (
        "number",
        "name",
        "phone",
        "tier_name",
        "balance",
        "visits",
        "last_visit_at",
    )
    list_select_related = ("customer", "tier")
    list_filter = ("tier", "status")
    search_help_text = _("Phone, name or member number")
    ordering = ("-last_visit_at",)
    fields = (
        "number",
        "name",
        "phone",
        "status",
        "tier_name",
        "progress",
        "balance",
        "earned",
        "redeemed",
        "visits",
        "spend",
        "joined_at",
        "last_visit_at",
        "referral",
    )
    readonly_fields = fields
    inlines = [LedgerInline, RedemptionInline, InboxInline]
    change_form_template = "dashboard/membership_change_form.html"

    @display(description=_("Member number"), ordering="member_number")
    def number(self, obj: Membership) -> str:
        return ltr(obj.member_number)

    @display(description=_("Name"), ordering="customer__name")
    def name(self, obj: Membership) -> str:
        return bdi(obj.customer.name) or "—"

    @display(description=_("Tier"), ordering="tier__rank")
    def tier_name(self, obj: Membership) -> str:
        return bdi(obj.tier.display_name()) if obj.tier else "—"

    @display(description=_("Points"), ordering="current_points")
    def balance(self, obj: Membership) -> str:
        return formatting.points_text(obj.current_points)

    @display(description=_("Total earned"))
    def earned(self, obj: Membership) -> str:
        return formatting.points_text(obj.total_earned)

    @display(description=_("Total redeemed"))
    def redeemed(self, obj: Membership) -> str:
        return formatting.points_text(obj.total_redeemed)

    @display(description=_("Visits"), ordering="total_visits")
    def visits(self, obj: Membership) -> str:
        return formatting.points_text(obj.total_visits)

    @display(description=_("Total spend"))
    def spend(self, obj: Membership) -> str:
        return money(obj.total_spend, _currency())

    @display(description=_("Referral code"))
    def referral(self, obj: Membership) -> str:
        return ltr(obj.referral_code)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        # Each row carries whether this viewer sees whole numbers: the list, the search
        # results and the member page all read members through here.
        whole = phone_whole_for(request.user)
        return super().get_queryset(request).annotate(phone_whole=Value(whole))

    def get_search_fields(self, request: HttpRequest) -> tuple[str, ...]:
        fields = ("member_number", "customer__name")
        return (*fields, "customer__phone") if phone_whole_for(request.user) else fields

    @display(description=_("Phone"))
    def phone(self, obj: Membership) -> str:
        return ltr(phone_shown(obj.customer.phone, whole=getattr(obj, "phone_whole", False)))

    @display(description=_("Tier progress"))
    def progress(self, obj: Membership) -> str:
        p = tier_progress(obj, at=timezone.now())

        def figure(value: Any) -> str:  # what the tiers count: money, visits or points
            if p.basis == TierBasis.SPEND:
                return formatting.money_text(value, _currency())
            return formatting.points_text(value.to_integral_value())

        parts = []
        if p.next_tier is not None and p.needed_for_next is not None:
            parts.append(
                format_html(
                    gettext("{amount} to {tier}"),
                    amount=figure(p.needed_for_next),
                    tier=bdi(p.next_tier.display_name()),
                )
            )
        if p.needed_to_keep and p.tier is not None:
            parts.append(
                format_html(
                    gettext("{amount} to keep {tier}"),
                    amount=figure(p.needed_to_keep),
                    tier=bdi(p.tier.display_name()),
                )
            )
        return format_html_join("; ", "{}", ((part,) for part in parts)) or "—"

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        results, duplicates = super().get_search_results(request, queryset, search_term)
        try:
            phone = phone_normalize(search_term)
        except DomainError:
            # Not a number we know: still find "0791234567" typed by hand by its
            # last nine digits.
            # Staff who see only the last digits find a member by the whole number only,
            # so a number cannot be rebuilt by searching parts of it.
            digits = re.sub(r"\D", "", search_term).lstrip("0")
            partial = phone_whole_for(request.user)
            if partial and len(digits) >= 7 and not search_term.strip().isalpha():
                return results | queryset.filter(customer__phone__endswith=digits[-9:]), True
            return results, duplicates
        return results | queryset.filter(customer__phone=phone), duplicates

    def get_urls(self) -> list[URLPattern]:
        adjust = path(
            "<int:pk>/adjust/",
            self.admin_site.admin_view(self.adjust_view),
            name="points_membership_adjust",
        )
        return [adjust, *super().get_urls()]

    def adjust_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        require(request, "points.adjust")
        membership = get_object_or_404(Membership.objects.select_related("customer"), pk=pk)
        form = AdjustForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                entry = points_services.points_adjust(
                    membership_id=pk, actor=staff_user(request), **form.cleaned_data
                )
            except DomainError as refused:
                form.add_error(None, refused.message)
            else:
                self.log_change(
                    request,
                    membership,
                    f"adjusted {entry.points:+d} points: {form.cleaned_data['reason']}",
                )
                messages.success(
                    request, f"{entry.points:+d} points; balance {entry.balance_after}."
                )
                return HttpResponseRedirect(
                    reverse("merchant_admin:points_membership_change", args=[pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "membership": membership,
            "title": _("Adjust points"),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "dashboard/adjust.html", context)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra = {**(extra_context or {}), "can_adjust": can(request.user, "points.adjust")}
        return super().change_view(request, object_id, form_url, extra)


@admin.register(LedgerEntry, site=merchant_site)
class LedgerEntryAdmin(LedgerLines, RoleAdmin):
    view_permission = "reports.view"
    list_display = (
        "created_at",
        "member",
        "kind",
        "points_shown",
        "balance_shown",
        "amount_shown",
        "explanation_line",
        "actor_name",
    )
    list_select_related = ("membership__customer", "actor")
    list_filter = ("kind", "bonus_kind", "created_at")
    search_fields = ("membership__member_number",)
    date_hierarchy = "created_at"
    ordering = ("-id",)
    change_list_template = "dashboard/ledger_change_list.html"

    fields = (
        "created_at",
        "member",
        "kind",
        "bonus_kind",
        "points_shown",
        "balance_shown",
        "amount_shown",
        "explanation_line",
        "reason",
        "actor_name",
        "reverses",
    )
    readonly_fields = fields

    @display(description=_("Member"), ordering="membership__member_number")
    def member(self, entry: LedgerEntry) -> str:
        return bdi(member_name(entry.membership))

    def get_urls(self) -> list[URLPattern]:
        export = path(
            "export.csv",
            self.admin_site.admin_view(self.export_csv),
            name="points_ledgerentry_export",
        )
        return [export, *super().get_urls()]

    def export_csv(self, request: HttpRequest) -> StreamingHttpResponse:
        """The ledger as CSV, with the filters of the list page applied."""
        require(request, "reports.view")
        entries = self.get_changelist_instance(request).get_queryset(request)

        def rows() -> Iterator[list[Any]]:
            yield [
                "id",
                "created_at",
                "member_number",
                "kind",
                "bonus_kind",
                "points",
                "balance_after",
                "amount",
                "currency",
                "description",
                "description_ar",
                "reason",
                "actor",
            ]
            for e in entries.select_related("membership", "actor").iterator(chunk_size=2000):
                yield [
                    e.pk,
                    e.created_at.isoformat(),
                    e.membership.member_number,
                    e.kind,
                    e.bonus_kind,
                    e.points,
                    e.balance_after,
                    e.amount,  # a Decimal with the currency's places, or empty
                    e.currency,
                    e.description,
                    e.description_ar,
                    e.reason,
                    e.actor.email if e.actor else "",
                ]

        response = StreamingHttpResponse(csv_rows(rows()), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="ledger.csv"'
        return response


@admin.register(RewardCategory, site=merchant_site)
class RewardCategoryAdmin(RoleAdmin):
    view_permission = edit_permission = "rewards.edit"
    list_display = ("name", "name_ar", "position", "image")


class RewardForm(forms.ModelForm):
    """A free item has no value: the page hides the field for that type, and whatever it
    holds is not checked here (rewards.validation clears it to 0)."""

    class Meta:
        model = Reward
        fields = (
            "name",
            "name_ar",
            "category",
            "kind",
            "value",
            "points_cost",
            "description",
            "description_ar",
            "min_tier",
            "stock",
            "valid_from",
            "valid_to",
            "per_member_limit",
            "image",
            "is_active",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "value" in self.fields:  # not on a page shown read-only
            self.fields["value"].required = False

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("kind") == Reward.Kind.FREE_ITEM:
            self.errors.pop("value", None)
            cleaned["value"] = Decimal("0")
        elif cleaned.get("value") is None and "value" not in self.errors:
            cleaned["value"] = Decimal("0")  # refused by the type's own rule, by field
        if cleaned.get("is_active") and (
            self.instance.pk is None or "is_active" in self.changed_data
        ):
            plan_limit_check(self, "rewards")
        return cleaned


@admin.register(Reward, site=merchant_site)
class RewardAdmin(RoleAdmin):
    view_permission = edit_permission = "rewards.edit"
    form = RewardForm
    list_display = (
        "reward",
        "category",
        "kind",
        "value_shown",
        "cost",
        "min_tier",
        "stock",
    )
    list_display_links = ("reward",)
    list_filter = ("category", "kind", "is_active")
    search_fields = ("name", "name_ar")
    # Alpine.js, in unfold's change form: the value row shows for discounts only.
    conditional_fields = {"value": "kind != 'free_item'"}

    def save_model(self, request: HttpRequest, obj: Reward, form: Any, change: bool) -> None:
        rewards_services.reward_save(reward=obj)

    @display(description=_("Reward"), ordering="name")
    def reward(self, obj: Reward) -> str:
        return format_html("<bdi>{}</bdi>", formatting.local_name(obj.name, obj.name_ar))

    @display(description=_("Value"))
    def value_shown(self, obj: Reward) -> str:
        if obj.kind == Reward.Kind.FIXED_DISCOUNT:
            return money_text(obj.value, merchant_current().currency)
        if obj.kind == Reward.Kind.PERCENT_DISCOUNT:
            return f"{obj.value.normalize():f}%"
        return "—"

    @display(description=_("Cost"), ordering="points_cost")
    def cost(self, obj: Reward) -> str:
        return _("%(count)s points") % {"count": points_text(obj.points_cost)}


BASIS_WORDS = {
    TierBasis.POINTS: _("points earned"),
    TierBasis.VISITS: _("visits"),
    TierBasis.SPEND: _("purchases"),
}


@admin.register(Tier, site=merchant_site)
class TierAdmin(RoleAdmin):
    """The ladder as a member climbs it: each tier's threshold, multiplier, members and
    what it takes to reach the next. Saved through `points.services.tier_save`."""

    view_permission = edit_permission = "tiers.edit"
    list_display = ("tier", "starts_at", "multiplier_shown", "members", "to_next")
    list_display_links = ("tier",)
    list_before_template = "dashboard/tier_ladder_note.html"
    ordering = ("threshold", "rank")
    fields = ("name", "name_ar", "threshold", "multiplier", "benefits", "benefits_ar", "colour")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Tier]:
        return tier_ladder()

    def get_fields(self, request: HttpRequest, obj: Tier | None = None) -> tuple[str, ...]:
        if obj is not None and obj.is_entry:
            return tuple("entry_threshold" if f == "threshold" else f for f in self.fields)
        return self.fields

    def get_readonly_fields(self, request: HttpRequest, obj: Tier | None = None) -> tuple:
        return ("entry_threshold",) if obj is not None and obj.is_entry else ()

    def save_model(self, request: HttpRequest, obj: Tier, form: Any, change: bool) -> None:
        points_services.tier_save(tier=obj)

    def ladder_basis(self) -> str:
        """What moves a member up, as the note above the ladder says it."""
        return str(BASIS_WORDS[TierBasis(points_settings().tier_basis)])

    def _at(self, threshold: Decimal) -> str:
        return threshold_text(threshold, points_settings().tier_basis, merchant_current().currency)

    @display(description=_("Tier"), ordering="threshold")
    def tier(self, obj: Tier) -> str:
        if obj.is_entry:
            return format_html(
                '<bdi>{}</bdi> <span class="text-font-subtle-light">({})</span>',
                formatting.local_name(obj.name, obj.name_ar),
                _("entry tier"),
            )
        return format_html("<bdi>{}</bdi>", formatting.local_name(obj.name, obj.name_ar))

    @display(description=_("From"))
    def starts_at(self, obj: Tier) -> str:
        return self._at(obj.threshold)

    @display(description=_("Multiplier"))
    def multiplier_shown(self, obj: Tier) -> str:
        return multiplier_text(obj.multiplier)

    @display(description=_("Members"))
    def members(self, obj: Tier) -> str:
        return points_text(getattr(obj, "members", 0))

    @display(description=_("To reach the next tier"))
    def to_next(self, obj: Tier) -> str:
        following = getattr(obj, "next_threshold", None)
        if following is None:
            return str(_("Top tier"))
        return format_html(
            "<span>{} <bdi>{}</bdi></span>",
            _("%(amount)s more to reach") % {"amount": self._at(following - obj.threshold)},
            formatting.local_name(obj.next_name, obj.next_name_ar),  # type: ignore[attr-defined]
        )

    @display(description=_("threshold"))
    def entry_threshold(self, obj: Tier) -> str:
        return _("%(threshold)s: every member starts in this tier, so it stays 0.") % {
            "threshold": self._at(obj.threshold)
        }


WEEKDAY_CHOICES = [
    ("1", _("Monday")),
    ("2", _("Tuesday")),
    ("3", _("Wednesday")),
    ("4", _("Thursday")),
    ("5", _("Friday")),
    ("6", _("Saturday")),
    ("7", _("Sunday")),
]


class CampaignForm(forms.ModelForm):
    """Weekdays as checkboxes, stored as ISO numbers ("5,6"); the rest of the rules are
    the model's (points.validation.campaign_validate), by field."""

    weekdays = forms.MultipleChoiceField(
        label=_("days of the week"),
        choices=WEEKDAY_CHOICES,
        required=False,
        widget=UnfoldAdminCheckboxSelectMultipleWidget,
        help_text=_("For a weekly campaign."),
    )

    class Meta:
        model = Campaign
        fields = (
            "name",
            "name_ar",
            "kind",
            "multiplier",
            "weekdays",
            "start_time",
            "end_time",
            "starts_on",
            "ends_on",
            "tiers",
            "reward_categories",
            "is_active",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        try:
            days = weekdays_parse(self.instance.weekdays or "")
        except ValueError:  # stored before days were checkboxes: chosen again
            days = []
        self.initial["weekdays"] = [str(day) for day in days]

    def clean_weekdays(self) -> str:
        return ",".join(sorted(self.cleaned_data["weekdays"]))


@admin.register(Campaign, site=merchant_site)
class CampaignAdmin(RoleAdmin):
    view_permission = edit_permission = "campaigns.edit"
    form = CampaignForm
    list_display = (
        "shown_name",
        "kind",
        "multiplier",
        "days",
        "start_time",
        "end_time",
        "starts_on",
        "ends_on",
        "is_active",
    )
    filter_horizontal = ("tiers", "reward_categories")

    @display(description=_("Name"), ordering="name")
    def shown_name(self, campaign: Campaign) -> str:
        return bdi(campaign.display_name())

    @display(description=_("Days of the week"))
    def days(self, campaign: Campaign) -> str:
        try:
            chosen = weekdays_parse(campaign.weekdays or "")
        except ValueError:
            return campaign.weekdays
        names = dict(WEEKDAY_CHOICES)
        return "، ".join(str(names[str(day)]) for day in chosen) if chosen else "—"


@admin.register(PointsSettings, site=merchant_site)
class PointsSettingsAdmin(RoleAdmin):
    """The programme's rules, grouped by what an owner decides. A new setting is one line
    in its group (a setting in no group is not on the page)."""

    view_permission = edit_permission = "settings.points"
    fieldsets = (
        (
            _("Earning"),
            {
                "description": _("How a purchase turns into points."),
                "fields": (
                    "points_per_unit",
                    "rounding",
                    "carry_over",
                    "min_purchase",
                    "max_points_per_purchase",
                    "daily_earn_cap",
                ),
            },
        ),
        (
            _("Tiers"),
            {
                "description": _(
                    "What moves a member up the ladder, and whether a tier must be earned "
                    "again. The tiers themselves are on the Tiers page."
                ),
                "fields": (
                    "tier_basis",
                    "tier_window_months",
                    "tier_warning_days",
                ),
            },
        ),
        (
            _("Expiry"),
            {
                "description": _("How long points and requested rewards last."),
                "fields": (
                    "expiry_months",
                    "redemption_expiry_days",
                ),
            },
        ),
        (
            _("Bonuses"),
            {
                "description": _("Points given without a purchase."),
                "fields": (
                    "welcome_bonus",
                    "birthday_bonus",
                    "referral_bonus_referrer",
                    "referral_bonus_referred",
                ),
            },
        ),
        (
            _("Counter safety"),
            {
                "description": _("What cashiers may do without a manager."),
                "fields": [
                    "void_window_minutes",
                    "enrol_without_code",
                ],
            },
        ),
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: PointsSettings, form: Any, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        setup_step_done(step="points")

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        require(request, self.view_permission)
        PointsSettings.objects.get_or_create(pk=1)
        return HttpResponseRedirect(
            reverse("merchant_admin:points_pointssettings_change", args=[1])
        )


class RedemptionQueueFilter(admin.SimpleListFilter):
    """The queue opens on what waits for a decision; the history is one click away."""

    title = _("Show")
    parameter_name = "queue"
    HISTORY = "history"
    ALL = "all"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            (Redemption.Status.PENDING, _("Waiting for a decision")),
            (self.HISTORY, _("History (approved, used, rejected, cancelled, expired)")),
            *(
                (status.value, status.label)
                for status in Redemption.Status
                if status.value != "pending"
            ),
            (self.ALL, _("All")),
        ]

    def value(self) -> str:
        return super().value() or Redemption.Status.PENDING

    def choices(self, changelist: Any) -> Iterator[Any]:
        # No "All" of Django's own: the unfiltered page is the queue of pending ones.
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet[Redemption]) -> QuerySet:
        value = self.value()
        if value == self.ALL:
            return queryset
        if value == self.HISTORY:
            return queryset.exclude(status=Redemption.Status.PENDING)
        return queryset.filter(status=value)


class RedemptionActionForm(ActionForm):
    reason = forms.CharField(
        required=False,
        max_length=255,
        label="",
        widget=UnfoldAdminTextInputWidget(attrs={"placeholder": _("Reason (when rejecting)")}),
    )


@admin.register(Redemption, site=merchant_site)
class RedemptionAdmin(RoleAdmin):
    view_permission = "redemptions.view"
    list_display = (
        "voucher",
        "member",
        "reward_name",
        "points_shown",
        "status",
        "created_at",
        "expires_at",
    )
    list_select_related = ("membership__customer", "reward")
    list_filter = (RedemptionQueueFilter, "reward")
    search_fields = ("voucher_code", "membership__member_number")
    actions = ["approve", "reject", "mark_used"]
    action_form = RedemptionActionForm
    change_list_template = "dashboard/redemption_change_list.html"
    readonly_fields = (
        "membership",
        "reward",
        "points",
        "status",
        "voucher_code",
        "reason",
        "created_at",
        "expires_at",
        "decided_at",
        "decided_by",
        "used_at",
        "used_by",
    )
    fields = readonly_fields

    @display(description=_("Voucher code"), ordering="voucher_code")
    def voucher(self, redemption: Redemption) -> str:
        return ltr(redemption.voucher_code)

    @display(description=_("Member"), ordering="membership__member_number")
    def member(self, redemption: Redemption) -> str:
        return bdi(member_name(redemption.membership))

    @display(description=_("Reward"), ordering="reward__name")
    def reward_name(self, redemption: Redemption) -> str:
        return bdi(redemption.reward.display_name())

    @display(description=_("Points"), ordering="points")
    def points_shown(self, redemption: Redemption) -> str:
        return formatting.points_text(redemption.points)

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        # The page says which part it shows: the queue, or which part of the history.
        chosen = request.GET.get(RedemptionQueueFilter.parameter_name, Redemption.Status.PENDING)
        titles = dict(RedemptionQueueFilter(request, {}, Redemption, self).lookup_choices)
        title = titles.get(chosen) if chosen != Redemption.Status.PENDING else None
        extra = {
            "title": title or _("Redemptions waiting for a decision"),
            "queue_pending": chosen == Redemption.Status.PENDING,
        }
        return super().changelist_view(request, {**(extra_context or {}), **extra})

    def get_ordering(self, request: HttpRequest) -> list[Any]:
        # The queue is served oldest first; the history reads newest first.
        queue = request.GET.get(RedemptionQueueFilter.parameter_name, Redemption.Status.PENDING)
        return (
            ["created_at", "pk"] if queue == Redemption.Status.PENDING else ["-created_at", "-pk"]
        )

    def _decide(
        self, request: HttpRequest, queryset: QuerySet[Redemption], label: str, call: Any
    ) -> None:
        require(request, "redemptions.decide")
        done, refused = 0, []
        for redemption in queryset:
            try:
                call(redemption)
                done += 1
                self.log_change(request, redemption, label)
            except DomainError as error:
                refused.append(f"{redemption.voucher_code}: {error.message}")
        if done:
            messages.success(
                request,
                _("%(count)s redemption(s): %(done)s.") % {"count": done, "done": gettext(label)},
            )
        for line in refused:
            messages.error(request, line)

    @admin.action(description=_("Approve"))
    def approve(self, request: HttpRequest, queryset: QuerySet[Redemption]) -> None:
        self._decide(
            request,
            queryset,
            gettext_noop("approved"),
            lambda r: rewards_services.redemption_approve(
                redemption_id=r.pk, actor=staff_user(request)
            ),
        )

    @admin.action(description=_("Reject and refund"))
    def reject(self, request: HttpRequest, queryset: QuerySet[Redemption]) -> None:
        self._decide(
            request,
            queryset,
            gettext_noop("rejected"),
            lambda r: rewards_services.redemption_reject(
                redemption_id=r.pk,
                actor=staff_user(request),
                seen_status=r.status,
                reason=request.POST.get("reason", "") or "Rejected at the counter",
            ),
        )

    @admin.action(description=_("Mark used"))
    def mark_used(self, request: HttpRequest, queryset: QuerySet[Redemption]) -> None:
        self._decide(
            request,
            queryset,
            gettext_noop("marked used"),
            lambda r: rewards_services.redemption_use(
                redemption_id=r.pk, actor=staff_user(request)
            ),
        )


def pending_redemptions_badge(request: HttpRequest) -> str:
    """The sidebar badge: how many redemptions wait for a decision."""
    count = Redemption.objects.filter(status=Redemption.Status.PENDING).count()
    return str(count) if count else ""


@admin.register(LogEntry, site=merchant_site)
class AuditLogAdmin(RoleAdmin):
    view_permission = "staff.manage"
    list_display = (
        "action_time",
        "user",
        "content_type",
        "object_repr",
        "action_flag",
        "what_changed",
    )
    # What was changed, among the kinds of things that have lines (not every table).
    list_filter = ("action_flag", ("content_type", admin.RelatedOnlyFieldListFilter))
    ordering = ("-action_time",)
    fields = ("action_time", "user", "content_type", "object_repr", "action_flag", "what_changed")
    readonly_fields = fields

    @display(description=_("Change"))
    def what_changed(self, entry: LogEntry) -> str:
        """Django's lines are stored as JSON and translated by Django; ours are stored in
        English (marked with gettext_noop where they are written) and translated here."""
        if entry.change_message.startswith("["):
            return entry.get_change_message()
        return gettext(entry.change_message) if entry.change_message else "—"


class StaffForm(forms.ModelForm):
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[(r.value, ROLE_LABELS[r]) for r in ROLES],
        help_text=_(
            "Owner: everything. Manager: rewards, tiers, messages and figures. "
            "Cashier: the counter and the redemption queue."
        ),
    )
    password = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput,
        required=False,
        help_text=_(
            "Leave empty to email an invitation: they choose their own password. "
            "For someone already here, leave empty to keep theirs."
        ),
    )

    class Meta:
        model = User
        fields = ("email", "first_name", "last_name", "is_active")
        labels = {
            "email": _("Email"),
            "first_name": _("First name"),
            "last_name": _("Last name"),
            "is_active": _("Can sign in"),
        }
        help_texts = {
            "is_active": _(
                "Untick to deactivate: they can no longer sign in to the dashboard or "
                "the counter app."
            ),
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("password"):
            try:
                validate_password(cleaned["password"])
            except forms.ValidationError as error:
                self.add_error("password", error)
        email = (cleaned.get("email") or "").lower()
        if not email:
            self.add_error("email", _("Staff sign in with their email."))
        elif User.objects.filter(username=email).exclude(pk=self.instance.pk or 0).exists():
            self.add_error("email", _("This email already belongs to a staff member."))
        if self.instance.pk is None and not cleaned.get("password"):
            try:  # an invitation is a mail: the service's gate, asked before saving
                tenant_services.merchant_email_verified_require()
            except DomainError as refused:
                self.add_error(None, refused.message)
        if self.instance.pk is None or (
            cleaned.get("is_active") and "is_active" in self.changed_data
        ):
            plan_limit_check(self, "staff")  # a new account, or one that can sign in again
        return cleaned


def _person(user: User) -> str:
    return user.get_full_name() or user.email


@admin.register(User, site=merchant_site)
class StaffAdmin(RoleAdmin):
    view_permission = edit_permission = "staff.manage"
    form = StaffForm
    list_display = ("email", "full_name", "role", "state", "last_login")
    search_fields = ("email", "first_name", "last_name")
    actions = ["invite_again", "deactivate"]
    change_list_template = "dashboard/staff_change_list.html"
    change_form_template = "dashboard/staff_change_form.html"

    @display(description=_("Name"), ordering="first_name")
    def full_name(self, obj: User) -> str:
        return format_html("<bdi>{}</bdi>", obj.get_full_name()) if obj.get_full_name() else "—"

    @display(description=_("Role"))
    def role(self, obj: User) -> str:
        held = role_of(obj)
        return str(ROLE_LABELS[held]) if held else "—"

    @display(description=_("State"))
    def state(self, obj: User) -> str:
        """Deactivated, invited (no password chosen yet, with when) or active."""
        if not obj.is_active:
            return str(_("Deactivated"))
        if not obj.has_usable_password():
            return _("Invited on %(date)s") % {
                "date": date_format(timezone.localtime(obj.date_joined), "DATE_FORMAT")
            }
        return str(_("Active"))

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        return super().changelist_view(request, {**(extra_context or {}), "title": _("Staff")})

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        context = {**(extra_context or {}), "title": _("Add a staff member")}
        return super().add_view(request, form_url, context)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: Any = None,
    ) -> HttpResponse:
        user = self.get_object(request, object_id)
        title = _person(user) if user is not None else _("Staff")
        return super().change_view(
            request, object_id, form_url, {**(extra_context or {}), "title": title}
        )

    def _next(self, request: HttpRequest, obj: User) -> HttpResponse:
        if "_continue" in request.POST:
            return HttpResponseRedirect(reverse("merchant_admin:auth_user_change", args=[obj.pk]))
        if "_addanother" in request.POST:
            return HttpResponseRedirect(reverse("merchant_admin:auth_user_add"))
        return HttpResponseRedirect(reverse("merchant_admin:auth_user_changelist"))

    def response_add(
        self, request: HttpRequest, obj: User, post_url_continue: Any = None
    ) -> HttpResponse:
        # save_model said what happened ("Invitation sent to ..."), in the product's words.
        return self._next(request, obj)

    def response_change(self, request: HttpRequest, obj: User) -> HttpResponse:
        messages.success(request, _("Saved: %(name)s.") % {"name": _person(obj)})
        return self._next(request, obj)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm]:
        form = super().get_form(request, obj, change, **kwargs)
        if obj is not None:
            held = role_of(obj)
            form.base_fields["role"].initial = held.value if held else Role.CASHIER.value
        else:
            form.base_fields["role"].initial = Role.CASHIER.value
        return form

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        role = Role(form.cleaned_data["role"])
        if not change:
            name = f"{obj.first_name} {obj.last_name}".strip()
            if form.cleaned_data["password"]:
                created = tenant_services.staff_create(
                    email=obj.email, role=role, password=form.cleaned_data["password"], name=name
                )
                messages.success(
                    request, _("%(name)s can sign in now.") % {"name": _person(created)}
                )
            else:
                created = tenant_services.staff_invite(
                    **self._invite(request), email=obj.email, role=role, name=name
                )
                messages.success(
                    request, _("Invitation sent to %(email)s.") % {"email": created.email}
                )
            obj.pk = created.pk
            obj.username = created.username
            return
        obj.save()
        tenant_services.staff_role_set(user=obj, role=role)
        if form.cleaned_data.get("password"):
            obj.set_password(form.cleaned_data["password"])
            obj.save(update_fields=["password"])

    def _invite(self, request: HttpRequest) -> dict[str, str]:
        inviter = staff_user(request)
        return {
            "inviter": inviter.get_full_name() or inviter.email,
            "base_url": merchant_url(request, merchant_current()),
            "language": (translation.get_language() or "en")[:2],
        }

    @admin.action(description=_("Send the invitation again"))
    def invite_again(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        sent = []
        for user in queryset.filter(is_active=True):
            if user.has_usable_password():
                continue  # already chose a password
            held = role_of(user) or Role.CASHIER
            try:
                tenant_services.staff_invite_send(user=user, role=held, **self._invite(request))
            except DomainError as refused:
                messages.error(request, refused.message)
                return
            self.log_change(request, user, gettext_noop("invitation sent again"))
            sent.append(user.email)
        if sent:
            messages.success(
                request, _("Invitation sent to %(email)s.") % {"email": ", ".join(sent)}
            )
        else:
            messages.info(request, _("Everyone chosen has already set a password."))

    @admin.action(description=_("Deactivate"))
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        names = []
        for user in queryset.exclude(pk=staff_user(request).pk):
            tenant_services.staff_deactivate(user=user)
            self.log_change(request, user, gettext_noop("deactivated"))
            names.append(_person(user))
        if names:
            messages.success(request, _("Deactivated: %(names)s.") % {"names": ", ".join(names)})


from . import notifications_admin  # noqa: E402,F401  (registers its admins)
