"""Notifications in the merchant dashboard, in a real browser: a manager words a
template and sees the preview; writes a broadcast, sees its audience and sends it."""

import re

import pytest
from django_tenants.utils import schema_context

from messaging.models import EventSetting, Outbox
from notifications.models import Broadcast
from points.models import Membership, Tier
from tests.test_browser import sign_in

pytestmark = pytest.mark.django_db


def test_a_manager_rewords_a_template_with_a_preview(demo, live_url, page) -> None:
    base = sign_in(page, live_url, "manager")
    page.goto(f"{base}/admin/messaging/eventsetting/")
    page.click("text=Points earned")
    page.fill("#id_body_en", "{name}: {coins} coins!")
    page.click("button[name=_continue]")
    page.locator("text={coins} is not available here").wait_for()

    page.fill("#id_body_en", "{name}, {points} points at {merchant}!")
    page.click("button[name=_continue]")
    page.locator("text=was changed successfully").wait_for()
    body = page.inner_text("body")
    assert "Lina, 750 points at Café Aroma!" in body  # the English preview
    assert "ربحت 750 نقطة!" in body  # the Arabic default, untouched
    with schema_context("cafe_aroma"):
        setting = EventSetting.objects.get(event="points_earned")
        assert setting.body_en == "{name}, {points} points at {merchant}!"
        setting.body_en = ""  # leave the demo as it was
        setting.save()


def test_a_manager_sends_a_broadcast_to_a_tier(demo, live_url, page) -> None:
    with schema_context("cafe_aroma"):
        tier = Tier.objects.order_by("-rank").first()
        assert tier is not None
        members = Membership.objects.filter(tier=tier, status="active").count()
    base = sign_in(page, live_url, "manager")
    page.goto(f"{base}/admin/notifications/broadcast/add/")
    page.fill("#id_title_en", "Gold evening")
    page.fill("#id_body_en", "Free dessert tonight, {name}!")
    page.fill("#id_title_ar", "أمسية ذهبية")
    page.fill("#id_body_ar", "حلوى مجانية الليلة!")
    page.select_option("#id_segment", "tier")
    page.select_option("#id_tier", str(tier.pk))
    # The audience follows the choice on the form, before anything is saved.
    page.locator(f"[data-testid=reach][data-members='{members}']").wait_for()
    page.click("button[name=_continue]")

    page.click("text=Send now")
    page.wait_for_url(re.compile(r".*/send/?$"))
    assert f"The audience: {members} member" in page.inner_text("body")
    page.click("button[type=submit]:has-text('Send now')")
    page.wait_for_url(re.compile(r".*/broadcast/\d+/change/$"))
    assert f"Sending to {members} member(s)." in page.inner_text("body")

    with schema_context("cafe_aroma"):
        broadcast = Broadcast.objects.get(title_en="Gold evening")
        assert broadcast.audience_size == members
        assert Outbox.objects.filter(broadcast_id=broadcast.pk).count() == members
