"""Every programme has an entry tier at threshold 0 (points.services.tiers).

Runs in each merchant schema. Where no tier starts at 0, a "Member" (عضو) tier at 1x is
added at the bottom of the ladder; members with no tier are put in the entry tier.
Members keep the tier they hold: a member placed in a tier they never reached (before
the entry tier existed) is not moved down by this migration. The ladder's ranks are
renumbered in threshold order, which is how the ladder reads from now on. A new
merchant's schema gets the entry tier from this migration (it is part of the recorded
script that `tenants.provisioning` replays).
"""

from decimal import Decimal

from django.db import migrations
from django.db.models import F, Max


def entry_tier_create(apps, schema_editor):
    Tier = apps.get_model("points", "Tier")
    Membership = apps.get_model("points", "Membership")
    entry = Tier.objects.filter(threshold=0).order_by("rank").first()
    if entry is None:
        top = Tier.objects.aggregate(top=Max("rank"))["top"]
        entry = Tier.objects.create(
            name="Member",
            name_ar="عضو",
            rank=0 if top is None else top + 1,
            threshold=Decimal("0"),
            multiplier=Decimal("1"),
            colour="#8d6e63",
        )
    tiers = list(Tier.objects.order_by("threshold", "rank"))
    if any(tier.rank != place for place, tier in enumerate(tiers)):
        # Ranks are unique: move them out of the way, then number the ladder.
        Tier.objects.update(rank=F("rank") + max(len(tiers), max(t.rank for t in tiers) + 1))
        for place, tier in enumerate(tiers):
            tier.rank = place
        Tier.objects.bulk_update(tiers, ["rank"])
    Membership.objects.filter(tier__isnull=True).update(tier=entry)


class Migration(migrations.Migration):
    dependencies = [("points", "0007_points_settings_enrol_without_code")]

    operations = [migrations.RunPython(entry_tier_create, migrations.RunPython.noop)]
