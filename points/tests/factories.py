"""Factories and a small programme (the seed's) for ledger tests."""

import itertools
from dataclasses import dataclass
from decimal import Decimal
from typing import cast

import factory
from django.contrib.auth.models import User

from customers.models import Customer
from points.models import Membership, PointsSettings, Tier
from points.services import membership_join, tier_entry_ensure, tier_save
from rewards.models import Reward, RewardCategory
from tenants.roles import Role
from tenants.services import staff_create

_phones = itertools.count(1)


class CustomerFactory(factory.django.DjangoModelFactory[Customer]):
    class Meta:
        model = Customer

    phone = factory.LazyFunction(lambda: f"+9627{next(_phones) + 70_000_000:08d}")
    name = factory.Faker("name")
    language = Customer.Language.ENGLISH


def customer_make(**fields: object) -> Customer:
    return cast(Customer, CustomerFactory(**fields))


class RewardFactory(factory.django.DjangoModelFactory[Reward]):
    class Meta:
        model = Reward

    name = "Free Coffee"
    name_ar = "قهوة مجانية"
    points_cost = 100


@dataclass
class Programme:
    settings: PointsSettings
    bronze: Tier
    silver: Tier
    gold: Tier
    drinks: RewardCategory
    free_coffee: Reward
    cashier: User
    manager: User

    def member(self, tier: Tier | None = None, **customer: object) -> Membership:
        membership = membership_join(customer=customer_make(**customer))
        if tier is not None:
            Membership.objects.filter(pk=membership.pk).update(tier=tier)
            membership.refresh_from_db()
        return membership


def programme_create() -> Programme:
    """The seed's programme: 1 JOD = 10 points, Bronze 1x, Silver 1.5x, Gold 2x."""
    settings, _ = PointsSettings.objects.update_or_create(
        pk=1, defaults={"points_per_unit": Decimal("10")}
    )
    bronze = tier_entry_ensure()  # every programme starts with it (as "Member")
    bronze.name, bronze.name_ar = "Bronze", "برونزي"
    bronze = tier_save(tier=bronze)
    silver = tier_save(
        tier=Tier(name="Silver", name_ar="فضي", threshold=500, multiplier=Decimal("1.5"))
    )
    gold = tier_save(
        tier=Tier(name="Gold", name_ar="ذهبي", threshold=2000, multiplier=Decimal("2"))
    )
    drinks = RewardCategory.objects.create(name="Drinks", name_ar="مشروبات")
    coffee = cast(Reward, RewardFactory(category=drinks))
    suffix = User.objects.count()
    cashier = staff_create(email=f"cashier{suffix}@t.jo", role=Role.CASHIER, password="x")
    manager = staff_create(email=f"manager{suffix}@t.jo", role=Role.MANAGER, password="x")
    return Programme(settings, bronze, silver, gold, drinks, coffee, cashier, manager)
