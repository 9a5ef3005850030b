"""The two dashboards: the platform's on the root domain, each merchant's on its host.

They are separate admin sites so a model registered for the platform (merchants,
plans) can never be reached from a merchant host, where the public schema is still on
the search path.
"""

from typing import Any

from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group, User
from django.http import HttpRequest
from unfold.admin import ModelAdmin
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm
from unfold.sites import UnfoldAdminSite


class PlatformAdminSite(UnfoldAdminSite):
    site_header = "Loyalty platform"
    site_title = "Loyalty platform"
    index_title = "Platform"


class MerchantAdminSite(UnfoldAdminSite):
    index_title = "Dashboard"
    settings_name = "UNFOLD_MERCHANT"

    index_template = "dashboard/index.html"

    def extra_urls(self) -> list[Any]:
        from django.urls import path

        from dashboard import views

        return [
            path("counter/", self.admin_view(views.counter), name="counter"),
            path("counter/lookup", self.admin_view(views.counter_lookup), name="counter_lookup"),
            path("counter/earn", self.admin_view(views.counter_earn), name="counter_earn"),
            path("counter/voucher", self.admin_view(views.counter_voucher), name="counter_voucher"),
            path("poster/", self.admin_view(views.poster), name="join_poster"),
            path("poster.pdf", self.admin_view(views.poster_pdf), name="join_poster_pdf"),
        ]

    def each_context(self, request: HttpRequest) -> dict[str, Any]:
        context = super().each_context(request)
        merchant = getattr(request, "tenant", None)
        if merchant is not None:
            context["site_header"] = merchant.name
            context["site_title"] = merchant.name
        return context


platform_site = PlatformAdminSite(name="platform_admin")
merchant_site = MerchantAdminSite(name="merchant_admin")


class UserAdmin(BaseUserAdmin, ModelAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = AdminPasswordChangeForm
    list_display = ("username", "email", "first_name", "last_name", "is_active", "last_login")


class GroupAdmin(BaseGroupAdmin, ModelAdmin):
    pass


platform_site.register(User, UserAdmin)
platform_site.register(Group, GroupAdmin)
