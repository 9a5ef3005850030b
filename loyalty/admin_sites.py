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


for site in (platform_site, merchant_site):
    site.register(User, UserAdmin)
    site.register(Group, GroupAdmin)
