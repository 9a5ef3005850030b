"""`seed_demo`: the seed's three merchants with staff, programme and 90 days of history."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db.models import Max, Min
from django.utils import timezone
from django_tenants.utils import schema_context

from points.models import Campaign, LedgerEntry, Membership, Tier
from points.reconcile import reconcile
from rewards.models import Redemption, Reward
from tenants.demo import DEMO_PLANS, DEMO_TRIAL_DAYS_LEFT
from tenants.models import Merchant
from tests.fixtures import DEMO_SCHEMAS

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_the_three_merchants_with_their_staff(demo) -> None:
    assert set(Merchant.objects.values_list("slug", flat=True)) >= {
        "cafe-aroma",
        "fresh-fitness",
        "bella-salon",
    }
    assert User.objects.filter(username="admin@platform.demo", is_superuser=True).count() == 1
    for schema in DEMO_SCHEMAS:
        with schema_context(schema):
            roles = sorted(User.objects.values_list("groups__name", flat=True))
            assert roles == ["cashier", "manager", "owner"]


def test_the_demo_merchants_billing_matches_their_plans(demo) -> None:
    merchants = Merchant.objects.filter(slug__in=DEMO_PLANS).select_related("plan")
    billing = {m.slug: (m.plan.code, m.billing_status) for m in merchants}
    assert billing == {
        "cafe-aroma": ("growth", "active"),
        "fresh-fitness": ("starter", "active"),
        "bella-salon": ("trial", "trialing"),
    }
    bella = merchants.get(slug="bella-salon")
    # Its trial ends a few days after the seed, so the trial banner and reminder show.
    assert bella.trial_ends_at is not None
    left = bella.trial_ends_at - bella.created_at
    assert datetime.timedelta(days=DEMO_TRIAL_DAYS_LEFT) <= left
    assert left < datetime.timedelta(days=DEMO_TRIAL_DAYS_LEFT, minutes=10)


@pytest.mark.parametrize("schema", DEMO_SCHEMAS)
def test_each_demo_merchant_has_a_programme_members_and_90_days_of_history(demo, schema) -> None:
    with schema_context(schema):
        tiers = list(Tier.objects.values_list("name", "multiplier"))
        assert tiers == [
            ("Bronze", Decimal("1.00")),
            ("Silver", Decimal("1.50")),
            ("Gold", Decimal("2.00")),
        ]
        assert Reward.objects.values("category").distinct().count() >= 3
        assert Campaign.objects.count() == 1
        assert Membership.objects.count() == 50
        span = LedgerEntry.objects.aggregate(first=Min("created_at"), last=Max("created_at"))
        now = timezone.now()
        assert (
            now - datetime.timedelta(days=91) <= span["first"] <= now - datetime.timedelta(days=75)
        )
        assert span["last"] <= now
        kinds = set(LedgerEntry.objects.values_list("kind", flat=True))
        assert {"earn", "bonus", "redeem"} <= kinds
        assert Redemption.objects.filter(status="used").exists()
        assert Membership.objects.exclude(tier__rank=0).exists()
        assert reconcile().drifts == []


def test_running_seed_demo_again_changes_nothing(demo, capsys) -> None:
    before = {}
    for schema in DEMO_SCHEMAS:
        with schema_context(schema):
            before[schema] = (LedgerEntry.objects.count(), Membership.objects.count())

    call_command("seed_demo")

    assert "Demo data already present; nothing changed." in capsys.readouterr().out
    for schema in DEMO_SCHEMAS:
        with schema_context(schema):
            after = (LedgerEntry.objects.count(), Membership.objects.count())
            assert after == before[schema]
