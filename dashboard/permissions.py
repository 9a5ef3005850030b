"""The role matrix (`tenants.roles.PERMISSIONS`) applied to the merchant dashboard.

Admin pages, sidebar links and custom views all ask `can(user, permission)`; Django's
per-model permissions are not used, so the matrix stays the one place roles are set.
"""

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from loyalty.forms import UnfoldWidgetsAdmin
from tenants.roles import can

from .gates import merchant_read_only


class RoleAdmin(UnfoldWidgetsAdmin):
    """A model admin whose pages follow the role matrix. Read-only unless
    `edit_permission` is set, and for everyone while the merchant's subscription has
    lapsed (dashboard.gates); nothing is deleted from the dashboard."""

    view_permission = "members.view"
    edit_permission: str | None = None

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can(request.user, self.view_permission)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can(request.user, self.view_permission)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        permission = self.edit_permission
        return (
            permission is not None
            and can(request.user, permission)
            and not merchant_read_only(request)
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def require(request: HttpRequest, permission: str) -> None:
    if not can(request.user, permission):
        raise PermissionDenied


def allowed(permission: str) -> Callable[[HttpRequest], bool]:
    """A sidebar permission callback."""

    def check(request: HttpRequest) -> bool:
        return can(request.user, permission)

    return check


members_view = allowed("members.view")
reports_view = allowed("reports.view")
rewards_edit = allowed("rewards.edit")
tiers_edit = allowed("tiers.edit")
campaigns_edit = allowed("campaigns.edit")
notifications_edit = allowed("notifications.edit")
staff_manage = allowed("staff.manage")
billing_manage = allowed("billing.manage")
profile_edit = allowed("profile.edit")
poster_print = allowed("poster.print")
settings_points = allowed("settings.points")
redemptions_view = allowed("redemptions.view")
points_earn = allowed("points.earn")


def staff_user(request: HttpRequest) -> User:
    """The signed-in staff member (admin views only run for signed-in staff)."""
    user = request.user
    assert isinstance(user, User)
    return user
