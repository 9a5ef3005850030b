import datetime

from dateutil.relativedelta import relativedelta

from messaging.models import Event
from messaging.outbox import outbox_add
from points.models import Membership, PointsSettings
from points.selectors import local_date, tier_for_metric, tier_metric, tiers_ordered


def tier_recheck(
    *, membership: Membership, settings: PointsSettings, at: datetime.datetime
) -> bool:
    """Upgrade a locked membership whose progress reached a higher tier. Never downgrades
    (that is requalification's job). Returns True on an upgrade, which is notified."""
    tiers = tiers_ordered()
    if not tiers:
        return False
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
    membership.save(update_fields=update)
    if current is not None:
        outbox_add(
            event=Event.TIER_UPGRADED,
            membership=membership,
            tier=best.name,
            tier_ar=best.name_ar,
            multiplier=str(best.multiplier),
            previous_tier=current.name,
        )
    return True
