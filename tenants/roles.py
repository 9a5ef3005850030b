"""Staff roles inside a merchant: each is a Django group in the merchant's schema."""

from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class Role(StrEnum):
    OWNER = "owner"
    MANAGER = "manager"
    CASHIER = "cashier"


ROLES: tuple[Role, ...] = (Role.OWNER, Role.MANAGER, Role.CASHIER)
# A role as people at the shop say it.
ROLE_LABELS = {Role.OWNER: _("Owner"), Role.MANAGER: _("Manager"), Role.CASHIER: _("Cashier")}

# The roles as people say them, in the reader's language.
ROLE_LABELS = {Role.OWNER: _("Owner"), Role.MANAGER: _("Manager"), Role.CASHIER: _("Cashier")}

_RANK = {Role.CASHIER: 1, Role.MANAGER: 2, Role.OWNER: 3}


# Where `role_of` keeps the role it read on the user object, like Django's `_perm_cache`:
# a request asks it again for every member it shows (their phone number's rule).
_ROLE_READ = "_role_read"


def role_of(user: object) -> Role | None:
    """The highest role a staff user holds in the current merchant, or None. A user
    loaded with its group names (`role_names`, see `tenants.selectors.staff_active`)
    needs no query; another is read once per user object. `role_forget` after changing
    the user's groups."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if hasattr(user, _ROLE_READ):
        return getattr(user, _ROLE_READ)
    names = getattr(user, "role_names", None)
    if names is None:
        names = user.groups.values_list("name", flat=True)  # type: ignore[attr-defined]
    held = [role for role in ROLES if role.value in set(names)]
    role = max(held, key=_RANK.__getitem__) if held else None
    setattr(user, _ROLE_READ, role)
    return role


def role_forget(user: object) -> None:
    """Make the next `role_of(user)` read the user's groups again."""
    for name in (_ROLE_READ, "role_names"):
        if hasattr(user, name):
            delattr(user, name)


def has_role(user: object, role: Role) -> bool:
    """True when the user holds `role` or a higher one."""
    held = role_of(user)
    return held is not None and _RANK[held] >= _RANK[role]


# What each role may do, written once: the API and the dashboards both check it.
# A role may do what is listed for it and for every role below it.
PERMISSIONS: dict[str, Role] = {
    "members.view": Role.CASHIER,
    "members.lookup": Role.CASHIER,
    "members.enrol": Role.CASHIER,  # at the counter, by phone
    "points.earn": Role.CASHIER,
    "points.void_recent": Role.CASHIER,
    "redemptions.view": Role.CASHIER,
    "redemptions.decide": Role.CASHIER,
    "members.contact": Role.MANAGER,  # whole phone numbers, partial phone search
    "points.adjust": Role.MANAGER,
    "points.void_any": Role.MANAGER,
    "rewards.edit": Role.MANAGER,
    "tiers.edit": Role.MANAGER,
    "campaigns.edit": Role.MANAGER,
    "reports.view": Role.MANAGER,
    "poster.print": Role.MANAGER,
    "notifications.edit": Role.MANAGER,
    "staff.manage": Role.OWNER,
    "settings.points": Role.OWNER,
    "billing.manage": Role.OWNER,
    "profile.edit": Role.OWNER,
}


def can(user: object, permission: str) -> bool:
    """True when the user's role allows `permission` (see PERMISSIONS)."""
    return has_role(user, PERMISSIONS[permission])
