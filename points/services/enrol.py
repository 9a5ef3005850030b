"""A customer joins at the counter by phone, so the first point needs no app: the
cashier types the number, the customer gets a code by SMS and reads it out, and the
cashier types it. Where the owner allows it (`PointsSettings.enrol_without_code`), the
cashier may enrol without the code.

The code is a sign-in code of its own purpose (`join`): it enrols, it signs nobody in,
so the cashier who hears it cannot use it to open the customer's account. Sending it
keeps every limit of sign-in codes (customers.services.otp_request).

A new member then gets the link to the merchant's web card by SMS, so they see their
card and balance at once, with nothing to install.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django_tenants.utils import get_public_schema_name, schema_context

from billing.limits import plan_limit_lock
from customers.models import Customer, OtpChallenge
from customers.services import customer_get_or_create, otp_request, otp_verify, phone_normalize
from loyalty.errors import DomainError, NotAllowed
from loyalty.formatting import isolate
from loyalty.ratelimit import RateLimited, hit, wait_minutes
from messaging.sms import sms_send
from points.calculation import digits_latin
from points.models import Membership
from points.selectors import membership_by_phone, points_settings
from tenants.models import Merchant
from tenants.roles import can
from tenants.selectors import merchant_card_url, merchant_current
from tenants.services import merchant_email_verified_require, merchant_writable_require

from .membership import membership_join

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EnrolStarted:
    """The phone in E.164, and the membership when the customer is a member already
    (then no code was sent)."""

    phone: str
    membership: Membership | None


def _allowed(actor: User) -> None:
    if not can(actor, "members.enrol"):
        raise NotAllowed("not_allowed", _("Your role does not allow enrolling customers."))


def membership_enrol_code_send(*, phone: str, actor: User) -> EnrolStarted:
    """Send the customer the code to join, unless they are a member here already.

    The shop's counter is one address sending codes all day, so the per-address limit
    of sign-in codes does not apply; the shop has an hourly budget of its own instead
    (`COUNTER_ENROL_CODES_PER_HOUR`), beside every per-phone, prefix and country limit.
    """
    _allowed(actor)
    phone = phone_normalize(phone)
    existing = membership_by_phone(phone)
    if existing is not None:
        return EnrolStarted(phone=phone, membership=existing)
    # A join costs a welcome bonus and a message: no text from an unconfirmed shop.
    merchant_writable_require()
    merchant_email_verified_require()
    customer = Customer.objects.filter(phone=phone).first()
    if customer is not None and not customer.is_active:
        raise DomainError("customer_inactive", _("This account is closed."))
    merchant = merchant_current()
    shop = merchant.name
    try:
        hit(
            f"enrol:merchant:{merchant.schema_name}",
            limit=settings.COUNTER_ENROL_CODES_PER_HOUR,
            window=3600,
            reason="merchant",
        )
        # Codes are the platform's, as at sign-in: the record of the text and the
        # per-phone limits live in the public schema, not in the merchant's.
        with schema_context(get_public_schema_name()):
            otp_request(
                phone=phone,
                purpose=OtpChallenge.Purpose.JOIN,
                language=customer.language if customer else Customer.Language.ARABIC,
                merchant_name=shop,
            )
    except RateLimited as limited:
        raise RateLimited(
            limited.retry_after,
            _("Too many codes were sent for now: try again in %(minutes)s min.")
            % {"minutes": wait_minutes(limited.retry_after)},
            reason=limited.fields.get("limit"),
        ) from limited
    return EnrolStarted(phone=phone, membership=None)


def membership_enrol(
    *,
    phone: str,
    actor: User,
    code: str = "",
    without_code: bool = False,
    name: str = "",
) -> Membership:
    """Make the customer with this phone a member (the customer is created if new),
    with the code they were sent, or without it where the owner allows that. `name`
    names a new customer (an existing customer's name is theirs to change).

    Idempotent: enrolling a member again returns their membership, unchanged, and a
    second request with the same code (a double tap) waits for the first and returns
    the membership it made. Each new member is written to the audit log."""
    _allowed(actor)
    phone = phone_normalize(phone)
    existing = membership_by_phone(phone)
    if existing is not None:
        return existing
    merchant_writable_require()
    merchant_email_verified_require()
    made: list[Membership] = []

    def join(verified: str) -> None:
        # The plan's members limit locks the merchant's row before the customer's
        # (membership_join counts under it): the order every join takes them in.
        plan_limit_lock("members")
        customer = customer_get_or_create(phone=verified, name=name.strip()[:120])
        # One enrolment of a customer at a time: a twin request waits here, then finds
        # the membership (and writes no second audit line).
        Customer.objects.select_for_update().filter(pk=customer.pk).first()
        membership = Membership.objects.filter(customer=customer).first()
        if membership is None:
            membership = membership_join(customer=customer)
            _audit(membership, actor, with_code=not without_code)
            # After the commit: a rolled-back join sends nothing, and no provider is
            # called while rows are locked.
            merchant = merchant_current()
            transaction.on_commit(
                lambda: card_link_send(customer=customer, merchant=merchant), robust=True
            )
        made.append(membership)

    if without_code:
        if not points_settings().enrol_without_code:
            raise DomainError(
                "enrol_code_required",
                _("This shop enrols customers with the code sent to their phone only."),
                fields={"code": [_("Type the code the customer received.")]},
            )
        with transaction.atomic():
            join(phone)
        return made[0]
    typed = "".join(ch for ch in digits_latin(str(code)) if ch.isdigit())
    try:
        otp_verify(phone=phone, code=typed, purpose=OtpChallenge.Purpose.JOIN, then=join)
    except DomainError:
        # The same code sent twice: the first request used it and made the member.
        again = membership_by_phone(phone)
        if again is not None:
            return again
        raise
    return made[0]


def card_link_send(*, customer: Customer, merchant: Merchant) -> None:
    """Text a new member the link to the merchant's web card, in their language. A
    refusal by the SMS provider is recorded (messaging.SentMessage) and logged; the
    member is enrolled all the same."""
    with translation.override(customer.language):
        name = merchant.name_ar if customer.language == "ar" and merchant.name_ar else merchant.name
        # The shop's name keeps its direction inside the other language's sentence; the
        # link stays last and bare, so phones see where it ends.
        body = _("You joined %(merchant)s's rewards. Your card and points: %(url)s") % {
            "merchant": isolate(name[:40]) if customer.language == "ar" else name[:40],
            "url": merchant_card_url(merchant),
        }
    try:
        sms_send(to=customer.phone, body=body, purpose="card_link")
    except DomainError:
        logger.warning("The web card link to new member %s was not sent", customer.pk)


def _audit(membership: Membership, actor: User, *, with_code: bool) -> None:
    """Who enrolled whom, and how, in the merchant's audit log."""
    LogEntry.objects.create(
        user=actor,
        content_type=ContentType.objects.get_for_model(Membership),
        object_id=str(membership.pk),
        object_repr=str(membership)[:200],
        action_flag=ADDITION,
        change_message=(
            "enrolled at the counter by phone with the SMS code"
            if with_code
            else "enrolled at the counter by phone without the SMS code"
        ),
    )
