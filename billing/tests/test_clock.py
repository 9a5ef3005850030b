"""The billing clock (billing.clock, the hourly beat job): trials and grace periods that
ran out turn read-only, once, with one mail to the owner; the owner is reminded 3 days
and 1 day before the trial ends, each reminder once, in their language, with the date
in the merchant's time zone."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django_tenants.utils import schema_context

from billing.clock import billing_clock_run, merchant_lapse, trial_reminder_send
from billing.models import Plan
from billing.services import subscription_apply
from billing.tasks import billing_clock
from messaging.models import Outbox
from messaging.texts import render
from tenants.models import Merchant, TrialReminder
from tests.threads import committed, committed_past_the_relay, run_together

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2031, 3, 1, 10, 0, tzinfo=datetime.UTC)
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


def merchant(slug: str, **fields: object) -> Merchant:
    """A merchant row (its schema is not needed: the clock works in the public schema)."""
    values: dict[str, object] = {
        "schema_name": slug.replace("-", "_"),
        "slug": slug,
        "name": slug.replace("-", " ").title(),
        "contact_email": f"owner@{slug}.jo",
        "email_verified_at": NOW - 20 * DAY,
        "plan": Plan.objects.get(code="trial"),
        "billing_status": Merchant.Billing.TRIALING,
        **fields,
    }
    return Merchant.objects.create(**values)


def mails(*merchants: Merchant) -> list[tuple[str, str, str, str, str]]:
    """(event, recipient, language, subject, body) of the owners' mails, in order."""
    with schema_context("public"):
        rows = Outbox.objects.filter(to_email__in=[m.contact_email for m in merchants])
        texts = [(row, render(row.event, row.language, row.context, "")) for row in rows]
        return [
            (row.event, row.to_email, row.language, text.title, text.body)
            for row, text in sorted(texts, key=lambda pair: pair[0].pk)
        ]


def test_an_ended_trial_turns_read_only_once_and_the_owner_is_told_in_arabic() -> None:
    ended = NOW - 2 * HOUR
    shop = merchant("olive-cafe", name_ar="مقهى الزيتون", owner_language="ar", trial_ends_at=ended)

    with time_machine.travel(NOW, tick=False):
        billing_clock.apply().get()
        billing_clock.apply().get()

    shop.refresh_from_db()
    assert (shop.billing_status, shop.read_only_reason, shop.read_only_since) == (
        "read_only",
        "trial_ended",
        ended,
    )
    assert mails(shop) == [
        (
            "merchant_read_only",
            "owner@olive-cafe.jo",
            "ar",
            "أصبحت لوحة مقهى الزيتون للقراءة فقط",
            "انتهت تجربتك المجانية. أصبحت لوحة التحكم للقراءة فقط: لا يمكن ربح النقاط أو "
            "استبدالها ولا تُرسل الرسائل. يحتفظ عملاؤك بنقاطهم وسجلهم وقسائمهم. اختر خطة أو "
            "حدّث وسيلة الدفع لتعود فوراً:\n"
            "\u2068http://olive-cafe.localhost/admin/subscription/\u2069",
        )
    ]


def test_a_grace_period_that_ran_out_turns_read_only_as_unpaid_in_english() -> None:
    failed = NOW - DAY * (settings.PAST_DUE_GRACE_DAYS + 1)
    lapsed = merchant(
        "fig-gym",
        plan=Plan.objects.get(code="growth"),
        billing_status=Merchant.Billing.PAST_DUE,
        past_due_since=failed,
    )
    in_grace = merchant(
        "date-spa",
        plan=Plan.objects.get(code="growth"),
        billing_status=Merchant.Billing.PAST_DUE,
        past_due_since=NOW - DAY * (settings.PAST_DUE_GRACE_DAYS - 1),
    )

    result = billing_clock_run(now=NOW)

    lapsed.refresh_from_db()
    in_grace.refresh_from_db()
    assert result["lapsed"] >= 1
    assert (lapsed.billing_status, lapsed.read_only_reason, lapsed.past_due_since) == (
        "read_only",
        "unpaid",
        None,
    )
    assert lapsed.read_only_since == failed + DAY * settings.PAST_DUE_GRACE_DAYS
    assert (in_grace.billing_status, in_grace.read_only_since) == ("past_due", None)
    assert mails(lapsed, in_grace) == [
        (
            "merchant_read_only",
            "owner@fig-gym.jo",
            "en",
            "Fig Gym is now read-only",
            "We could not take your payment. Your dashboard is read-only: no points can be "
            "earned or redeemed and no messages are sent. Your customers keep their points, "
            "history and vouchers. Choose a plan or update your payment to start again at "
            "once:\nhttp://fig-gym.localhost/admin/subscription/",
        )
    ]
    # Nothing more on the next run.
    assert merchant_lapse(merchant_id=lapsed.pk, now=NOW + HOUR) is None
    assert len(mails(lapsed)) == 1


def test_the_owner_is_reminded_3_days_and_1_day_before_each_once() -> None:
    # 22:30 UTC is 01:30 the next day in Amman: the mail gives Amman's date.
    ends = datetime.datetime(2031, 3, 3, 22, 30, tzinfo=datetime.UTC)
    shop = merchant("lime-bakery", trial_ends_at=ends, timezone="Asia/Amman")
    arabic = merchant(
        "mint-salon", name_ar="صالون النعناع", owner_language="ar", trial_ends_at=ends
    )
    far = merchant("pear-shop", trial_ends_at=ends + 2 * DAY)

    for hour in range(3):  # hourly runs inside the 3-day window
        billing_clock_run(now=NOW + hour * HOUR)
    three_days = mails(shop, arabic, far)
    for hour in range(3):  # and inside the 1-day window
        billing_clock_run(now=ends - DAY + hour * HOUR)

    assert three_days == [
        (
            "trial_ending",
            "owner@lime-bakery.jo",
            "en",
            "Your free trial of Lime Bakery ends on March 4, 2031",
            "The free trial of Lime Bakery ends on March 4, 2031. Choose a plan to keep "
            "awarding points and sending messages:\n"
            "http://lime-bakery.localhost/admin/subscription/\n"
            "Your customers keep their points either way.",
        ),
        (
            "trial_ending",
            "owner@mint-salon.jo",
            "ar",
            "تنتهي التجربة المجانية لـ صالون النعناع في 4 مارس، 2031",
            "تنتهي التجربة المجانية لـ صالون النعناع في 4 مارس، 2031. اختر خطة لتواصل منح "
            "النقاط وإرسال الرسائل:\n"
            "\u2068http://mint-salon.localhost/admin/subscription/\u2069\n"
            "يحتفظ عملاؤك بنقاطهم في كل الأحوال.",
        ),
    ]
    everything = mails(shop, arabic, far)
    assert [(event, to) for event, to, *_ in everything] == [
        ("trial_ending", "owner@lime-bakery.jo"),
        ("trial_ending", "owner@mint-salon.jo"),
        ("trial_ending", "owner@lime-bakery.jo"),
        ("trial_ending", "owner@mint-salon.jo"),
        ("trial_ending", "owner@pear-shop.jo"),  # its 3-day window began meanwhile
    ]
    assert sorted(TrialReminder.objects.filter(merchant=shop).values_list("days", flat=True)) == [
        1,
        3,
    ]


def test_a_job_that_missed_the_3_day_reminder_sends_only_the_1_day_one() -> None:
    shop = merchant("kiwi-cafe", trial_ends_at=NOW + 12 * HOUR)

    reminder = trial_reminder_send(merchant_id=shop.pk, now=NOW)

    assert reminder is not None and reminder.days == 1
    assert trial_reminder_send(merchant_id=shop.pk, now=NOW + HOUR) is None
    assert len(mails(shop)) == 1


def test_no_mail_to_an_unconfirmed_address_and_none_once_subscribed() -> None:
    unconfirmed = merchant("plum-gym", trial_ends_at=NOW + DAY, email_verified_at=None)
    subscribed = merchant(
        "cherry-cafe", trial_ends_at=NOW + DAY, billing_status=Merchant.Billing.ACTIVE
    )

    billing_clock_run(now=NOW)
    billing_clock_run(now=NOW + 2 * DAY)

    unconfirmed.refresh_from_db()
    subscribed.refresh_from_db()
    # The unconfirmed trial still ends; its owner is not mailed.
    assert (unconfirmed.billing_status, subscribed.billing_status) == ("read_only", "active")
    assert mails(unconfirmed, subscribed) == []


def test_two_jobs_at_once_lapse_and_remind_once() -> None:
    """Committed rows and real threads: both runs find the same work; the row lock and
    the reminder's unique key let one of them do it."""

    def create() -> tuple[int, int]:
        ending = merchant("quince-cafe", trial_ends_at=NOW + 2 * DAY)
        ended = merchant("guava-gym", trial_ends_at=NOW - HOUR)
        return ending.pk, ended.pk

    ending, ended = committed(create)
    try:
        reminders = run_together(
            2, "public", lambda i: trial_reminder_send(merchant_id=ending, now=NOW)
        )
        lapses = run_together(2, "public", lambda i: merchant_lapse(merchant_id=ended, now=NOW))

        assert sorted(r is None for r in reminders) == [False, True]
        assert sorted(m is None for m in lapses) == [False, True]
        shops = Merchant.objects.filter(pk__in=[ending, ended]).order_by("slug")
        assert [(m.slug, m.billing_status) for m in shops] == [
            ("guava-gym", "read_only"),
            ("quince-cafe", "trialing"),
        ]
        assert [(event, to) for event, to, *_ in mails(*shops)] == [
            ("trial_ending", "owner@quince-cafe.jo"),
            ("merchant_read_only", "owner@guava-gym.jo"),
        ]
    finally:

        def remove() -> None:
            Outbox.objects.filter(
                to_email__in=["owner@quince-cafe.jo", "owner@guava-gym.jo"]
            ).delete()
            Merchant.objects.filter(pk__in=[ending, ended]).delete()

        committed_past_the_relay(remove)


def test_a_canceled_subscription_turns_read_only_and_the_owner_is_told_once() -> None:
    shop = merchant(
        "plum-bar", plan=Plan.objects.get(code="growth"), billing_status=Merchant.Billing.ACTIVE
    )
    canceled = {
        "id": "sub_plum",
        "status": "canceled",
        "customer": "cus_plum",
        "canceled_at": int((NOW - HOUR).timestamp()),
        "items": {
            "data": [
                {
                    "quantity": 1,
                    "price": {
                        "id": "price_growth",
                        "unit_amount": 35000,
                        "currency": "jod",
                        "recurring": {"interval": "month"},
                    },
                }
            ]
        },
    }

    subscription_apply(merchant_id=shop.pk, data=canceled, seen_at=NOW)
    subscription_apply(merchant_id=shop.pk, data=canceled, seen_at=NOW + HOUR)

    shop.refresh_from_db()
    assert (shop.billing_status, shop.read_only_reason, shop.read_only_since) == (
        "read_only",
        "canceled",
        NOW,
    )
    assert mails(shop) == [
        (
            "merchant_read_only",
            "owner@plum-bar.jo",
            "en",
            "Plum Bar is now read-only",
            "Your subscription was canceled. Your dashboard is read-only: no points can be "
            "earned or redeemed and no messages are sent. Your customers keep their points, "
            "history and vouchers. Choose a plan or update your payment to start again at "
            "once:\nhttp://plum-bar.localhost/admin/subscription/",
        )
    ]
