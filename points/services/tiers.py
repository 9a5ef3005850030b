"""The tier ladder: an owner's changes to it, and a member's place on it.

The entry tier (threshold 0) always exists: every member starts in it, and a member
below every other threshold is in it. It can be renamed and given other benefits; its
threshold stays 0 (`tier_validate`), and the dashboard removes no tier. Changes to the
ladder are serialised by locking the programme's settings row, so two owners saving at
once cannot leave two tiers on one threshold.
"""

import datetime

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import F, Max

from messaging.models import Event
from messaging.outbox import outbox_add
from points.ledger import LedgerWrites
from points.models import ENTRY_THRESHOLD, Membership, PointsSettings, Tier
from points.selectors import local_date, tier_for_metric, tier_metric, tiers_ordered
from points.validation import tier_validate


def _ladder_lock() -> None:
    PointsSettings.objects.get_or_create(pk=1)
    PointsSettings.objects.select_for_update().get(pk=1)


def _ranks_follow_thresholds() -> None:
    """Number the ladder 0, 1, 2... in threshold order (ranks are unique: moved out of
    the way first)."""
    tiers = list(Tier.objects.order_by("threshold", "rank"))
    if all(tier.rank == place for place, tier in enumerate(tiers)):
        return
    Tier.objects.update(rank=F("rank") + max(len(tiers), max(t.rank for t in tiers) + 1))
    for place, tier in enumerate(tiers):
        tier.rank = place
    Tier.objects.bulk_update(tiers, ["rank"])


def tier_save(*, tier: Tier) -> Tier:
    """Create or change a tier. Checked against the ladder (`tier_validate`) under the
    ladder's lock; raises ValidationError by field and changes nothing when refused."""
    with transaction.atomic():
        _ladder_lock()
        tier_validate(tier)
        if tier.pk is None:
            top = Tier.objects.aggregate(top=Max("rank"))["top"]
            tier.rank = 0 if top is None else top + 1
        tier.save()
        _ranks_follow_thresholds()
        tier.refresh_from_db(fields=["rank"])
    return tier


def tier_entry_ensure() -> Tier:
    """The entry tier, created as "Member" (1x) when the ladder has none."""
    with transaction.atomic():
        _ladder_lock()
        entry = Tier.objects.filter(threshold=ENTRY_THRESHOLD).order_by("rank").first()
        if entry is None:
            entry = tier_save(tier=Tier(name="Member", name_ar="عضو", threshold=ENTRY_THRESHOLD))
    return entry


def tier_recheck(
    *,
    membership: Membership,
    settings: PointsSettings,
    at: datetime.datetime,
    tiers: list[Tier] | None = None,
    writes: LedgerWrites | None = None,
) -> bool:
    """Upgrade a locked membership whose progress reached a higher tier. Never downgrades
    (that is requalification's job). Returns True on an upgrade, which is notified.

    `tiers`: the ladder in rank order, when the caller has read it. With `writes`, the
    change and its message join the caller's writes."""
    tiers = tiers_ordered() if tiers is None else tiers
    if not tiers:
        return False
    if writes is not None and settings.tier_window_months:
        writes.flush()  # the window's progress is summed from the ledger: pending entries too
    best = tier_for_metric(tiers, tier_metric(membership, settings, at))
    current = membership.tier
    if best is None or (current is not None and best.rank <= current.rank):
        return False
    membership.tier = best
    update = ["tier"]
    if settings.tier_window_months:
        membership.tier_review_on = local_date(at) + relativedelta(
            months=settings.tier_window_months
        )
        membership.tier_warned_for = None
        update += ["tier_review_on", "tier_warned_for"]
    if writes is not None:
        writes.save(membership, update)
    else:
        membership.save(update_fields=update)
    if current is not None:
        outbox_add(
            event=Event.TIER_UPGRADED,
            membership=membership,
            tier=best.name,
            tier_ar=best.name_ar,
            multiplier=str(best.multiplier),
            previous_tier=current.name,
            writes=writes,
        )
    return True
