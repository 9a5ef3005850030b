"""The data migration that gives existing merchants the billing state their plan implies
(tenants 0012), run on rows made here."""

import datetime
import importlib

import pytest
from django.apps import apps
from django.conf import settings
from django_tenants.utils import schema_context

from billing.models import Plan
from messaging.models import Outbox
from tenants.models import Merchant

pytestmark = pytest.mark.django_db

migration = importlib.import_module("tenants.migrations.0012_billing_of_existing_merchants")


def test_existing_merchants_get_the_billing_state_of_their_plan() -> None:
    trial, growth = Plan.objects.get(code="trial"), Plan.objects.get(code="growth")
    ends = datetime.datetime(2031, 3, 10, tzinfo=datetime.UTC)

    def make(slug: str, plan: Plan | None, **fields: object) -> Merchant:
        return Merchant.objects.create(
            schema_name=slug.replace("-", "_"), slug=slug, name=slug, plan=plan, **fields
        )

    paying = make("old-paying", growth, billing_status="trialing")
    dated = make("old-trial", trial, billing_status="active", trial_ends_at=ends)
    undated = make("old-undated", trial)
    planless = make("old-planless", None, billing_status="active")
    with schema_context("public"):
        Outbox.objects.create(
            event="merchant_welcome",
            to_email="o@x.jo",
            language="ar",
            dedupe_key=f"merchant-welcome:{dated.pk}",
        )

    migration.billing_set(apps, None)

    for merchant in (paying, dated, undated, planless):
        merchant.refresh_from_db()
    assert (paying.billing_status, paying.trial_ends_at) == ("active", None)
    assert (dated.billing_status, dated.trial_ends_at, dated.owner_language) == (
        "trialing",
        ends,
        "ar",
    )
    assert undated.billing_status == "trialing"
    assert undated.trial_ends_at == undated.created_at + datetime.timedelta(
        days=settings.TRIAL_DAYS
    )
    assert planless.billing_status == "trialing"
    assert undated.owner_language == ""
