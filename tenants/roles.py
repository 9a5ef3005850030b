"""Staff roles inside a merchant: each is a Django group in the merchant's schema."""

from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    MANAGER = "manager"
    CASHIER = "cashier"


ROLES: tuple[Role, ...] = (Role.OWNER, Role.MANAGER, Role.CASHIER)
