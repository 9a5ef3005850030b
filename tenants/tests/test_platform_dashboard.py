"""The platform dashboard: figures collected per merchant into the public schema, and
every page of the platform site for a verified admin."""

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tenants.utils import schema_context

from billing.models import Subscription
from loyalty.admin_sites import platform_site
from points.services import points_earn
from tenants.demo import DEMO_PLANS
from tenants.models import MerchantDailyStats
from tenants.stats import platform_overview
from tenants.tasks import stats_collect_today
from tenants.tests.test_platform_admin import current_code
from tests.fixtures import HostClient

pytestmark = pytest.mark.django_db


def test_a_merchants_day_is_collected_into_the_public_schema(merchant_a, programme) -> None:
    member = programme.member()
    points_earn(membership_id=member.pk, amount="10.000")

    stats_collect_today.apply(args=[merchant_a.schema]).get()

    with schema_context("public"):
        stats = MerchantDailyStats.objects.get(
            merchant=merchant_a.merchant, day=timezone.localdate()
        )
    assert (stats.members, stats.new_members, stats.points_issued) == (1, 1, 100)
    overview = platform_overview()
    assert overview.kpis["points_issued_today"] >= 100


def test_the_demo_history_shows_on_the_platform_dashboard(demo) -> None:
    from django.contrib.auth.models import User
    from django_otp.plugins.otp_totp.models import TOTPDevice

    admin = User.objects.create_superuser("root@ops.jo", "root@ops.jo", "root-pass-2026")
    device = TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)
    client = HostClient("localhost")
    client.post(
        "/admin/login/?next=/admin/",
        {
            "username": "root@ops.jo",
            "password": "root-pass-2026",
            "otp_token": current_code(device),
        },
    )
    home = client.get("/admin/").content.decode()
    assert 'data-kpi="active_merchants">' in home
    # The demo merchants pay Growth and Starter as the platform gave them, without a
    # Stripe subscription (the demo bills nothing), so they add nothing to the MRR Stripe
    # bills; Bella is on trial.
    assert not Subscription.objects.filter(merchant__slug__in=DEMO_PLANS).exists()
    assert 'data-kpi="mrr">' in home
    assert 'href="/admin/tenants/merchant/?billing=trialing"' in home
    assert sum(platform_overview().points_per_day["datasets"][0]["data"]) > 0
    merchants = client.get("/admin/tenants/merchant/").content.decode()
    assert "Café Aroma" in merchants

    for model in platform_site._registry:
        meta = model._meta
        url = reverse(
            f"platform_admin:{meta.app_label}_{meta.model_name}_changelist",
            urlconf="loyalty.urls_public",
        )
        assert client.get(url).status_code == 200, url
        first = model.objects.order_by("pk").first()
        if first is not None:
            change = reverse(
                f"platform_admin:{meta.app_label}_{meta.model_name}_change",
                args=[first.pk],
                urlconf="loyalty.urls_public",
            )
            assert client.get(change).status_code == 200, change
