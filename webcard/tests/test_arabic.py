"""Every page beside the card read in Arabic: no word left in English, no msgid
without Arabic (the walk of tests/test_arabic_pages.py over the web card)."""

import pytest
from django.conf import settings
from django_tenants.utils import schema_context

from notifications.models import InboxItem
from rewards.models import Reward
from rewards.services import redemption_create
from tests.fixtures import HostClient
from tests.test_arabic_pages import Page, arabic, arabic_misses, walk
from webcard.sessions import COOKIE, session_create
from webcard.tests.pages import member_with

pytestmark = pytest.mark.django_db


def test_every_page_beside_the_card_is_in_arabic(merchant_a, programme, card_client) -> None:
    member = member_with(programme, merchant_a.schema, points=350, name="Rania")
    with schema_context(merchant_a.schema):
        Reward.objects.create(name="Cake", name_ar="كعكة", points_cost=900)
        redemption = redemption_create(membership_id=member.pk, reward_id=programme.free_coffee.pk)
        item = InboxItem.objects.create(
            membership=member,
            message_id=8_800_001,
            event="points_earned",
            kind="transactional",
            title="ربحت 100 نقطة",
            body="شكرًا لزيارتك",
        )
    card = arabic(card_client(merchant_a.host, member.customer))
    root = arabic(HostClient(settings.BASE_DOMAIN))
    root.cookies[COOKIE] = session_create(customer=member.customer, merchant=None)
    pages = [
        Page("card-history", "/card/history"),
        Page("card-rewards", "/card/rewards"),
        Page("card-redeem", f"/card/rewards/{programme.free_coffee.pk}/redeem"),
        Page("card-vouchers", "/card/vouchers"),
        Page("card-voucher", f"/card/vouchers/{redemption.pk}"),
        Page("card-inbox", "/card/inbox"),
        Page("card-inbox-item", f"/card/inbox/{item.pk}"),
        Page("card-settings", "/card/settings"),
        Page("card-delete", "/card/settings/delete"),
    ]
    data = [
        "Rania",
        "test",
        redemption.voucher_code,
        member.customer.phone,
        merchant_a.merchant.name,
    ]

    with arabic_misses() as misses:
        problems = walk(card, pages, data, misses)
        problems += walk(root, [Page("card-home", "/card/")], data, misses)

    assert problems == [], "\n".join(["Left in English on Arabic pages:", *problems])
    refused = card.get("/card/handoff/not-a-token")
    assert refused.status_code == 400
    assert "انتهت صلاحية هذا الرابط أو استُخدم من قبل." in refused.content.decode()
