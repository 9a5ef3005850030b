"""Provisioning: a merchant gets a complete schema, its domain, roles and owner, fast,
and a replayed schema is the same as a migrated one."""

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django_tenants.utils import schema_context, schema_exists

from messaging.models import Outbox
from messaging.secrets import unseal
from tenants import provisioning, services
from tenants.models import Domain, Merchant, SchemaTemplate
from tenants.services import merchant_create

pytestmark = pytest.mark.django_db


def schema_shape(schema: str) -> dict[str, list[tuple[str, ...]]]:
    """Tables, columns, indexes and constraints by name, with the schema name removed."""
    queries = {
        "columns": """
            SELECT table_name, column_name, data_type, is_nullable, coalesce(column_default, '')
            FROM information_schema.columns WHERE table_schema = %s ORDER BY 1, 2""",
        "indexes": """
            SELECT tablename, indexname, indexdef FROM pg_indexes
            WHERE schemaname = %s ORDER BY 1, 2""",
        "constraints": """
            SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
            FROM pg_constraint WHERE connamespace = %s::regnamespace ORDER BY 1, 2""",
        "migrations": "SELECT app, name, '' FROM {schema}.django_migrations ORDER BY 1, 2",
        "content_types": "SELECT app_label, model, id::text FROM {schema}.django_content_type"
        " ORDER BY 3",
        "permissions": "SELECT codename, content_type_id::text, id::text"
        " FROM {schema}.auth_permission ORDER BY 3",
    }
    shape = {}
    with connection.cursor() as cursor:
        for name, sql in queries.items():
            quoted = f'"{schema}"'
            cursor.execute(sql.format(schema=quoted), [schema] if "%s" in sql else [])
            shape[name] = [
                tuple(str(v).replace(f"{schema}.", "S.").replace(quoted, "S") for v in row)
                for row in cursor.fetchall()
            ]
    return shape


def test_provisioning_creates_schema_domain_roles_and_owner() -> None:
    result = merchant_create(
        name="Zaatar House",
        slug="zaatar-house",
        owner_email="Owner@Zaatar.JO",
        owner_password="a-strong-pass-1",
        category="restaurant",
        city="Madaba",
    )

    merchant = result.merchant
    assert merchant.schema_name == "zaatar_house"
    assert schema_exists("zaatar_house")
    assert list(Domain.objects.filter(tenant=merchant).values_list("domain", "is_primary")) == [
        ("zaatar-house.localhost", True)
    ]
    with schema_context("zaatar_house"):
        assert sorted(Group.objects.values_list("name", flat=True)) == [
            "cashier",
            "manager",
            "owner",
        ]
        owner = User.objects.get()
        assert owner.username == "owner@zaatar.jo"
        assert owner.check_password("a-strong-pass-1")
        assert list(owner.groups.values_list("name", flat=True)) == ["owner"]
        assert owner.is_staff and owner.is_superuser


def test_every_merchant_app_has_its_tables_in_the_new_schema(merchant_a) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            [merchant_a.schema],
        )
        tables = {row[0] for row in cursor.fetchall()}
    assert {
        "auth_user",
        "auth_group",
        "django_session",
        "django_admin_log",
        "django_migrations",
        "django_content_type",
    } <= tables
    # Public-only tables never appear in a merchant schema.
    assert not {t for t in tables if t.startswith(("tenants_", "customers_", "billing_"))}


def test_replayed_schema_matches_a_migrated_one() -> None:
    SchemaTemplate.objects.all().delete()

    migrated = merchant_create(name="One", slug="shape-one", owner_email="a@one.jo")
    replayed = merchant_create(name="Two", slug="shape-two", owner_email="a@two.jo")

    assert (migrated.schema_method, replayed.schema_method) == ("migrated", "replayed")
    assert SchemaTemplate.objects.count() == 1
    expected = schema_shape("shape_one")
    assert expected["columns"] and expected["indexes"] and expected["constraints"]
    assert schema_shape("shape_two") == expected


def foreign_key_targets(schema: str) -> list[str]:
    """The schemas the foreign keys of `schema` point into."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT DISTINCT refns.nspname FROM pg_constraint c
               JOIN pg_class ref ON ref.oid = c.confrelid
               JOIN pg_namespace refns ON refns.oid = ref.relnamespace
               WHERE c.contype = 'f' AND c.connamespace = %s::regnamespace""",
            [schema],
        )
        return sorted(row[0] for row in cursor.fetchall())


def customer_triggers_from(schema: str) -> int:
    """The triggers on public.customers_customer that a constraint of `schema` put there."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT count(*) FROM pg_trigger t JOIN pg_constraint c ON c.oid = t.tgconstraint
               WHERE t.tgrelid = 'public.customers_customer'::regclass
                 AND c.connamespace = %s::regnamespace""",
            [schema],
        )
        return int(cursor.fetchone()[0])


def test_a_new_schema_has_no_foreign_key_into_public_migrated_or_replayed() -> None:
    SchemaTemplate.objects.all().delete()

    migrated = merchant_create(name="One", slug="fk-one", owner_email="a@one.jo")
    replayed = merchant_create(name="Two", slug="fk-two", owner_email="a@two.jo")

    assert (migrated.schema_method, replayed.schema_method) == ("migrated", "replayed")
    for schema in ("fk_one", "fk_two"):
        assert foreign_key_targets(schema) == [schema]
        assert customer_triggers_from(schema) == 0
    # The script each new merchant replays never refers to the customers table (0011
    # names the constraint only to drop it if there).
    script = SchemaTemplate.objects.get().script
    assert 'REFERENCES "customers_customer"' not in script
    assert 'REFERENCES "points_tier"' in script  # as Django writes a foreign key


def test_the_migration_drops_the_foreign_key_of_a_schema_built_before() -> None:
    merchant_create(name="Old", slug="fk-old", owner_email="a@old.jo")
    with schema_context("fk_old"):
        # Back to 0010 (0012's reverse adds the foreign key, as 0002 used to): the
        # schema of a merchant provisioned before this change.
        MigrationExecutor(connection).migrate([("points", "0010_catalog_per_merchant")])
        assert foreign_key_targets("fk_old") == ["fk_old", "public"]
        assert customer_triggers_from("fk_old") == 2

        MigrationExecutor(connection).migrate([("points", "0012_no_cross_schema_fk")])

    assert foreign_key_targets("fk_old") == ["fk_old"]
    assert customer_triggers_from("fk_old") == 0
    # The same catalog as a schema built now: migrate_schemas records it and skips it.
    fingerprint = provisioning.migrations_fingerprint()
    assert provisioning.schema_shapes(["fk_old"])["fk_old"] == provisioning.reference_shape(
        fingerprint=fingerprint
    )


def test_a_new_migration_state_is_migrated_for_real_not_replayed(monkeypatch) -> None:
    merchant_create(name="Before", slug="state-before", owner_email="a@b.jo")
    monkeypatch.setattr(provisioning, "migrations_fingerprint", lambda: "f" * 64)

    result = merchant_create(name="After", slug="state-after", owner_email="a@c.jo")

    assert result.schema_method == "migrated"
    assert SchemaTemplate.objects.filter(fingerprint="f" * 64).exists()
    assert schema_shape("state_after") == schema_shape("state_before")


def test_replayed_and_migrated_schemas_are_recorded_as_fully_migrated(
    merchant_a, merchant_b, capsys
) -> None:
    for merchant in (merchant_a, merchant_b):
        call_command("migrate_schemas", "--all", schema_name=merchant.schema, verbosity=1)
        assert "No migrations to apply" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("slug", "code"),
    [
        ("Bad Slug", "invalid_slug"),
        ("ab", "invalid_slug"),
        ("-edge", "invalid_slug"),
        ("www", "slug_reserved"),
        ("admin", "slug_reserved"),
        ("alpha-cafe", "slug_taken"),
    ],
)
def test_bad_slugs_are_refused_and_nothing_is_created(merchant_a, slug, code) -> None:
    merchants_before = Merchant.objects.count()

    with pytest.raises(ValidationError) as refused:
        merchant_create(name="X", slug=slug, owner_email="x@x.jo")

    assert refused.value.error_list[0].code == code
    assert Merchant.objects.count() == merchants_before


def test_a_failure_during_provisioning_leaves_nothing_behind(monkeypatch) -> None:
    def broken(**kwargs):
        raise RuntimeError("mail server down")

    monkeypatch.setattr(services, "staff_create", broken)

    with pytest.raises(RuntimeError):
        merchant_create(name="Half", slug="half-made", owner_email="a@half.jo")

    assert not Merchant.objects.filter(slug="half-made").exists()
    assert not Domain.objects.filter(domain="half-made.localhost").exists()
    assert not schema_exists("half_made")


def test_create_merchant_command_prints_progress_and_urls(capsys) -> None:
    call_command(
        "create_merchant",
        "Sahtain Bakery",
        "sahtain",
        "owner@sahtain.jo",
        "--password",
        "bakery-pass-2026",
        "--category",
        "cafe",
        "--city",
        "Zarqa",
    )

    out = capsys.readouterr().out
    assert "Creating Sahtain Bakery (sahtain)..." in out
    assert "Dashboard: http://sahtain.localhost:8000/admin/" in out
    assert "API:       http://sahtain.localhost:8000/api/v1/" in out
    assert "Owner:     owner@sahtain.jo (signs in with the password given)" in out
    assert "bakery-pass-2026" not in out
    assert Merchant.objects.get(slug="sahtain").city == "Zarqa"


def test_create_merchant_without_a_password_mails_the_owner_a_link(capsys) -> None:
    call_command("create_merchant", "Sahtain Bakery", "sahtain", "owner@sahtain.jo")

    out = capsys.readouterr().out
    assert "Owner:     owner@sahtain.jo (signs in with the link in the welcome mail)" in out
    merchant = Merchant.objects.get(slug="sahtain")
    welcome = Outbox.objects.get(dedupe_key=f"merchant-welcome:{merchant.pk}")
    assert unseal(welcome.secrets)["secret_url"].startswith(
        "http://sahtain.localhost/admin/invite/"
    )
    with schema_context("sahtain"):
        assert not User.objects.get(username="owner@sahtain.jo").has_usable_password()
