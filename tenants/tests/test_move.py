"""Moving a merchant to another database (`tenants.move`, `manage.py merchant_move`).

The second database is another database on the test's own PostgreSQL cluster
(CREATE DATABASE), one per test: the move talks to it over a connection of its own,
exactly as it would to another server, and the cluster is already running, so this
costs a second instead of starting a second pgserver. The merchants and their history
are committed once for the module (the move reads the source over its own
connections, which see only committed rows), and removed at the end.
"""

import datetime
import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import psycopg
import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import models
from django.utils import timezone
from django_tenants.utils import tenant_context
from psycopg import sql

from customers.models import Customer, Device, MerchantLink
from loyalty.celery import app
from loyalty.db import connection
from loyalty.errors import NotAllowed
from points.models import LedgerEntry, Membership, PointsLot
from points.services import membership_join, points_earn
from points.tests.factories import customer_make, programme_create
from rewards.models import Redemption
from rewards.services import redemption_create
from tenants.models import Merchant, MerchantPlacement
from tenants.move import PUBLIC_TABLES, PUBLIC_TABLES_LEFT, MoveRefused, merchant_move
from tenants.services import merchant_create
from tests.fixtures import paying_on_pro
from webcard.models import CardSession
from webpush.models import PushSubscription

pytestmark = pytest.mark.django_db

_targets = itertools.count(1)
AT = datetime.datetime(2026, 11, 20, 18, 0, tzinfo=datetime.UTC)


def _server_args(name: str | None = None) -> dict[str, Any]:
    db = connection.settings_dict
    host = db["HOST"] or db.get("OPTIONS", {}).get("host", "")
    args = {"dbname": name or db["NAME"], "user": db["USER"], "host": host}
    if db.get("PORT"):
        args["port"] = str(db["PORT"])
    if db.get("PASSWORD"):
        args["password"] = db["PASSWORD"]
    return args


@dataclass
class World:
    mover: Merchant
    stayer: Merchant
    shared: Customer  # a member of both


def _history(merchant: Merchant, customers: list[Customer]) -> None:
    with tenant_context(merchant):
        programme = programme_create()
        for number, customer in enumerate(customers, start=1):
            membership = membership_join(customer=customer, at=AT)
            for visit in range(number + 1):
                points_earn(
                    membership_id=membership.pk,
                    amount=Decimal("12.500") * number,
                    at=AT + datetime.timedelta(hours=visit),
                )
        first = Membership.objects.order_by("pk").first()
        assert first is not None
        redemption_create(
            membership_id=first.pk,
            reward_id=programme.free_coffee.pk,
            at=AT + datetime.timedelta(days=1),
        )


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    # Built outside any test transaction: the earns' messages are relayed here and now,
    # not by a Celery worker of the session that would still be writing to these schemas
    # while the teardown drops them.
    app.conf.task_always_eager = True
    with django_db_blocker.unblock():
        try:
            merchants, shared, only_here = _world_build()
        finally:
            app.conf.task_always_eager = False
        mover, stayer = merchants
        yield World(mover, stayer, shared)
        with connection.cursor() as cursor:
            for merchant in merchants:
                cursor.execute(f'DROP SCHEMA IF EXISTS "{merchant.schema_name}" CASCADE')
        Merchant.objects.filter(pk__in=[m.pk for m in merchants]).delete()
        # Their memberships went with the schemas: no collector may look for them.
        ids = [shared.pk, *(c.pk for c in only_here)]
        with connection.cursor() as cursor:
            for table in ("customers_device", "customers_notificationpreference"):
                cursor.execute(f"DELETE FROM {table} WHERE customer_id = ANY(%s)", [ids])
            cursor.execute("DELETE FROM customers_customer WHERE id = ANY(%s)", [ids])


def _world_build() -> tuple[list[Merchant], Customer, list[Customer]]:
    """Two merchants with history, one customer in both, a card session and a push
    subscription of the moving one."""
    merchants = []
    for slug in ("mover-cafe", "stay-gym"):
        merchant = merchant_create(
            name=slug.title(), slug=slug, owner_email=f"owner@{slug}.test", owner_password="x"
        ).merchant
        paying_on_pro(merchant)
        Merchant.objects.filter(pk=merchant.pk).update(email_verified_at=AT)
        merchant.refresh_from_db()
        merchants.append(merchant)
    mover, stayer = merchants
    shared = customer_make(phone="+962790001001", name="Shared Sami")
    only_here = [customer_make(phone=f"+96279000200{n}") for n in range(1, 3)]
    Device.objects.create(customer=shared, token="device-of-sami", platform="android")
    _history(mover, [shared, *only_here])
    _history(stayer, [shared])
    now = timezone.now()
    CardSession.objects.create(
        key_hash="k" * 64,
        customer=shared,
        merchant=mover,
        last_seen_at=now,
        expires_at=now + datetime.timedelta(days=30),
    )
    PushSubscription.objects.create(
        customer=shared,
        merchant=mover,
        endpoint="https://push.example/sami",
        p256dh="p",
        auth="a",
        last_used_at=now,
    )
    return merchants, shared, only_here


@pytest.fixture(autouse=True)
def _fresh(world: World) -> None:
    """Each test's rollback undid the last one's writes; the module's objects too."""
    world.mover.refresh_from_db()
    world.stayer.refresh_from_db()


@pytest.fixture
def target(settings: Any, django_db_blocker: Any) -> Iterator[str]:
    """A fresh, empty database named `shard1` in MERCHANT_DATABASES."""
    name = f"test_move_{os.getpid()}_{next(_targets)}"
    with psycopg.connect(**_server_args(), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    args = _server_args(name)
    settings.MERCHANT_DATABASES = {
        "shard1": f"postgres://{args['user']}@/{name}?host={quote(args['host'])}"
    }
    yield name
    with psycopg.connect(**_server_args(), autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def _on(database: str, query: str, params: Any = None) -> list[tuple[Any, ...]]:
    with psycopg.connect(**_server_args(database)) as conn:
        return conn.execute(query, params).fetchall()  # type: ignore[arg-type]


def _figures(database: str, schema: str) -> dict[str, Any]:
    """What a merchant's schema holds, read over a connection of its own."""
    rows = _on(
        database,
        f"""SELECT (SELECT count(*) FROM "{schema}".points_membership),
                   (SELECT count(*) FROM "{schema}".points_ledgerentry),
                   (SELECT sum(points) FROM "{schema}".points_ledgerentry),
                   (SELECT sum(current_points) FROM "{schema}".points_membership),
                   (SELECT sum(remaining) FROM "{schema}".points_pointslot),
                   (SELECT count(*) FROM "{schema}".points_pointslot),
                   (SELECT count(*) FROM "{schema}".rewards_redemption),
                   (SELECT count(*) FROM "{schema}".auth_user)""",
    )
    keys = ["members", "entries", "points", "balances", "lots_left", "lots", "redemptions", "staff"]
    return dict(zip(keys, rows[0], strict=True))


def _source_db() -> str:
    return str(connection.settings_dict["NAME"])


# The committed history: 3 members with 2, 3 and 4 visits at 12.500, 25.000 and 37.500
# JOD (9 earns, some at Silver's 1.5x), one coffee redeemed for 100 points.
MOVER = {
    "members": 3,
    "entries": 10,
    "points": 2899,
    "balances": 2899,
    "lots_left": 2899,
    "lots": 9,
    "redemptions": 1,
    "staff": 3,
}


def test_every_public_table_naming_a_merchant_or_customer_is_copied_or_said_why_not() -> None:
    tenant_only = set(settings.TENANT_APPS) - set(settings.SHARED_APPS)
    named = set()
    for model in apps.get_models():
        if model._meta.app_config.name in tenant_only:
            continue
        for f in model._meta.get_fields():
            if isinstance(f, models.ForeignKey) and f.related_model in (Merchant, Customer):
                named.add(model._meta.db_table)
    copied = {spec.table for spec in PUBLIC_TABLES}
    assert named - copied - set(PUBLIC_TABLES_LEFT) == set()


def test_the_move_copies_the_schema_and_public_rows_and_records_the_placement(
    world: World, target: str
) -> None:
    stayer_before = _figures(_source_db(), world.stayer.schema_name)
    assert _figures(_source_db(), world.mover.schema_name) == MOVER

    report = merchant_move(merchant=world.mover, database="shard1", settle=0)

    assert report.prepared is True
    assert _figures(target, world.mover.schema_name) == MOVER
    assert report.ledger["points"] == (2899, 2899)
    assert report.drifts == []
    assert all(before == after for before, after in report.schema_rows.values())
    assert report.public_rows["tenants_merchant"] == (1, 1, 0)
    assert report.public_rows["customers_customer"] == (3, 3, 0)
    assert report.public_rows["customers_merchantlink"] == (3, 3, 0)
    assert report.public_rows["customers_device"] == (1, 1, 0)
    assert report.public_rows["webcard_cardsession"] == (1, 1, 0)
    assert report.public_rows["webpush_pushsubscription"] == (1, 1, 0)
    # Ids kept; only the mover's rows went; the target's copy is writable.
    assert _on(target, "SELECT id, slug, moving_since FROM tenants_merchant") == [
        (world.mover.pk, "mover-cafe", None)
    ]
    assert _on(target, "SELECT id, phone FROM customers_customer WHERE id = %s", [world.shared.pk])
    assert _on(target, "SELECT domain FROM tenants_domain") == [("mover-cafe.localhost",)]
    assert _on(
        target, "SELECT nspname FROM pg_namespace WHERE nspname IN ('mover_cafe', 'stay_gym')"
    ) == [("mover_cafe",)]
    # Reconcile runs on the target as on the source, and the schema's constraints came too.
    with (
        pytest.raises(psycopg.errors.ForeignKeyViolation),
        psycopg.connect(**_server_args(target)) as conn,
    ):
        conn.execute(
            "UPDATE mover_cafe.points_membership SET tier_id = 999999"
            " WHERE id = (SELECT min(id) FROM mover_cafe.points_membership)"
        )
    # Where it lives, and the copy left behind is read-only.
    placement = MerchantPlacement.objects.get(merchant=world.mover)
    assert (placement.database, placement.source_dropped) == ("shard1", False)
    world.mover.refresh_from_db()
    assert world.mover.moving_since is not None
    assert world.mover.is_read_only is True
    assert _figures(_source_db(), world.mover.schema_name) == MOVER
    # The merchant that stays is untouched, its member included.
    world.stayer.refresh_from_db()
    assert (world.stayer.moving_since, world.stayer.is_read_only) == (None, False)
    assert _figures(_source_db(), world.stayer.schema_name) == stayer_before
    assert MerchantLink.objects.filter(customer=world.shared).count() == 2

    with pytest.raises(CommandError, match="mover-cafe already lives in shard1"):
        call_command("merchant_move", "mover-cafe", "--to", "shard1", "--settle", "0")
    assert _figures(target, world.mover.schema_name) == MOVER


def test_a_customer_already_on_the_target_is_kept_and_a_clash_refuses(
    world: World, target: str
) -> None:
    merchant_move(merchant=world.mover, database="shard1", settle=0)
    # The shared customer's copy on the target changed phone (another person under
    # this id): moving the other merchant, who shares them, must refuse.
    _on_write(target, "UPDATE customers_customer SET phone = '+962790009999' WHERE id = %s", world)
    with pytest.raises(MoveRefused, match=r"customers_customer #\d+ on the target is another row"):
        merchant_move(merchant=world.stayer, database="shard1", settle=0)
    assert _on(target, "SELECT count(*) FROM tenants_merchant") == [(1,)]
    assert _on(target, "SELECT count(*) FROM pg_namespace WHERE nspname = 'stay_gym'") == [(0,)]
    world.stayer.refresh_from_db()
    assert world.stayer.moving_since is None
    assert not MerchantPlacement.objects.filter(merchant=world.stayer).exists()

    # The same person: kept as the target has it (never overwritten), and the move goes.
    _on_write(
        target,
        "UPDATE customers_customer SET phone = %s, name = 'Sami (target)' WHERE id = %s",
        world,
        phone=True,
    )
    report = merchant_move(merchant=world.stayer, database="shard1", settle=0)
    assert report.public_rows["customers_customer"] == (1, 0, 1)
    assert report.public_rows["customers_device"] == (1, 0, 1)
    assert _on(target, "SELECT name FROM customers_customer WHERE id = %s", [world.shared.pk]) == [
        ("Sami (target)",)
    ]
    assert _on(target, "SELECT count(*) FROM customers_merchantlink") == [(4,)]
    assert _figures(target, world.stayer.schema_name) == _figures(
        _source_db(), world.stayer.schema_name
    )


def _on_write(database: str, query: str, world: World, phone: bool = False) -> None:
    params = [world.shared.phone, world.shared.pk] if phone else [world.shared.pk]
    with psycopg.connect(**_server_args(database)) as conn:
        conn.execute(query, params)  # type: ignore[arg-type]


def test_a_failure_at_the_last_moment_leaves_the_source_as_it_was_and_the_target_empty(
    world: World, target: str
) -> None:
    # A move that crashed earlier left the mark: this one goes on from there.
    Merchant.objects.filter(pk=world.mover.pk).update(moving_since=AT)

    def fail(cursor: psycopg.Cursor[Any]) -> None:
        cursor.execute("SELECT 1 / 0")

    with pytest.raises(MoveRefused, match="rolled back: division by zero"):
        merchant_move(merchant=world.mover, database="shard1", settle=0, before_commit=fail)

    assert _on(target, "SELECT to_regclass('public.tenants_merchant')") == [(None,)]
    assert _on(target, "SELECT count(*) FROM pg_namespace WHERE nspname = 'mover_cafe'") == [(0,)]
    world.mover.refresh_from_db()
    assert (world.mover.moving_since, world.mover.is_read_only) == (None, False)
    assert not MerchantPlacement.objects.exists()
    assert _figures(_source_db(), world.mover.schema_name) == MOVER
    with tenant_context(world.mover):
        assert LedgerEntry.objects.count() == 10
        assert PointsLot.objects.count() == 9
        assert Redemption.objects.count() == 1

    # Nothing was left half done: the same move now goes through.
    out = _command("mover-cafe", "--drop-source")
    assert "mover-cafe lives in shard1 now; the schema here is dropped; 0 drift(s)" in out
    assert _figures(target, world.mover.schema_name) == MOVER
    assert MerchantPlacement.objects.get(merchant=world.mover).source_dropped is True
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_namespace WHERE nspname = 'mover_cafe'")
        assert cursor.fetchone() == (0,)


def test_a_database_not_configured_or_the_same_one_is_refused(world: World, settings: Any) -> None:
    settings.MERCHANT_DATABASES = {}
    with pytest.raises(CommandError, match="No database named 'shard9'"):
        _command("mover-cafe", to="shard9")
    args = _server_args()
    settings.MERCHANT_DATABASES = {
        "here": f"postgres://{args['user']}@/{args['dbname']}?host={quote(args['host'])}"
    }
    with pytest.raises(CommandError, match="here is the database the merchant is in"):
        _command("mover-cafe", to="here")
    world.mover.refresh_from_db()
    assert world.mover.moving_since is None


def _command(slug: str, *extra: str, to: str = "shard1") -> str:
    from io import StringIO

    out = StringIO()
    call_command("merchant_move", slug, "--to", to, "--settle", "0", *extra, stdout=out)
    return out.getvalue()


def test_a_merchant_on_the_move_refuses_earning_and_shows_its_balances(world: World) -> None:
    Merchant.objects.filter(pk=world.mover.pk).update(moving_since=AT)
    world.mover.refresh_from_db()
    with tenant_context(world.mover):
        membership = Membership.objects.order_by("pk").first()
        assert membership is not None
        with pytest.raises(NotAllowed, match="moving to a new server") as refused:
            points_earn(membership_id=membership.pk, amount=Decimal("10.000"))
        assert refused.value.code == "merchant_inactive"
        assert LedgerEntry.objects.count() == 10
        assert membership.current_points == 150
