"""Writes about merchants: provisioning, suspension, staff accounts."""

import datetime
import logging
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, User
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import get_public_schema_name, schema_context

from billing.limits import plan_limit_require
from billing.selectors import plan_trial
from loyalty.clientip import address_key
from loyalty.errors import Conflict, DomainError, NotAllowed
from loyalty.ratelimit import hit
from messaging.models import Event
from messaging.outbox import outbox_add
from messaging.texts import WELCOME_WITH_LINK

from .models import Domain, Merchant, slug_validator
from .provisioning import schema_build
from .roles import ROLES, Role, role_forget
from .selectors import merchant_host

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProvisionedMerchant:
    merchant: Merchant
    owner: User
    schema_method: str  # "replayed" or "migrated"
    seconds: float


def merchant_slug_validate(slug: str) -> None:
    slug_validator(slug)
    if slug in settings.RESERVED_SLUGS or slug.startswith("pg-"):
        raise ValidationError(_("This address is reserved."), code="slug_reserved")
    words = slug.split("-")
    if any(blocked in slug for blocked in settings.BLOCKED_SLUG_WORDS) or any(
        word.startswith(blocked) for word in words for blocked in settings.BLOCKED_SLUG_STARTS
    ):
        raise ValidationError(_("Please choose another address."), code="slug_refused")
    if Merchant.objects.filter(slug=slug).exists():
        raise ValidationError(_("This address is already taken."), code="slug_taken")


def merchant_create(
    *,
    name: str,
    slug: str,
    owner_email: str,
    owner_password: str | None = None,
    owner_name: str = "",
    category: str = Merchant.Category.OTHER,
    city: str = "",
    name_ar: str = "",
    contact_phone: str = "",
    language: str = "en",
    email_verified: bool = True,
    check_base_url: str = "",
) -> ProvisionedMerchant:
    """Create a merchant with its schema, domain, staff roles and owner account.

    One transaction: a failure at any step leaves no row, schema or domain behind.
    A merchant the platform creates counts as verified; self-serve signup passes
    `email_verified=False`, and the owner is mailed a link under `check_base_url`.
    Without `owner_password` (the platform creates the merchant for its owner) the
    owner has no password yet: the welcome mail carries a link to choose one, the
    staff invitation's link (once, for PASSWORD_RESET_TIMEOUT).
    """
    started = time.perf_counter()
    slug = slug.strip().lower()
    merchant_slug_validate(slug)
    with transaction.atomic():
        merchant = Merchant.objects.create(
            schema_name=slug.replace("-", "_"),
            slug=slug,
            name=name,
            name_ar=name_ar,
            category=category,
            city=city,
            contact_email=owner_email,
            contact_phone=contact_phone,
            trial_ends_at=timezone.now() + datetime.timedelta(days=settings.TRIAL_DAYS),
            plan=plan_trial(),
            billing_status=Merchant.Billing.TRIALING,
            owner_language=language if language in ("en", "ar") else "",
            email_verified_at=timezone.now() if email_verified else None,
        )
        method = schema_build(schema_name=merchant.schema_name)
        Domain.objects.create(domain=merchant_host(merchant), tenant=merchant, is_primary=True)
        with schema_context(merchant.schema_name):
            roles_ensure()
            owner = staff_create(
                email=owner_email,
                role=Role.OWNER,
                password=owner_password,
                name=owner_name,
                first=True,
            )
        with schema_context(get_public_schema_name()):
            # The welcome mail is queued in the public schema's outbox, in this
            # transaction: no merchant, no mail; a merchant, always its mail.
            dashboard = f"{settings.PUBLIC_SCHEME}://{merchant_host(merchant)}"
            welcome: dict[str, Any] = (
                {}
                if owner_password
                else {
                    **WELCOME_WITH_LINK,
                    # A secret (messaging.secrets): only the owner's mail ever shows it.
                    "secret_url": staff_password_link(user=owner, base_url=dashboard),
                    "days": settings.PASSWORD_RESET_TIMEOUT // 86400,
                }
            )
            outbox_add(
                event=Event.MERCHANT_WELCOME,
                to_email=owner_email,
                language=language,
                dedupe_key=f"merchant-welcome:{merchant.pk}",
                merchant=merchant.name,
                owner_email=owner_email,
                dashboard_url=f"{dashboard}/admin/",
                **welcome,
            )
            if not email_verified:
                owner_email_check_send(
                    merchant=merchant, base_url=check_base_url, language=language
                )
    seconds = time.perf_counter() - started
    logger.info("merchant %s provisioned (%s) in %.3f s", slug, method, seconds)
    return ProvisionedMerchant(merchant, owner, method, seconds)


EMAIL_CHECK_SALT = "loyalty.tenants.owner-email-check"


def owner_email_check_send(*, merchant: Merchant, base_url: str, language: str = "en") -> None:
    """Mail the owner a link that proves the contact email theirs (platform outbox; the
    link is a secret, never stored in clear). `base_url`: the root domain's URL."""
    token = signing.dumps(
        {"m": merchant.pk, "e": merchant.contact_email.lower()}, salt=EMAIL_CHECK_SALT
    )
    with schema_context(get_public_schema_name()):
        outbox_add(
            event=Event.OWNER_EMAIL_CHECK,
            to_email=merchant.contact_email,
            language=language,
            merchant=merchant.name,
            days=settings.OWNER_EMAIL_CHECK_DAYS,
            secret_url=f"{base_url}/signup/verify/{token}/",
        )


def owner_email_confirm(*, token: str) -> Merchant:
    """The merchant whose owner opened the link, now verified (again: no change)."""
    invalid = DomainError(
        "email_check_invalid",
        "This link is not valid or has expired. Ask for a new one from your dashboard.",
    )
    try:
        data = signing.loads(
            token,
            salt=EMAIL_CHECK_SALT,
            max_age=datetime.timedelta(days=settings.OWNER_EMAIL_CHECK_DAYS),
        )
    except signing.BadSignature as error:
        raise invalid from error
    with transaction.atomic():
        merchant = Merchant.objects.select_for_update().filter(pk=data.get("m")).first()
        if merchant is None or merchant.contact_email.lower() != data.get("e"):
            raise invalid
        if merchant.email_verified_at is None:
            merchant.email_verified_at = timezone.now()
            merchant.save(update_fields=["email_verified_at"])
    return merchant


def merchant_email_verified_require(merchant: Merchant | None = None) -> None:
    """The one gate for what costs money or reaches people, until the owner's email is
    confirmed: a signup with someone else's address stays harmless. Every such service
    calls it first: points_earn, points_adjust, bonus_award, membership_join,
    broadcast_send, staff_invite_send (a job that would do one of these for a merchant
    skips an unconfirmed one). `merchant`: the current one by default."""
    from .selectors import merchant_current

    if not (merchant or merchant_current()).email_verified:
        raise NotAllowed(
            "email_unverified",
            # Shown to the cashier at the counter: in the reader's language.
            _(
                "Confirm the owner's email address first: open the link we sent, or send it "
                "again from the dashboard."
            ),
        )


def merchant_writable_require(merchant: Merchant | None = None) -> None:
    """The one gate of a lapsed subscription: a read-only merchant's balances, history
    and vouchers stay readable, and nothing new is earned, redeemed, sent or invited
    until it pays. Called first by points_earn, points_adjust, points_void,
    bonus_award, membership_join, membership_enrol_code_send, membership_enrol,
    redemption_create, redemption_approve, redemption_reject, redemption_use,
    broadcast_send, staff_invite and staff_invite_send. Not by redemption_cancel:
    a member may still take back a pending redemption and have the points returned.
    The daily jobs that expire, warn, pay bonuses or review tiers skip a read-only
    merchant (points.services.jobs, rewards.services.redemptions_expire), and paying
    again moves the expiries and tier reviews later by the pause
    (billing.services.expiries_resume). The merchant
    dashboard is read-only too (dashboard.gates). `merchant`: the current one by
    default."""
    from .selectors import merchant_current

    merchant = merchant or merchant_current()
    if merchant.moving_since is not None:
        raise NotAllowed(
            "merchant_inactive",
            _(
                "This shop's loyalty programme is moving to a new server: points and "
                "vouchers are kept, and nothing can be earned or redeemed for a few minutes."
            ),
        )
    if merchant.is_read_only:
        raise NotAllowed(
            "merchant_inactive",
            # Shown to the cashier and the customer: in the reader's language.
            _(
                "This shop's loyalty programme is paused: points and vouchers are kept, "
                "but nothing can be earned or redeemed until the owner renews the plan."
            ),
        )


def merchant_profile_update(*, merchant: Merchant, base_url: str, language: str = "en") -> Merchant:
    """Save the owner's changes to the business profile. A new contact email is not yet
    proven theirs: the merchant counts as unconfirmed again (no points, no messages) and
    the check goes to the new address, never to the old one."""
    with transaction.atomic():
        stored = Merchant.objects.select_for_update().get(pk=merchant.pk)
        changed = stored.contact_email.strip().lower() != merchant.contact_email.strip().lower()
        if changed:
            merchant.email_verified_at = None
        merchant.save()
        if changed:
            owner_email_check_send(merchant=merchant, base_url=base_url, language=language)
    return merchant


def merchant_suspend(*, merchant: Merchant, reason: str, actor: str) -> Merchant:
    """Pause a merchant: its hosts answer with the suspended page (the reason and how
    to reach the platform) until it is resumed. `actor`: the platform admin's email."""
    reason = reason.strip()
    if not reason:
        raise DomainError("reason_required", _("Say why the merchant is suspended."))
    with transaction.atomic():
        merchant = Merchant.objects.select_for_update().get(pk=merchant.pk)
        merchant.status = Merchant.Status.SUSPENDED
        merchant.suspended_reason = reason
        merchant.suspended_at = timezone.now()
        merchant.suspended_by = actor
        merchant.save(update_fields=_SUSPENSION_FIELDS)
    return merchant


_SUSPENSION_FIELDS = ["status", "suspended_reason", "suspended_at", "suspended_by"]


def merchant_resume(*, merchant: Merchant) -> Merchant:
    with transaction.atomic():
        merchant = Merchant.objects.select_for_update().get(pk=merchant.pk)
        merchant.status = Merchant.Status.ACTIVE
        merchant.suspended_reason = ""
        merchant.suspended_at = None
        merchant.suspended_by = ""
        merchant.save(update_fields=_SUSPENSION_FIELDS)
    return merchant


def roles_ensure() -> None:
    """Create the role groups in the current merchant schema (idempotent)."""
    for role in ROLES:
        Group.objects.get_or_create(name=role.value)


def staff_create(
    *, email: str, role: Role, password: str | None, name: str = "", first: bool = False
) -> User:
    """A staff account in the current merchant schema, with its role, within the plan's
    staff limit (`plan_limit_reached`). `first`: the owner made with the merchant, the
    account every plan includes (not counted against the limit)."""
    user_model = get_user_model()
    email = user_model.objects.normalize_email(email).lower()
    first_name, _sep, last_name = name.partition(" ")
    with transaction.atomic():
        if not first:
            plan_limit_require("staff")  # the merchant's row stays locked until commit
        user = user_model.objects.create_user(
            username=email,
            email=email,
            password=password,
            first_name=first_name,
            last_name=last_name,
            is_staff=True,
            # The owner holds every permission inside their own merchant.
            is_superuser=role == Role.OWNER,
        )
        user.groups.add(Group.objects.get(name=role.value))
    return user


ROLE_NAMES_AR = {Role.OWNER: "مالك", Role.MANAGER: "مدير", Role.CASHIER: "كاشير"}


def staff_invite(
    *, email: str, role: Role, name: str, inviter: str, base_url: str, language: str = "en"
) -> User:
    """Create a staff account without a password and mail its owner a link to choose
    one (valid PASSWORD_RESET_TIMEOUT; used once: setting the password ends it).
    Refused for an email already in use here (`staff_email_taken`), past the plan's
    staff limit (`plan_limit_reached`), for a read-only or unconfirmed merchant."""
    taken = get_user_model().objects.filter(username__iexact=email.strip()).exists()
    if taken:
        raise Conflict(
            "staff_email_taken",
            _("This email already belongs to a staff member."),
            fields={"email": [_("This email already belongs to a staff member.")]},
        )
    merchant_writable_require()
    with transaction.atomic():
        user = staff_create(email=email, role=role, password=None, name=name)
        staff_invite_send(
            user=user, role=role, inviter=inviter, base_url=base_url, language=language
        )
    return user


def staff_password_link(*, user: User, base_url: str) -> str:
    """The invitation's link: choose a password, then land in the dashboard signed in
    (dashboard.views.InviteView). Django's password-reset token: it ends once the
    password is set, or after PASSWORD_RESET_TIMEOUT. A secret: mail it only."""
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return f"{base_url}/admin/invite/{uid}/{token}/"


def staff_invite_send(
    *, user: User, role: Role, inviter: str, base_url: str, language: str = "en"
) -> None:
    merchant_writable_require()
    merchant_email_verified_require()
    outbox_add(
        event=Event.STAFF_INVITE,
        to_email=user.email,
        language=language,
        inviter=inviter,
        role=role.value.title(),
        role_ar=ROLE_NAMES_AR[role],
        # A secret (messaging.secrets): only the invited person's mail ever shows it.
        secret_url=staff_password_link(user=user, base_url=base_url),
        days=settings.PASSWORD_RESET_TIMEOUT // 86400,
    )


def staff_password_reset_request(
    *, email: str, ip: str, base_url: str, language: str = "en"
) -> None:
    """Mail a link to choose a new password to the staff account of this merchant that
    signs in with `email`, if there is one. The caller answers the same whether or not
    there is (no account enumeration), and the limits count every request alike: per
    client address and per email, each per hour (RateLimited).

    The link is a secret: it goes to the outbox as `secret_url`, never to a log.
    Accounts still waiting on their invitation (no password yet) get nothing: the
    invitation is their way in (Django's rule for password resets)."""
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    email = email.strip().lower()
    hour = 3600
    hit(
        f"password-reset:ip:{address_key(ip)}",
        limit=settings.PASSWORD_RESET_PER_IP_PER_HOUR,
        window=hour,
    )
    hit(
        f"password-reset:email:{email}",
        limit=settings.PASSWORD_RESET_PER_EMAIL_PER_HOUR,
        window=hour,
    )
    users = get_user_model().objects.filter(email__iexact=email, is_active=True, is_staff=True)
    with transaction.atomic():
        for user in users:
            if not user.has_usable_password():
                continue
            uid = urlsafe_base64_encode(force_bytes(user.pk))
            token = default_token_generator.make_token(user)
            outbox_add(
                event=Event.STAFF_PASSWORD_RESET,
                to_email=user.email,
                language=language,
                secret_url=f"{base_url}/admin/reset/{uid}/{token}/",
                days=settings.PASSWORD_RESET_TIMEOUT // 86400,
            )


def staff_role_set(*, user: User, role: Role) -> User:
    """Give a staff member exactly one role."""
    with transaction.atomic():
        user.groups.set([Group.objects.get(name=role.value)])
        role_forget(user)
        user.is_superuser = role == Role.OWNER
        user.save(update_fields=["is_superuser"])
    return user


def staff_deactivate(*, user: User) -> User:
    """Sign a staff member out of the dashboard and the counter app for good."""
    user.is_active = False
    user.save(update_fields=["is_active"])
    return user
