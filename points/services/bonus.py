import datetime

from points.ledger import LedgerWrites, entry_record, lot_expiry
from points.models import LedgerEntry, Membership, PointsSettings
from points.selectors import local_date
from tenants.services import merchant_email_verified_require, merchant_writable_require

_SENTENCES = {
    LedgerEntry.BonusKind.WELCOME: ("Welcome bonus", "مكافأة الترحيب"),
    LedgerEntry.BonusKind.BIRTHDAY: ("Birthday bonus", "مكافأة عيد الميلاد"),
    LedgerEntry.BonusKind.REFERRAL: ("Referral bonus", "مكافأة الإحالة"),
    LedgerEntry.BonusKind.CAMPAIGN: ("Campaign bonus", "مكافأة الحملة"),
}


def bonus_award(
    *,
    membership: Membership,
    points: int,
    bonus_kind: str,
    settings: PointsSettings,
    at: datetime.datetime,
    note: str = "",
    writes: LedgerWrites | None = None,
) -> LedgerEntry:
    """Credit a bonus to a membership the caller has locked (written with `writes`
    when given, see `entry_record`)."""
    merchant_writable_require()
    merchant_email_verified_require()
    label, label_ar = _SENTENCES[LedgerEntry.BonusKind(bonus_kind)]
    return entry_record(
        membership=membership,
        kind=LedgerEntry.Kind.BONUS,
        bonus_kind=bonus_kind,
        points=points,
        at=at,
        expires_on=lot_expiry(settings, local_date(at)),
        description=f"{label}: {points} points" + (f" ({note})" if note else ""),
        description_ar=f"{label_ar}: {points} نقطة",
        explanation={"bonus": bonus_kind, "points": points, "note": note},
        writes=writes,
    )
