"""How many SQL statements each API operation costs, fixed per operation, so that an N+1
(or any new statement on a hot path) cannot come back unnoticed.

Every operation of the two OpenAPI schemas (merchant host and root domain) has a
scenario here: one realistic successful request with the right token and a valid body,
run inside `CaptureQueriesContext` (and with its on-commit callbacks run, as after a
real commit). `QUERIES` holds the count of each; a list is measured with 1 item and
with `MANY` items whose related rows differ (tiers, rewards, categories), and must cost
the same. A new endpoint fails `test_every_operation_has_a_count` until it gets an
entry.

What is counted: every statement Django sends through its cursor, so django-tenants'
`SET search_path` is in, and so are the SAVEPOINT / RELEASE SAVEPOINT pairs that stand,
inside the test's transaction, for the BEGIN / COMMIT an atomic block sends in
production. The connection health check (`SELECT 1`, not sent through the cursor) is
not. Caches are warm, as in steady use: the merchant's host is cached before the
request, and the relay is already queued (so a kick is one `SET NX`).

`REDIS` fixes the Redis commands of the hot operations (cache, throttles, locks,
relay kick), counted in this process around redis-py's `execute_command`.

When a count changes on purpose, change its entry: the failure prints the count
measured and every statement (or command)."""

import datetime as dt
import itertools
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import redis
import time_machine
from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import caches
from django.db import transaction
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from rest_framework.test import APIClient

from customers.models import Customer, Device
from customers.services import otp_request, phone_change_request
from loyalty.api.tokens import CUSTOMER, STAFF, tokens_issue
from loyalty.db import connection
from messaging.tasks import QUEUED_KEY
from notifications.models import InboxItem
from points.card import card_token_make
from points.models import Membership, Tier
from points.services import membership_join, points_adjust, points_earn
from points.tests.factories import Programme, RewardFactory, customer_make, programme_create
from rewards.models import Redemption, Reward, RewardCategory
from rewards.services import redemption_approve, redemption_create
from tenants.models import Merchant
from tenants.selectors import merchant_for_host
from tests import fixtures
from tests.api import ROOT, api, last_code
from tests.fixtures import PASSWORD

pytestmark = pytest.mark.django_db

AMMAN = ZoneInfo("Asia/Amman")
NOW = dt.datetime(2026, 11, 24, 11, 0, tzinfo=AMMAN)  # a Tuesday morning
MANY = 6

# --- the table -----------------------------------------------------------------------
# "<host> <METHOD> <path as in the schema>": statements. A list's count holds for 1 and
# for MANY items. Comments name the statements where they are not obvious; "auth" is
# the token's owner (customer or staff user), "sp" a SAVEPOINT / RELEASE pair.
QUERIES: dict[str, int] = {
    # merchant host, public: the merchant is the cached one
    "merchant GET /api/v1/merchant": 0,
    # merchant host, customer token. Each starts with search_path, the customer (auth)
    # and, where it needs it, the membership with its customer and tier.
    # join: membership lookup, settings, tiers, sp, sp, plan limit (merchant + plan),
    # number and referral code unique checks, insert, lock, merchant link (select, sp,
    # insert), welcome message (outbox), then the answer: the summary
    # (membership_summary: lots, settings, tiers, unread count, in one statement)
    "merchant POST /api/v1/join": 20,
    # the membership with its summary (membership_summary_for_customer: one statement)
    "merchant GET /api/v1/membership": 3,
    "merchant GET /api/v1/membership/card": 3,
    "merchant GET /api/v1/membership/card.{image_format}": 3,
    "merchant GET /api/v1/membership/history": 5,  # membership, page count, page
    "merchant GET /api/v1/membership/referral": 5,  # membership, settings, referrals count
    # membership, rewards with category and minimum tier (one query, paged in Python)
    "merchant GET /api/v1/rewards": 4,
    "merchant GET /api/v1/rewards/{id}": 4,
    # membership, sp, idempotency claim, locked membership, reward, ledger, lots (cursor),
    # lot update, consumption, membership update, voucher code check, settings (voucher
    # expiry), redemption insert, idempotency result, release
    "merchant POST /api/v1/rewards/{id}/redeem": 16,
    "merchant GET /api/v1/redemptions": 5,  # membership, page count, page with reward
    "merchant GET /api/v1/redemptions/{id}": 4,
    "merchant GET /api/v1/redemptions/{id}/qr.{image_format}": 4,
    # membership, redemption, membership again (the service's), sp, locks (redemption,
    # membership, reward, redemption), its ledger entry, refund entry, consumptions, lot
    # update, consumption, membership update, redemption update, release, the reward for
    # the answer (not read with the redemption)
    "merchant POST /api/v1/redemptions/{id}/cancel": 18,
    "merchant GET /api/v1/membership/inbox": 6,  # membership, unread, page count, page
    "merchant GET /api/v1/membership/inbox/unread-count": 4,
    "merchant POST /api/v1/membership/inbox/read-all": 4,
    "merchant POST /api/v1/membership/inbox/{id}/read": 5,
    # merchant host, staff token. Each starts with search_path and the staff user with
    # the names of its groups (the role), one statement (tenants.selectors.staff_active)
    "merchant POST /api/v1/staff/auth/login": 4,  # user, groups, last_login
    # blacklist check, the user, outstanding token (select, sp, insert), blacklist insert
    "merchant POST /api/v1/staff/auth/refresh": 10,
    "merchant POST /api/v1/staff/auth/logout": 12,  # as refresh, with simplejwt's lookups
    "merchant POST /api/v1/staff/scan": 3,  # membership with customer and tier
    "merchant GET /api/v1/staff/members": 3,
    "merchant GET /api/v1/staff/members/{id}/history": 5,  # membership, count, page
    # sp, idempotency claim, locked membership, settings, ledger + lot + membership update
    # (one statement), idempotency result, release
    "merchant POST /api/v1/staff/members/{id}/adjust": 9,
    # sp, the idempotency claim with the lock and everything the rules read (one
    # statement: points/services/earn.py), the writes with the idempotency result (one
    # statement), release; the answer's member is the one the service locked and updated
    "merchant POST /api/v1/staff/earn": 6,
    # sp, idempotency claim, entry, locked membership, earlier void, settings, the earn's
    # lot, consumptions, void entry + membership update (one statement), lots, lot
    # update, consumption, idempotency result, release
    "merchant POST /api/v1/staff/entries/{id}/void": 16,
    "merchant GET /api/v1/staff/redemptions": 4,  # count, page with reward, member, tier
    "merchant POST /api/v1/staff/vouchers/verify": 3,
    # sp, locks (redemption, membership, reward, redemption), update, outbox, release,
    # the queue's row for the answer
    "merchant POST /api/v1/staff/redemptions/{id}/approve": 11,
    "merchant POST /api/v1/staff/redemptions/{id}/reject": 16,  # and the refund
    "merchant POST /api/v1/staff/redemptions/{id}/use": 10,
    # email taken?, sp x3, plan limit, user, group, user's group, release, outbox, release
    "merchant POST /api/v1/staff/team/invitations": 14,
    # root domain: search_path public, then the customer (auth) where signed in
    # sp, earlier codes expired, code, SMS record, release
    "root POST /api/v1/auth/otp/request": 6,
    "root POST /api/v1/auth/otp/verify": 9,
    "root POST /api/v1/auth/token/refresh": 10,  # as the staff refresh
    "root POST /api/v1/auth/logout": 12,
    "root GET /api/v1/me": 2,
    "root PATCH /api/v1/me": 3,
    # sp, customer erased, devices, push subscriptions, codes, release, the merchant
    # links, then in each merchant: search_path and wallet passes (Google, Apple)
    "root DELETE /api/v1/me": 13,
    # preferences, devices, push subscriptions, card sessions, merchant links, then in
    # each merchant: search_path, membership, ledger, redemptions with reward
    "root GET /api/v1/me/export": 11,
    "root POST /api/v1/me/phone": 7,
    "root POST /api/v1/me/phone/confirm": 10,
    "root GET /api/v1/me/notification-preferences": 3,
    # sp, select, sp, insert, release, select, update, release (get_or_create + update)
    "root PATCH /api/v1/me/notification-preferences": 10,
    "root GET /api/v1/me/devices": 4,  # count, page
    "root POST /api/v1/me/devices": 10,  # sp, sp, token locked, sp, insert, releases
    "root DELETE /api/v1/me/devices/{id}": 4,
    # the merchants joined, then per merchant (MEMBERSHIPS_PER_MERCHANT): search_path,
    # the membership with its summary
    "root GET /api/v1/me/memberships": 5,
    "root POST /api/v1/me/memberships": 22,  # the merchant, then as a join on its host
    "root GET /api/v1/merchants": 3,  # count, page
    "root GET /api/v1/merchants/{slug}": 2,
}

# Redis commands of the hot operations, the merchant's host being already known to the
# process (tenants.selectors HOST_LOCAL_SECONDS): the throttle (one EVALSHA) and, for the
# earn, the relay kick (SET NX).
REDIS: dict[str, int] = {
    "merchant GET /api/v1/membership": 1,
    "merchant POST /api/v1/staff/scan": 1,
    "merchant GET /api/v1/staff/members": 1,
    "merchant POST /api/v1/staff/earn": 2,
    "root GET /api/v1/me": 1,
}

# The root domain's memberships visit each merchant the customer joined: this many
# statements more per merchant (the schemas are separate; see the scenario).
MEMBERSHIPS_PER_MERCHANT = 2


# --- the world: built once for the module, rolled back at its end -------------------


@dataclass
class World:
    merchant: fixtures.TestMerchant
    other: fixtures.TestMerchant
    programme: Programme
    tokens: dict[str, str]  # staff role -> access token
    refresh: dict[str, str]  # staff role -> refresh token
    categories: list[RewardCategory]
    tiers: list[Tier]
    phones: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    message_ids: Iterator[int] = field(default_factory=lambda: itertools.count(900_000))

    @property
    def host(self) -> str:
        return self.merchant.host

    def staff(self, role: str) -> APIClient:
        return api(self.host, self.tokens[role])

    def phone(self) -> str:
        return f"+96279{next(self.phones) + 5_550_000:07d}"


@dataclass
class Member:
    membership: Membership
    customer: Customer
    token: str
    refresh: str

    def at(self, host: str) -> APIClient:
        return api(host, self.token)


@pytest.fixture(scope="module")
def world(
    merchant_a: fixtures.TestMerchant, merchant_b: fixtures.TestMerchant, django_db_blocker: Any
) -> Iterator[World]:
    """The programme, categories, tiers and staff tokens, in one transaction kept open
    for the module (each test runs in a savepoint inside it) and rolled back after."""
    with django_db_blocker.unblock(), time_machine.travel(NOW, tick=True):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            with schema_context(merchant_a.schema):
                programme = programme_create()
                owner = User.objects.get(email=merchant_a.owner_email)
                categories = [programme.drinks] + [
                    RewardCategory.objects.create(name=name, name_ar=name)
                    for name in ("Food", "Desserts", "Merchandise")
                ]
                staff = {"owner": owner, "manager": programme.manager, "cashier": programme.cashier}
                issued = {
                    role: tokens_issue(kind=STAFF, subject_id=user.pk, schema=merchant_a.schema)
                    for role, user in staff.items()
                }
            yield World(
                merchant=merchant_a,
                other=merchant_b,
                programme=programme,
                tokens={role: t["access"] for role, t in issued.items()},
                refresh={role: t["refresh"] for role, t in issued.items()},
                categories=categories,
                tiers=[programme.bronze, programme.silver, programme.gold],
            )
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            connection.set_schema_to_public()


def member_make(w: World, *, tier: Tier | None = None, points: int = 0) -> Member:
    """A customer who joined merchant A (in its schema), with `points` and a token."""
    customer = customer_make(phone=w.phone())
    membership = membership_join(customer=customer)
    if tier is not None:
        Membership.objects.filter(pk=membership.pk).update(tier=tier)
    if points:
        points_adjust(
            membership_id=membership.pk, points=points, reason="start", actor=w.programme.manager
        )
    membership.refresh_from_db()
    issued = tokens_issue(kind=CUSTOMER, subject_id=customer.pk)
    return Member(membership, customer, issued["access"], issued["refresh"])


def rewards_make(w: World, count: int) -> list[Reward]:
    """`count` rewards, each of another category and minimum tier (the first two none)."""
    tiers: list[Tier | None] = [None, *w.tiers]
    return [
        RewardFactory.create(
            name=f"Reward {i}",
            category=w.categories[i % len(w.categories)],
            min_tier=tiers[i % len(tiers)] if i >= 2 else None,
            points_cost=10 + i,
        )
        for i in range(count)
    ]


def redeemed(m: Member, reward: Reward) -> Redemption:
    return redemption_create(membership_id=m.membership.pk, reward_id=reward.pk)


def inbox_make(w: World, m: Member, count: int) -> list[InboxItem]:
    return [
        InboxItem.objects.create(
            membership=m.membership,
            message_id=next(w.message_ids),
            event="points_earned",
            kind="transactional",
            title=f"Message {i}",
            body="You earned points.",
        )
        for i in range(count)
    ]


# --- the scenarios -------------------------------------------------------------------


@dataclass
class Call:
    """One request: `client.<method>(path, body)` answering `status`; a list's answer
    has `items` results."""

    client: APIClient
    method: str
    path: str
    body: dict[str, Any] | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    items: int | None = None

    def send(self) -> Any:
        send = getattr(self.client, self.method.lower())
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in self.headers.items()}
        if self.body is None:
            return send(self.path, **extra)
        return send(self.path, self.body, format="json", **extra)


Scenario = Callable[[World, int], Call]
SCENARIOS: dict[str, Scenario] = {}
LISTS: set[str] = set()


def op(operation: str, *, listed: bool = False) -> Callable[[Scenario], Scenario]:
    def register(scenario: Scenario) -> Scenario:
        assert operation not in SCENARIOS, operation
        SCENARIOS[operation] = scenario
        if listed:
            LISTS.add(operation)
        return scenario

    return register


KEY = {"Idempotency-Key": "qc-0001"}


# merchant host, public


@op("merchant GET /api/v1/merchant")
def _merchant_profile(w: World, n: int) -> Call:
    return Call(api(w.host), "GET", "/api/v1/merchant")


# merchant host, customer token


@op("merchant POST /api/v1/join")
def _join(w: World, n: int) -> Call:
    customer = customer_make(phone=w.phone())
    token = tokens_issue(kind=CUSTOMER, subject_id=customer.pk)["access"]
    return Call(api(w.host, token), "POST", "/api/v1/join", {}, status=201)


@op("merchant GET /api/v1/membership")
def _membership(w: World, n: int) -> Call:
    m = member_make(w, tier=w.programme.silver, points=700)
    return Call(m.at(w.host), "GET", "/api/v1/membership")


@op("merchant GET /api/v1/membership/card")
def _card(w: World, n: int) -> Call:
    return Call(member_make(w).at(w.host), "GET", "/api/v1/membership/card")


@op("merchant GET /api/v1/membership/card.{image_format}")
def _card_image(w: World, n: int) -> Call:
    return Call(member_make(w).at(w.host), "GET", "/api/v1/membership/card.svg")


@op("merchant GET /api/v1/membership/history", listed=True)
def _history(w: World, n: int) -> Call:
    m = member_make(w)
    for i in range(n):
        points_earn(membership_id=m.membership.pk, amount=f"{i + 1}.500")
    return Call(m.at(w.host), "GET", "/api/v1/membership/history", items=n)


@op("merchant GET /api/v1/membership/referral")
def _referral(w: World, n: int) -> Call:
    return Call(member_make(w).at(w.host), "GET", "/api/v1/membership/referral")


@op("merchant GET /api/v1/rewards", listed=True)
def _rewards(w: World, n: int) -> Call:
    Reward.objects.update(is_active=False)
    rewards_make(w, n)
    m = member_make(w, tier=w.programme.silver, points=50)
    return Call(m.at(w.host), "GET", "/api/v1/rewards", items=n)


@op("merchant GET /api/v1/rewards/{id}")
def _reward(w: World, n: int) -> Call:
    [reward] = rewards_make(w, 1)
    m = member_make(w)
    return Call(m.at(w.host), "GET", f"/api/v1/rewards/{reward.pk}")


@op("merchant POST /api/v1/rewards/{id}/redeem")
def _redeem(w: World, n: int) -> Call:
    m = member_make(w, points=500)
    path = f"/api/v1/rewards/{w.programme.free_coffee.pk}/redeem"
    return Call(m.at(w.host), "POST", path, status=201, headers=KEY)


@op("merchant GET /api/v1/redemptions", listed=True)
def _redemptions(w: World, n: int) -> Call:
    m = member_make(w, points=1000)
    for reward in rewards_make(w, n):
        Reward.objects.filter(pk=reward.pk).update(min_tier=None)
        redeemed(m, reward)
    return Call(m.at(w.host), "GET", "/api/v1/redemptions", items=n)


@op("merchant GET /api/v1/redemptions/{id}")
def _redemption(w: World, n: int) -> Call:
    m = member_make(w, points=500)
    voucher = redeemed(m, w.programme.free_coffee)
    return Call(m.at(w.host), "GET", f"/api/v1/redemptions/{voucher.pk}")


@op("merchant GET /api/v1/redemptions/{id}/qr.{image_format}")
def _redemption_qr(w: World, n: int) -> Call:
    m = member_make(w, points=500)
    voucher = redeemed(m, w.programme.free_coffee)
    return Call(m.at(w.host), "GET", f"/api/v1/redemptions/{voucher.pk}/qr.svg")


@op("merchant POST /api/v1/redemptions/{id}/cancel")
def _redemption_cancel(w: World, n: int) -> Call:
    m = member_make(w, points=500)
    voucher = redeemed(m, w.programme.free_coffee)
    return Call(m.at(w.host), "POST", f"/api/v1/redemptions/{voucher.pk}/cancel")


@op("merchant GET /api/v1/membership/inbox", listed=True)
def _inbox(w: World, n: int) -> Call:
    m = member_make(w)
    InboxItem.objects.filter(membership=m.membership).delete()
    inbox_make(w, m, n)
    return Call(m.at(w.host), "GET", "/api/v1/membership/inbox", items=n)


@op("merchant GET /api/v1/membership/inbox/unread-count")
def _inbox_unread(w: World, n: int) -> Call:
    m = member_make(w)
    inbox_make(w, m, 2)
    return Call(m.at(w.host), "GET", "/api/v1/membership/inbox/unread-count")


@op("merchant POST /api/v1/membership/inbox/read-all")
def _inbox_read_all(w: World, n: int) -> Call:
    m = member_make(w)
    inbox_make(w, m, 2)
    return Call(m.at(w.host), "POST", "/api/v1/membership/inbox/read-all")


@op("merchant POST /api/v1/membership/inbox/{id}/read")
def _inbox_read(w: World, n: int) -> Call:
    m = member_make(w)
    [item] = inbox_make(w, m, 1)
    return Call(m.at(w.host), "POST", f"/api/v1/membership/inbox/{item.pk}/read")


# merchant host, staff


@op("merchant POST /api/v1/staff/auth/login")
def _staff_login(w: World, n: int) -> Call:
    body = {"email": w.merchant.owner_email, "password": PASSWORD}
    return Call(api(w.host), "POST", "/api/v1/staff/auth/login", body)


@op("merchant POST /api/v1/staff/auth/refresh")
def _staff_refresh(w: World, n: int) -> Call:
    body = {"refresh": w.refresh["cashier"]}
    return Call(api(w.host), "POST", "/api/v1/staff/auth/refresh", body)


@op("merchant POST /api/v1/staff/auth/logout")
def _staff_logout(w: World, n: int) -> Call:
    body = {"refresh": w.refresh["cashier"]}
    return Call(w.staff("cashier"), "POST", "/api/v1/staff/auth/logout", body, status=204)


@op("merchant POST /api/v1/staff/scan")
def _scan(w: World, n: int) -> Call:
    m = member_make(w, tier=w.programme.silver, points=300)
    body = {"token": card_token_make(m.membership)}
    return Call(w.staff("cashier"), "POST", "/api/v1/staff/scan", body)


@op("merchant GET /api/v1/staff/members")
def _member_find(w: World, n: int) -> Call:
    m = member_make(w, tier=w.programme.silver)
    path = f"/api/v1/staff/members?phone={m.customer.phone.replace('+', '%2B')}"
    return Call(w.staff("cashier"), "GET", path)


@op("merchant GET /api/v1/staff/members/{id}/history", listed=True)
def _member_history(w: World, n: int) -> Call:
    m = member_make(w)
    for i in range(n):
        points_earn(membership_id=m.membership.pk, amount=f"{i + 2}.250")
    path = f"/api/v1/staff/members/{m.membership.pk}/history"
    return Call(w.staff("cashier"), "GET", path, items=n)


@op("merchant POST /api/v1/staff/members/{id}/adjust")
def _adjust(w: World, n: int) -> Call:
    m = member_make(w)
    path = f"/api/v1/staff/members/{m.membership.pk}/adjust"
    body = {"points": 120, "reason": "Missed receipt"}
    return Call(w.staff("manager"), "POST", path, body, status=201, headers=KEY)


@op("merchant POST /api/v1/staff/earn")
def _earn(w: World, n: int) -> Call:
    m = member_make(w, tier=w.programme.silver, points=300)
    body = {"member_id": m.membership.pk, "amount": "12.500"}
    return Call(w.staff("cashier"), "POST", "/api/v1/staff/earn", body, status=201, headers=KEY)


@op("merchant POST /api/v1/staff/entries/{id}/void")
def _void(w: World, n: int) -> Call:
    m = member_make(w)
    entry = points_earn(membership_id=m.membership.pk, amount="8.000", actor=w.programme.cashier)
    path = f"/api/v1/staff/entries/{entry.pk}/void"
    body = {"reason": "Wrong amount"}
    return Call(w.staff("cashier"), "POST", path, body, status=201, headers=KEY)


@op("merchant GET /api/v1/staff/redemptions", listed=True)
def _queue(w: World, n: int) -> Call:
    """`n` pending vouchers of `n` members, each of another tier, for another reward."""
    Redemption.objects.all().delete()
    tiers = [w.programme.bronze, w.programme.silver, w.programme.gold]
    for i, reward in enumerate(rewards_make(w, n)):
        Reward.objects.filter(pk=reward.pk).update(min_tier=None)
        redeemed(member_make(w, tier=tiers[i % 3], points=100), reward)
    return Call(w.staff("cashier"), "GET", "/api/v1/staff/redemptions", items=n)


@op("merchant POST /api/v1/staff/vouchers/verify")
def _verify(w: World, n: int) -> Call:
    voucher = redeemed(member_make(w, points=500), w.programme.free_coffee)
    body = {"code": voucher.voucher_code}
    return Call(w.staff("cashier"), "POST", "/api/v1/staff/vouchers/verify", body)


@op("merchant POST /api/v1/staff/redemptions/{id}/approve")
def _approve(w: World, n: int) -> Call:
    voucher = redeemed(member_make(w, points=500), w.programme.free_coffee)
    path = f"/api/v1/staff/redemptions/{voucher.pk}/approve"
    return Call(w.staff("cashier"), "POST", path)


@op("merchant POST /api/v1/staff/redemptions/{id}/reject")
def _reject(w: World, n: int) -> Call:
    voucher = redeemed(member_make(w, points=500), w.programme.free_coffee)
    path = f"/api/v1/staff/redemptions/{voucher.pk}/reject"
    return Call(w.staff("cashier"), "POST", path, {"reason": "Out of milk"})


@op("merchant POST /api/v1/staff/redemptions/{id}/use")
def _use(w: World, n: int) -> Call:
    voucher = redeemed(member_make(w, points=500), w.programme.free_coffee)
    redemption_approve(redemption_id=voucher.pk, actor=w.programme.cashier)
    path = f"/api/v1/staff/redemptions/{voucher.pk}/use"
    return Call(w.staff("cashier"), "POST", path)


@op("merchant POST /api/v1/staff/team/invitations")
def _invite(w: World, n: int) -> Call:
    body = {"email": "lina@qcount.test", "role": "cashier", "name": "Lina Saleh"}
    return Call(w.staff("owner"), "POST", "/api/v1/staff/team/invitations", body, status=201)


# root domain


@op("root POST /api/v1/auth/otp/request")
def _otp_request(w: World, n: int) -> Call:
    body = {"phone": w.phone()}
    return Call(api(ROOT), "POST", "/api/v1/auth/otp/request", body, status=202)


@op("root POST /api/v1/auth/otp/verify")
def _otp_verify(w: World, n: int) -> Call:
    phone = w.phone()
    with schema_context("public"):  # sign-in codes are the platform's
        customer_make(phone=phone)
        otp_request(phone=phone)
    body = {"phone": phone, "code": last_code(phone)}
    return Call(api(ROOT), "POST", "/api/v1/auth/otp/verify", body)


@op("root POST /api/v1/auth/token/refresh")
def _refresh(w: World, n: int) -> Call:
    body = {"refresh": member_make(w).refresh}
    return Call(api(ROOT), "POST", "/api/v1/auth/token/refresh", body)


@op("root POST /api/v1/auth/logout")
def _logout(w: World, n: int) -> Call:
    m = member_make(w)
    return Call(m.at(ROOT), "POST", "/api/v1/auth/logout", {"refresh": m.refresh}, status=204)


@op("root GET /api/v1/me")
def _me(w: World, n: int) -> Call:
    return Call(member_make(w).at(ROOT), "GET", "/api/v1/me")


@op("root PATCH /api/v1/me")
def _me_change(w: World, n: int) -> Call:
    return Call(member_make(w).at(ROOT), "PATCH", "/api/v1/me", {"name": "Rania Haddad"})


@op("root DELETE /api/v1/me")
def _me_close(w: World, n: int) -> Call:
    return Call(member_make(w, points=100).at(ROOT), "DELETE", "/api/v1/me", status=204)


@op("root GET /api/v1/me/export", listed=True)
def _export(w: World, n: int) -> Call:
    """`n` earns, `n` vouchers and `n` devices: the export lists them all."""
    m = member_make(w, points=1000)
    for i in range(n):
        points_earn(membership_id=m.membership.pk, amount=f"{i + 1}.000")
        Device.objects.create(customer=m.customer, token=f"fcm-{i}", platform="android")
    for reward in rewards_make(w, n):
        Reward.objects.filter(pk=reward.pk).update(min_tier=None)
        redeemed(m, reward)
    return Call(m.at(ROOT), "GET", "/api/v1/me/export")


@op("root POST /api/v1/me/phone")
def _phone_change(w: World, n: int) -> Call:
    body = {"phone": w.phone()}
    return Call(member_make(w).at(ROOT), "POST", "/api/v1/me/phone", body, status=202)


@op("root POST /api/v1/me/phone/confirm")
def _phone_confirm(w: World, n: int) -> Call:
    m, phone = member_make(w), w.phone()
    with schema_context("public"):
        phone_change_request(customer=m.customer, phone=phone)
    body = {"phone": phone, "code": last_code(phone)}
    return Call(m.at(ROOT), "POST", "/api/v1/me/phone/confirm", body)


@op("root GET /api/v1/me/notification-preferences")
def _preferences(w: World, n: int) -> Call:
    return Call(member_make(w).at(ROOT), "GET", "/api/v1/me/notification-preferences")


@op("root PATCH /api/v1/me/notification-preferences")
def _preferences_change(w: World, n: int) -> Call:
    body = {"sms_marketing": False}
    return Call(member_make(w).at(ROOT), "PATCH", "/api/v1/me/notification-preferences", body)


@op("root GET /api/v1/me/devices", listed=True)
def _devices(w: World, n: int) -> Call:
    m = member_make(w)
    for i in range(n):
        Device.objects.create(
            customer=m.customer, token=f"fcm-{i}", platform=("android", "ios")[i % 2]
        )
    return Call(m.at(ROOT), "GET", "/api/v1/me/devices", items=n)


@op("root POST /api/v1/me/devices")
def _device_register(w: World, n: int) -> Call:
    body = {"token": "fcm-new", "platform": "android"}
    return Call(member_make(w).at(ROOT), "POST", "/api/v1/me/devices", body, status=201)


@op("root DELETE /api/v1/me/devices/{id}")
def _device_forget(w: World, n: int) -> Call:
    m = member_make(w)
    device = Device.objects.create(customer=m.customer, token="fcm-old", platform="ios")
    return Call(m.at(ROOT), "DELETE", f"/api/v1/me/devices/{device.pk}", status=204)


@op("root GET /api/v1/me/memberships", listed=True)
def _memberships(w: World, n: int) -> Call:
    """A member of merchant A, and with n > 1 of merchant B as well: each merchant is a
    schema of its own, visited in turn (MEMBERSHIPS_PER_MERCHANT more statements)."""
    m = member_make(w, tier=w.programme.gold, points=2500)
    if n > 1:
        with schema_context(w.other.schema):
            membership_join(customer=m.customer)
    return Call(m.at(ROOT), "GET", "/api/v1/me/memberships", items=min(n, 2))


@op("root POST /api/v1/me/memberships")
def _join_any(w: World, n: int) -> Call:
    customer = customer_make(phone=w.phone())
    token = tokens_issue(kind=CUSTOMER, subject_id=customer.pk)["access"]
    body = {"merchant": w.merchant.merchant.slug}
    return Call(api(ROOT, token), "POST", "/api/v1/me/memberships", body, status=201)


@op("root GET /api/v1/merchants", listed=True)
def _merchants(w: World, n: int) -> Call:
    """`n` merchants named "Qcount …" of different categories and cities (rows only:
    the search reads no schema)."""
    categories = [c.value for c in Merchant.Category]
    Merchant.objects.bulk_create(
        Merchant(
            name=f"Qcount {i}",
            slug=f"qcount-{i}",
            schema_name=f"qcount_{i}",
            category=categories[i % len(categories)],
            city=("Amman", "Irbid", "Zarqa")[i % 3],
            join_code=f"QCNT{i:04d}",
        )
        for i in range(n)
    )
    return Call(api(ROOT), "GET", "/api/v1/merchants?q=Qcount", items=n)


@op("root GET /api/v1/merchants/{slug}")
def _merchant_detail(w: World, n: int) -> Call:
    return Call(api(ROOT), "GET", f"/api/v1/merchants/{w.merchant.merchant.slug}")


# --- measuring -----------------------------------------------------------------------


@dataclass
class Measured:
    response: Any
    statements: list[str]
    commands: list[str]

    def report(self, operation: str, n: int) -> str:
        sql = "\n".join(f"{i:3}. {s}" for i, s in enumerate(self.statements, 1))
        return (
            f"{operation} with {n} item(s): {len(self.statements)} statements, "
            f"{len(self.commands)} Redis commands ({' '.join(self.commands)})\n{sql}"
        )


@contextmanager
def redis_commands() -> Iterator[list[str]]:
    """The Redis commands this process sends (pipelined ones one by one)."""
    sent: list[str] = []
    single, piped = redis.Redis.execute_command, redis.client.Pipeline.execute

    def execute_command(self: redis.Redis, *args: Any, **options: Any) -> Any:
        sent.append(str(args[0]))
        return single(self, *args, **options)

    def execute(self: Any, *args: Any, **kwargs: Any) -> Any:
        sent.extend(str(command[0][0]) for command in self.command_stack)
        return piped(self, *args, **kwargs)

    redis.Redis.execute_command = execute_command  # type: ignore[method-assign]
    redis.client.Pipeline.execute = execute  # type: ignore[method-assign]
    try:
        yield sent
    finally:
        redis.Redis.execute_command = single  # type: ignore[method-assign]
        redis.client.Pipeline.execute = piped  # type: ignore[method-assign]


def measure(w: World, call: Call) -> Measured:
    """Send `call` with warm caches, its on-commit callbacks run, and count."""
    merchant_for_host(w.host)
    for schema in (w.merchant.schema, w.other.schema, settings.PUBLIC_SCHEMA_NAME):
        caches["platform"].set(QUEUED_KEY.format(schema), 1, timeout=60)
    connection.set_schema_to_public()
    with (
        CaptureQueriesContext(connection) as queries,
        redis_commands() as commands,
        TestCase.captureOnCommitCallbacks(execute=True),
    ):
        response = call.send()
    return Measured(response, [q["sql"] for q in queries.captured_queries], commands)


def run(world: World, operation: str, n: int) -> Measured:
    with time_machine.travel(NOW, tick=True):
        with schema_context(world.merchant.schema):
            call = SCENARIOS[operation](world, n)
        measured = measure(world, call)
    response = measured.response
    assert response.status_code == call.status, response.content[:2000]
    if call.items is not None:
        assert len(response.json()["results"]) == call.items, response.content[:2000]
    return measured


def operations_in_schemas() -> set[str]:
    found = set()
    for host, urlconf in (("merchant", "loyalty.urls_tenant"), ("root", "loyalty.urls_public")):
        generated = SchemaGenerator(urlconf=urlconf).get_schema(request=None, public=True)
        spec = json.loads(OpenApiJsonRenderer().render(generated))
        for path, item in spec["paths"].items():
            for method in item:
                if method in ("get", "post", "put", "patch", "delete"):
                    found.add(f"{host} {method.upper()} {path}")
    return found


# --- the tests -----------------------------------------------------------------------


def test_every_operation_has_a_count() -> None:
    """A new endpoint needs a scenario here and an entry in QUERIES (and a gone one
    leaves neither behind)."""
    operations = operations_in_schemas()
    assert sorted(operations - set(SCENARIOS)) == [], "operations without a scenario"
    assert sorted(set(SCENARIOS) - operations) == [], "scenarios of no operation"
    assert sorted(operations - set(QUERIES)) == [], "operations without a count in QUERIES"
    assert sorted(set(QUERIES) - operations) == [], "counts of no operation"
    assert set(REDIS) <= operations


SIZED = [
    pytest.param(operation, n, id=f"{operation} x{n}" if operation in LISTS else operation)
    for operation in SCENARIOS
    for n in ((1, MANY) if operation in LISTS else (1,))
]


@pytest.mark.parametrize(("operation", "n"), SIZED)
def test_query_count(world: World, operation: str, n: int) -> None:
    measured = run(world, operation, n)
    expected = QUERIES.get(operation)
    if operation == "root GET /api/v1/me/memberships" and expected is not None:
        expected += (min(n, 2) - 1) * MEMBERSHIPS_PER_MERCHANT
    assert len(measured.statements) == expected, measured.report(operation, n)
    if operation in REDIS:
        assert len(measured.commands) == REDIS[operation], measured.report(operation, n)
