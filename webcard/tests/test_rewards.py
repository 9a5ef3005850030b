"""Rewards, redeeming with a confirmation, vouchers and cancelling on the web card."""

import pytest
from django_tenants.utils import schema_context

from rewards.models import Redemption, Reward
from rewards.services import redemption_approve, redemption_create, redemption_use
from webcard.tests.pages import balance, member_with

pytestmark = pytest.mark.django_db


def test_what_the_member_can_afford_comes_first_then_what_is_missing(
    merchant_a, programme, card_client
) -> None:
    with schema_context(merchant_a.schema):
        Reward.objects.create(name="Cake", name_ar="كعكة", points_cost=300)
        Reward.objects.create(name="Mug", points_cost=120, min_tier=programme.gold)
        Reward.objects.create(name="Hidden", points_cost=1, is_active=False)
    member = member_with(programme, merchant_a.schema, points=150)
    client = card_client(merchant_a.host, member.customer)

    page = client.get("/card/rewards").content.decode()

    now, later = page.split('data-testid="redeemable"')[1].split('data-testid="later"')
    assert "Free Coffee" in now and "Cake" not in now and "Mug" not in now
    assert "Hidden" not in page
    assert later.index("Mug") < later.index("Cake")
    assert "150 points to go" in later
    assert "For Gold members and above" in later


def test_the_confirmation_shows_the_cost_and_the_balance_after(
    merchant_a, programme, card_client
) -> None:
    member = member_with(programme, merchant_a.schema, points=150)
    client = card_client(merchant_a.host, member.customer)

    page = client.get(f"/card/rewards/{programme.free_coffee.pk}/redeem").content.decode()

    assert '<dd data-testid="cost">100 points</dd>' in page
    assert '<dd data-testid="balance">150 points</dd>' in page
    assert '<dd data-testid="after">50 points</dd>' in page
    assert 'name="key" value="' in page


def test_a_double_tap_redeems_once(merchant_a, programme, card_client) -> None:
    member = member_with(programme, merchant_a.schema, points=250)
    client = card_client(merchant_a.host, member.customer)
    url = f"/card/rewards/{programme.free_coffee.pk}/redeem"

    first = client.post(url, {"key": "tap-1"})
    second = client.post(url, {"key": "tap-1"})

    with schema_context(merchant_a.schema):
        redemptions = list(Redemption.objects.filter(membership=member))
    assert len(redemptions) == 1
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == f"/card/vouchers/{redemptions[0].pk}"
    assert balance(merchant_a.schema, member) == 150


def test_not_enough_points_is_refused_with_a_clear_message(
    merchant_a, programme, card_client
) -> None:
    member = member_with(programme, merchant_a.schema, points=40)
    client = card_client(merchant_a.host, member.customer)
    url = f"/card/rewards/{programme.free_coffee.pk}/redeem"

    shown = client.get(url).content.decode()
    refused = client.post(url, {"key": "k1"})
    refused_ar = client.post(url, {"key": "k2"}, HTTP_ACCEPT_LANGUAGE="ar")

    assert "You need 60 more points." in shown and 'data-testid="redeem"' not in shown
    assert refused.status_code == 422
    assert "Not enough points: you have 40 and this reward needs 100." in refused.content.decode()
    assert "النقاط لا تكفي: لديك 40 وتحتاج هذه المكافأة إلى 100." in refused_ar.content.decode()
    with schema_context(merchant_a.schema):
        assert not Redemption.objects.filter(membership=member).exists()
    assert balance(merchant_a.schema, member) == 40


def test_the_voucher_shows_its_qr_its_code_and_its_state_as_the_cashier_changes_it(
    merchant_a, programme, card_client
) -> None:
    member = member_with(programme, merchant_a.schema, points=100)
    with schema_context(merchant_a.schema):
        redemption = redemption_create(membership_id=member.pk, reward_id=programme.free_coffee.pk)
    client = card_client(merchant_a.host, member.customer)
    url = f"/card/vouchers/{redemption.pk}"

    page = client.get(url).content.decode()
    qr = client.get(f"{url}/qr.svg")
    pending = client.get(f"{url}/state").json()
    with schema_context(merchant_a.schema):
        redemption_approve(redemption_id=redemption.pk, actor=programme.cashier)
        redemption_use(redemption_id=redemption.pk, actor=programme.cashier)
    used = client.get(f"{url}/state").json()
    listed = client.get("/card/vouchers").content.decode()

    assert f'<p class="code" dir="ltr" data-testid="code">{redemption.voucher_code}</p>' in page
    assert '<p class="state state-pending" data-testid="state" data-label>Pending</p>' in page
    assert f'src="{url}/qr.svg"' in page
    assert qr["Content-Type"] == "image/svg+xml" and qr.content.startswith(b"<?xml")
    assert pending == {
        "status": "pending",
        "label": "Pending",
        "hint": "Show this voucher at the counter.",
        "open": True,
        "refunded": False,
    }
    assert (used["status"], used["label"], used["open"]) == ("used", "Used", False)
    assert f'href="{url}"' in listed and ">Used<" in listed


def test_cancelling_a_pending_voucher_refunds_its_points(
    merchant_a, programme, card_client
) -> None:
    member = member_with(programme, merchant_a.schema, points=130)
    with schema_context(merchant_a.schema):
        redemption = redemption_create(membership_id=member.pk, reward_id=programme.free_coffee.pk)
    client = card_client(merchant_a.host, member.customer)
    url = f"/card/vouchers/{redemption.pk}"
    assert "Cancel it and get 100 points back" in client.get(url).content.decode()

    response = client.post(f"{url}/cancel")
    page = client.get(url).content.decode()
    again = client.post(f"{url}/cancel")

    assert response.status_code == 302 and response["Location"] == url
    assert balance(merchant_a.schema, member) == 130
    assert ">Cancelled<" in page
    assert "100 points were returned to your balance." in page
    assert 'data-testid="cancel"' not in page
    assert again.status_code == 409
    assert "This voucher can no longer be cancelled." in again.content.decode()
    assert balance(merchant_a.schema, member) == 130


def test_another_member_never_sees_a_voucher(
    merchant_a, merchant_b, programme, card_client, host_client
) -> None:
    owner = member_with(programme, merchant_a.schema, points=100)
    other = member_with(programme, merchant_a.schema, points=100)
    with schema_context(merchant_a.schema):
        redemption = redemption_create(membership_id=owner.pk, reward_id=programme.free_coffee.pk)
    url = f"/card/vouchers/{redemption.pk}"
    intruder = card_client(merchant_a.host, other.customer)
    owner_on_b = card_client(merchant_b.host, owner.customer)

    answers = [
        intruder.get(url).status_code,
        intruder.get(f"{url}/qr.svg").status_code,
        intruder.get(f"{url}/state").status_code,
        intruder.post(f"{url}/cancel").status_code,
    ]
    stranger = host_client(merchant_a.host).get(url)

    assert answers == [404, 404, 404, 404]
    assert owner_on_b.get(url)["Location"] == "/card/"
    assert stranger.status_code == 302 and stranger["Location"].startswith("/card/signin")
    with schema_context(merchant_a.schema):
        assert Redemption.objects.get(pk=redemption.pk).status == Redemption.Status.PENDING


def test_a_form_key_used_for_another_reward_redeems_nothing(
    merchant_a, programme, card_client
) -> None:
    with schema_context(merchant_a.schema):
        tea = Reward.objects.create(name="Tea", name_ar="شاي", points_cost=50)
    member = member_with(programme, merchant_a.schema, points=300)
    client = card_client(merchant_a.host, member.customer)
    client.post(f"/card/rewards/{programme.free_coffee.pk}/redeem", {"key": "form-1"})

    reused = client.post(f"/card/rewards/{tea.pk}/redeem", {"key": "form-1"})

    assert reused.status_code == 409
    assert "This form was already used. Open the reward again." in reused.content.decode()
    assert balance(merchant_a.schema, member) == 200
