"""Writes about points. Every function is one transaction; see `points.ledger` for locks."""

from .bonus import bonus_award
from .corrections import points_adjust, points_void
from .earn import points_earn
from .enrol import EnrolStarted, membership_enrol, membership_enrol_code_send
from .jobs import (
    birthday_bonuses_pay,
    lots_extend,
    points_expire,
    points_warn_expiring,
    tiers_requalify,
)
from .membership import membership_join
from .tiers import tier_entry_ensure, tier_recheck, tier_save

__all__ = [
    "EnrolStarted",
    "birthday_bonuses_pay",
    "bonus_award",
    "lots_extend",
    "membership_enrol",
    "membership_enrol_code_send",
    "membership_join",
    "points_adjust",
    "points_earn",
    "points_expire",
    "points_void",
    "points_warn_expiring",
    "tier_entry_ensure",
    "tier_recheck",
    "tier_save",
    "tiers_requalify",
]
