from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline

from loyalty.admin_sites import platform_site

from . import services
from .models import Domain, Merchant, SchemaTemplate
from .selectors import merchant_host
from .stats import merchants_with_figures


class CreateMerchantForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    slug = forms.SlugField(
        label=_("Address"),
        max_length=40,
        help_text=_("The merchant's address: <slug>.<domain>"),
    )
    owner_email = forms.EmailField(label=_("Owner's email"))
    category = forms.ChoiceField(label=_("Category"), choices=Merchant.Category.choices)
    city = forms.CharField(label=_("City"), max_length=80, required=False)


class DomainForm(forms.ModelForm):
    class Meta:
        model = Domain
        fields = ("domain", "is_primary")
        labels = {"domain": _("Domain"), "is_primary": _("Primary")}


class DomainInline(TabularInline):
    model = Domain
    form = DomainForm
    extra = 0


@admin.register(Merchant, site=platform_site)
class MerchantAdmin(ModelAdmin):
    list_display = (
        "name",
        "slug",
        "category",
        "city",
        "status",
        "plan",
        "members",
        "points_30_days",
        "last_active",
        "trial_ends_at",
        "created_at",
    )
    list_filter = ("status", "plan", "category", "city")
    search_fields = ("name", "name_ar", "slug", "contact_email")
    readonly_fields = ("schema", "slug", "created_at")
    exclude = ("schema_name",)

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
        """Create a merchant with its schema and owner (the owner's password shown once)."""
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
                )
            except ValidationError as error:
                form.add_error("slug", error)
            else:
                messages.success(
                    request,
                    f"{created.merchant.name} created at {merchant_host(created.merchant)}. "
                    f"Owner {created.owner.email}, password {created.owner_password} "
                    "(shown once: pass it on safely).",
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

    @admin.action(description=_("Suspend selected merchants"))
    def suspend(self, request: HttpRequest, queryset: QuerySet[Merchant]) -> None:
        for merchant in queryset:
            services.merchant_suspend(merchant=merchant, reason="Suspended by the platform")
        messages.success(request, f"{queryset.count()} merchant(s) suspended.")

    @admin.action(description=_("Resume selected merchants"))
    def resume(self, request: HttpRequest, queryset: QuerySet[Merchant]) -> None:
        for merchant in queryset:
            services.merchant_resume(merchant=merchant)
        messages.success(request, f"{queryset.count()} merchant(s) resumed.")


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
