"""A customer enrolled at the counter by phone: the code by SMS, read out to the cashier;
or no code where the owner allows it. Idempotent, audited, within the code limits."""

import datetime

import pytest
import time_machine
from django.contrib.admin.models import ADDITION, LogEntry
from django_tenants.utils import schema_context

from customers.models import Customer, OtpChallenge
from loyalty.errors import DomainError
from messaging.models import SentMessage
from points.models import LedgerEntry, Membership, PointsSettings
from points.selectors import member_search
from points.services import membership_enrol, membership_enrol_code_send, membership_join
from points.tests.factories import customer_make
from tenants.models import Merchant
from tests.api import ROOT, api, last_code
from tests.threads import committed, run_together

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 12, 1, 10, 15, tzinfo=datetime.UTC)
PHONE = "+962791234567"


@pytest.fixture(autouse=True)
def fixed_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def sms_to(phone: str) -> list[str]:
    with schema_context("public"):
        return list(SentMessage.objects.filter(to=phone).values_list("body", flat=True))


def audit_lines() -> list[tuple[str, str]]:
    return list(
        LogEntry.objects.filter(action_flag=ADDITION).values_list("object_repr", "change_message")
    )


def test_the_customer_joins_with_the_code_read_out_to_the_cashier(programme) -> None:
    PointsSettings.objects.filter(pk=1).update(welcome_bonus=25)

    started = membership_enrol_code_send(phone="079 123-4567", actor=programme.cashier)
    code = last_code(PHONE)
    member = membership_enrol(phone="0791234567", code=code, actor=programme.cashier, name="Rana")

    assert (started.phone, started.membership) == (PHONE, None)
    (body,) = sms_to(PHONE)
    assert body.startswith(f"{code} رمز انضمامك إلى برنامج نقاط \u2068Alpha Café\u2069.")
    assert (member.customer.phone, member.customer.name) == (PHONE, "Rana")
    assert member.customer.language == Customer.Language.ARABIC
    assert (member.current_points, member.total_earned) == (25, 25)
    assert audit_lines() == [
        (f"#{member.member_number}", "enrolled at the counter by phone with the SMS code")
    ]
    assert LogEntry.objects.get().user == programme.cashier


def test_enrolling_twice_makes_one_member_and_one_audit_line(programme) -> None:
    PointsSettings.objects.filter(pk=1).update(welcome_bonus=25)
    membership_enrol_code_send(phone=PHONE, actor=programme.cashier)
    code = last_code(PHONE)

    first = membership_enrol(phone=PHONE, code=code, actor=programme.cashier)
    second = membership_enrol(phone=PHONE, code=code, actor=programme.cashier)
    again = membership_enrol_code_send(phone=PHONE, actor=programme.cashier)

    assert again.membership is not None
    assert first.pk == second.pk == again.membership.pk
    assert Membership.objects.filter(customer__phone=PHONE).count() == 1
    assert LedgerEntry.objects.filter(membership=first).count() == 1  # one welcome bonus
    assert len(audit_lines()) == 1
    assert len(sms_to(PHONE)) == 1  # a member already: no second code


def test_a_wrong_code_enrols_nobody_and_counts(programme) -> None:
    membership_enrol_code_send(phone=PHONE, actor=programme.cashier)
    wrong = f"{(int(last_code(PHONE)) + 1) % 1_000_000:06d}"

    with pytest.raises(DomainError) as refused:
        membership_enrol(phone=PHONE, code=wrong, actor=programme.cashier)

    assert (refused.value.code, refused.value.fields) == ("otp_invalid", {"attempts_left": 4})
    assert not Membership.objects.filter(customer__phone=PHONE).exists()
    with schema_context("public"):
        assert not Customer.objects.filter(phone=PHONE).exists()
        assert OtpChallenge.objects.get(phone=PHONE).attempts == 1
    assert audit_lines() == []


def test_the_code_typed_in_arabic_indic_digits_enrols(programme) -> None:
    membership_enrol_code_send(phone=PHONE, actor=programme.cashier)
    arabic = last_code(PHONE).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))

    member = membership_enrol(phone="٠٧٩١٢٣٤٥٦٧", code=arabic, actor=programme.cashier)

    assert member.customer.phone == PHONE


def test_a_join_code_signs_nobody_in(programme, merchant_a) -> None:
    membership_enrol_code_send(phone=PHONE, actor=programme.cashier)
    code = last_code(PHONE)

    signed = api(ROOT).post(
        "/api/v1/auth/otp/verify", {"phone": PHONE, "code": code}, format="json"
    )

    assert signed.status_code == 422 and signed.json()["error"]["code"] == "otp_invalid"
    # ... and the code still enrols: the sign-in attempt did not use it up.
    with schema_context(merchant_a.schema):
        member = membership_enrol(phone=PHONE, code=code, actor=programme.cashier)
    assert member.customer.phone == PHONE


def test_without_the_code_only_where_the_owner_allows_it(programme) -> None:
    with pytest.raises(DomainError) as refused:
        membership_enrol(phone=PHONE, without_code=True, actor=programme.cashier)
    assert refused.value.code == "enrol_code_required"
    assert not Membership.objects.filter(customer__phone=PHONE).exists()

    PointsSettings.objects.filter(pk=1).update(enrol_without_code=True)
    member = membership_enrol(phone=PHONE, without_code=True, actor=programme.cashier)

    assert member.customer.phone == PHONE
    assert sms_to(PHONE) == []
    assert audit_lines() == [
        (f"#{member.member_number}", "enrolled at the counter by phone without the SMS code")
    ]


def test_a_customer_of_another_merchant_is_not_found_here_and_joins_as_themself(
    programme, merchant_b
) -> None:
    customer = customer_make(phone=PHONE, name="Omar")
    with schema_context(merchant_b.schema):
        membership_join(customer=customer)

    found = member_search("+962 79 123 4567")
    member = membership_enrol(
        phone=PHONE,
        code=_sent_code(programme),
        actor=programme.cashier,
        name="Someone else",
    )

    assert (found.membership, found.phone) == (None, PHONE)
    assert member.customer.pk == customer.pk
    assert Customer.objects.get(pk=customer.pk).name == "Omar"  # their name, unchanged


def _sent_code(programme) -> str:
    membership_enrol_code_send(phone=PHONE, actor=programme.cashier)
    return last_code(PHONE)


@pytest.mark.parametrize(
    ("phone", "code"),
    [
        ("12345", "invalid_phone"),
        ("+96265000000", "phone_not_mobile"),
        ("+971501234567", "phone_country_not_served"),
    ],
)
def test_a_bad_phone_is_refused_and_nothing_is_sent(programme, phone, code) -> None:
    before = SentMessage.objects.count()

    with pytest.raises(DomainError) as refused:
        membership_enrol_code_send(phone=phone, actor=programme.cashier)

    assert refused.value.code == code
    assert SentMessage.objects.count() == before


def test_a_second_code_within_the_minute_waits(programme) -> None:
    membership_enrol_code_send(phone=PHONE, actor=programme.cashier)

    with pytest.raises(DomainError) as refused:
        membership_enrol_code_send(phone=PHONE, actor=programme.cashier)

    assert refused.value.code == "rate_limited"
    assert refused.value.message == "Too many codes were sent for now: try again in 1 min."
    assert len(sms_to(PHONE)) == 1


def test_the_shop_has_its_own_hourly_budget_not_its_address(programme, settings) -> None:
    """A busy counter is one address: its codes are bounded by the shop's own budget
    (a stranger's sign-in attempts from the same café cannot use it up)."""
    settings.OTP_SENDS_PER_IP_PER_HOUR = 1
    settings.COUNTER_ENROL_CODES_PER_HOUR = 3
    phones = [f"+96279123450{n}" for n in range(4)]
    for phone in phones[:3]:
        membership_enrol_code_send(phone=phone, actor=programme.cashier)

    with pytest.raises(DomainError) as refused:
        membership_enrol_code_send(phone=phones[3], actor=programme.cashier)

    assert refused.value.code == "rate_limited"
    assert refused.value.fields["limit"] == "merchant"
    assert [len(sms_to(phone)) for phone in phones] == [1, 1, 1, 0]


def test_an_unconfirmed_shop_sends_no_code_and_enrols_nobody(programme, merchant_a) -> None:
    Merchant.objects.filter(pk=merchant_a.merchant.pk).update(email_verified_at=None)
    PointsSettings.objects.filter(pk=1).update(enrol_without_code=True)

    with pytest.raises(DomainError) as not_sent:
        membership_enrol_code_send(phone=PHONE, actor=programme.cashier)
    with pytest.raises(DomainError) as not_enrolled:
        membership_enrol(phone=PHONE, without_code=True, actor=programme.cashier)

    assert (not_sent.value.code, not_enrolled.value.code) == ("email_unverified",) * 2
    assert sms_to(PHONE) == []
    assert not Membership.objects.filter(customer__phone=PHONE).exists()


def test_the_same_code_sent_twice_at_once_makes_one_member(busy_merchant) -> None:
    schema, programme = busy_merchant
    phone = "+962791239876"
    with schema_context(schema):
        committed(lambda: membership_enrol_code_send(phone=phone, actor=programme.cashier))
        code = last_code(phone)

        results = run_together(
            2,
            schema,
            lambda i: membership_enrol(phone=phone, code=code, actor=programme.cashier).pk,
        )

        member = Membership.objects.get(customer__phone=phone)
        assert results == [member.pk, member.pk]
        assert LogEntry.objects.filter(object_id=str(member.pk)).count() == 1


def card_links(phone: str) -> list[str]:
    """The web card links texted to `phone` (the merchant's messages, in its schema)."""
    return list(
        SentMessage.objects.filter(to=phone, purpose="card_link").values_list("body", flat=True)
    )


def test_a_new_member_gets_the_web_card_link_in_arabic(
    programme, django_capture_on_commit_callbacks
) -> None:
    code = _sent_code(programme)

    with django_capture_on_commit_callbacks(execute=True):
        membership_enrol(phone=PHONE, code=code, actor=programme.cashier)

    assert card_links(PHONE) == [
        "انضممت إلى برنامج نقاط \u2068Alpha Café\u2069. بطاقتك ونقاطك: http://alpha-cafe.localhost/card/"
    ]
    assert SentMessage.objects.get(purpose="card_link").status == "recorded"


def test_an_english_customer_gets_it_in_english_over_the_public_scheme(
    programme, settings, django_capture_on_commit_callbacks
) -> None:
    settings.PUBLIC_SCHEME = "https"
    PointsSettings.objects.filter(pk=1).update(enrol_without_code=True)
    customer_make(phone=PHONE, language=Customer.Language.ENGLISH)

    with django_capture_on_commit_callbacks(execute=True):
        membership_enrol(phone=PHONE, without_code=True, actor=programme.cashier)

    assert card_links(PHONE) == [
        "You joined Alpha Café's rewards. Your card and points: https://alpha-cafe.localhost/card/"
    ]


def test_a_member_already_gets_no_second_link_and_a_refused_join_none(
    programme, django_capture_on_commit_callbacks
) -> None:
    code = _sent_code(programme)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(DomainError):
        membership_enrol(phone=PHONE, code=wrong, actor=programme.cashier)
    assert card_links(PHONE) == []

    with django_capture_on_commit_callbacks(execute=True):
        membership_enrol(phone=PHONE, code=code, actor=programme.cashier)
        membership_enrol(phone=PHONE, code=code, actor=programme.cashier)
        membership_enrol_code_send(phone=PHONE, actor=programme.cashier)
        membership_enrol(phone=PHONE, without_code=True, actor=programme.cashier)

    assert len(card_links(PHONE)) == 1
