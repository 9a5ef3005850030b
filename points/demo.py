"""Demo programmes: tiers, rewards, a campaign, about 50 members and 90 days of history.

Everything goes through the real services (join, earn, redeem, approve, use, void,
adjust), back-dated, so the demo ledger is exactly what the product would have
written, and `manage.py reconcile` holds over it. Random choices use a fixed seed:
every machine gets the same demo.
"""

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import User
from django.utils import timezone

from customers.models import Customer, Device
from customers.services import customer_get_or_create
from loyalty.errors import DomainError
from points.models import Campaign, Membership, PointsSettings, Tier
from points.services import (
    membership_join,
    points_adjust,
    points_earn,
    points_void,
    tier_entry_ensure,
    tier_save,
)
from rewards.models import Reward, RewardCategory
from rewards.services import (
    redemption_approve,
    redemption_cancel,
    redemption_create,
    redemption_reject,
    redemption_use,
)

HISTORY_DAYS = 90
MEMBERS = 50

FIRST_NAMES = [
    "Ahmad",
    "Lina",
    "Omar",
    "Rania",
    "Khaled",
    "Dana",
    "Yousef",
    "Sara",
    "Hamza",
    "Noor",
    "Tariq",
    "Maya",
    "Zaid",
    "Hala",
    "Faris",
    "Leen",
    "Ibrahim",
    "Jana",
    "Mahmoud",
    "Reem",
    "Sami",
    "Tala",
    "Bashar",
    "Aya",
    "Laith",
    "Farah",
    "Qais",
    "Salma",
    "Majd",
    "Yara",
]
LAST_NAMES = [
    "Haddad",
    "Khalil",
    "Nasser",
    "Saleh",
    "Mansour",
    "Yousef",
    "Hamdan",
    "Aziz",
    "Qasem",
    "Abbadi",
    "Masri",
    "Kurdi",
    "Zoubi",
    "Tamimi",
    "Shami",
    "Odeh",
    "Hijazi",
    "Rifai",
]


@dataclass(frozen=True)
class RewardSpec:
    category: str
    category_ar: str
    name: str
    name_ar: str
    cost: int
    kind: str = Reward.Kind.FREE_ITEM
    value: str = "0"
    min_tier: int | None = None
    stock: int | None = None


@dataclass(frozen=True)
class ProgrammeSpec:
    rate: str
    thresholds: tuple[int, int]  # Silver, Gold (points earned)
    amounts: tuple[str, str]  # typical purchase, JOD
    visits_per_week: tuple[float, float]
    campaign: dict[str, object]
    rewards: tuple[RewardSpec, ...]


PROGRAMMES = {
    "cafe-aroma": ProgrammeSpec(
        rate="10",
        thresholds=(1000, 3000),
        amounts=("2.250", "12.500"),
        visits_per_week=(0.5, 4.0),
        campaign={
            "name": "Happy Hour",
            "name_ar": "ساعة السعادة",
            "kind": "weekly",
            "multiplier": Decimal("2"),
            "weekdays": "2",
            "start_time": datetime.time(16),
            "end_time": datetime.time(18),
        },
        rewards=(
            RewardSpec("Drinks", "مشروبات", "Free Coffee", "قهوة مجانية", 100),
            RewardSpec("Food", "طعام", "Free Croissant", "كرواسون مجاني", 150),
            RewardSpec(
                "Discounts",
                "خصومات",
                "5 JOD off",
                "خصم 5 دنانير",
                400,
                Reward.Kind.FIXED_DISCOUNT,
                "5.000",
            ),
            RewardSpec(
                "Merchandise", "منتجات", "Aroma Mug", "كوب أروما", 600, min_tier=2, stock=20
            ),
        ),
    ),
    "fresh-fitness": ProgrammeSpec(
        rate="5",
        thresholds=(1500, 5000),
        amounts=("5.000", "35.000"),
        visits_per_week=(1.0, 4.5),
        campaign={
            "name": "Ramadan Nights",
            "name_ar": "ليالي رمضان",
            "kind": "dates",
            "multiplier": Decimal("1.5"),
            "starts_on": None,
            "ends_on": None,
        },
        rewards=(
            RewardSpec("Drinks", "مشروبات", "Free Smoothie", "سموذي مجاني", 120),
            RewardSpec("Gear", "معدات", "Gym Towel", "منشفة رياضية", 300, stock=30),
            RewardSpec(
                "Sessions", "جلسات", "Personal Training Session", "جلسة تدريب شخصي", 800, min_tier=1
            ),
            RewardSpec(
                "Discounts",
                "خصومات",
                "10% off renewal",
                "خصم 10% على التجديد",
                1000,
                Reward.Kind.PERCENT_DISCOUNT,
                "10",
            ),
        ),
    ),
    "bella-salon": ProgrammeSpec(
        rate="5",
        thresholds=(800, 2500),
        amounts=("12.000", "60.000"),
        visits_per_week=(0.2, 0.9),
        campaign={
            "name": "Weekend Glow",
            "name_ar": "إشراقة نهاية الأسبوع",
            "kind": "weekly",
            "multiplier": Decimal("1.5"),
            "weekdays": "5,6",
            "start_time": datetime.time(10),
            "end_time": datetime.time(20),
        },
        rewards=(
            RewardSpec("Hair", "شعر", "Free Blow-dry", "تجفيف مجاني", 250),
            RewardSpec(
                "Discounts",
                "خصومات",
                "15% off any service",
                "خصم 15% على أي خدمة",
                400,
                Reward.Kind.PERCENT_DISCOUNT,
                "15",
            ),
            RewardSpec("Nails", "أظافر", "Free Manicure", "مناكير مجاني", 500),
            RewardSpec("Hair", "شعر", "Hair Treatment", "علاج للشعر", 900, min_tier=1),
        ),
    ),
}


def demo_customers(count: int = 90) -> list[Customer]:
    """A fixed pool of customers; many belong to more than one demo merchant."""
    rng = random.Random(2026)
    customers = []
    for i in range(count):
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        birthday = datetime.date(rng.randint(1970, 2004), rng.randint(1, 12), rng.randint(1, 28))
        customers.append(
            customer_get_or_create(
                # 079 numbers, valid for the phone checks (sign-in, search).
                phone=f"+96279{3_000_000 + i * 7919 % 6_000_000:07d}",
                name=name,
                language=rng.choice([Customer.Language.ARABIC, Customer.Language.ENGLISH]),
                birthday=birthday,
            )
        )
    # A third of them take marketing, by push (a phone with the app) and e-mail.
    for i, customer in enumerate(customers):
        if i % 3 == 0 and not customer.marketing_consent:
            customer.marketing_consent = True
            customer.email = customer.email or f"member{i}@example.jo"
            customer.save(update_fields=["marketing_consent", "email"])
            Device.objects.get_or_create(
                token=f"demo-device-{i}", defaults={"customer": customer, "platform": "android"}
            )
    return customers


def programme_seed(slug: str) -> bool:
    """Set up the programme of a demo merchant (in its schema). False if already there."""
    if Tier.objects.filter(threshold__gt=0).exists():  # the entry tier is there from the start
        return False
    spec = PROGRAMMES[slug]
    PointsSettings.objects.update_or_create(
        pk=1,
        defaults={
            "points_per_unit": Decimal(spec.rate),
            "expiry_months": 12,
            "welcome_bonus": 50,
            "birthday_bonus": 100,
            "referral_bonus_referrer": 100,
            "referral_bonus_referred": 50,
            "daily_earn_cap": 2000,
        },
    )
    silver, gold = spec.thresholds
    entry = tier_entry_ensure()
    entry.name, entry.name_ar, entry.colour = "Bronze", "برونزي", "#b08d57"
    entry.benefits, entry.benefits_ar = "Earn on every visit", "اكسب نقاطاً مع كل زيارة"
    tiers = [
        tier_save(tier=entry),
        tier_save(
            tier=Tier(
                name="Silver",
                name_ar="فضي",
                threshold=silver,
                multiplier=Decimal("1.5"),
                colour="#9ea7b3",
                benefits="1.5x points",
                benefits_ar="نقاط مضاعفة 1.5",
            )
        ),
        tier_save(
            tier=Tier(
                name="Gold",
                name_ar="ذهبي",
                threshold=gold,
                multiplier=Decimal("2"),
                colour="#d4a017",
                benefits="Double points and member gifts",
                benefits_ar="نقاط مضاعفة وهدايا للأعضاء",
            )
        ),
    ]
    categories: dict[str, RewardCategory] = {}
    for position, reward in enumerate(spec.rewards):
        category = categories.get(reward.category) or RewardCategory.objects.create(
            name=reward.category, name_ar=reward.category_ar, position=position
        )
        categories[reward.category] = category
        Reward.objects.create(
            category=category,
            name=reward.name,
            name_ar=reward.name_ar,
            points_cost=reward.cost,
            kind=reward.kind,
            value=Decimal(reward.value),
            min_tier=tiers[reward.min_tier] if reward.min_tier is not None else None,
            stock=reward.stock,
        )
    campaign = dict(spec.campaign)
    if campaign["kind"] == "dates":
        today = timezone.localdate()
        campaign["starts_on"] = today - datetime.timedelta(days=20)
        campaign["ends_on"] = today + datetime.timedelta(days=10)
    Campaign.objects.create(**campaign)
    return True


def history_seed(slug: str, customers: list[Customer], cashier: User, manager: User) -> int:
    """About 50 members with 90 days of visits, redemptions and corrections."""
    if Membership.objects.exists():
        return 0
    spec = PROGRAMMES[slug]
    rng = random.Random(slug)
    now = timezone.now()
    start = now - datetime.timedelta(days=HISTORY_DAYS)
    rewards = list(Reward.objects.filter(is_active=True))
    low, high = (Decimal(a) for a in spec.amounts)
    chosen = rng.sample(customers, MEMBERS)
    members: list[Membership] = []
    for index, customer in enumerate(chosen):
        joined = start + datetime.timedelta(days=rng.uniform(0, HISTORY_DAYS * 0.7))
        referrer = members[rng.randrange(len(members))] if members and rng.random() < 0.15 else None
        membership = membership_join(
            customer=customer,
            at=joined,
            referral_code=referrer.referral_code if referrer else "",
        )
        members.append(membership)
        rate = rng.uniform(*spec.visits_per_week) / 7
        moment = joined
        while True:
            moment += datetime.timedelta(days=rng.expovariate(rate))
            if moment >= now:
                break
            moment = timezone.localtime(moment).replace(
                hour=rng.randint(8, 21), minute=rng.randint(0, 59)
            )
            if moment >= now:
                break
            price = low + (high - low) * Decimal(rng.random())
            amount = ((price * 4).to_integral_value() / 4).quantize(Decimal("0.001"))
            earn = points_earn(membership_id=membership.pk, amount=amount, actor=cashier, at=moment)
            if rng.random() < 0.01:
                points_void(
                    entry_id=earn.pk,
                    actor=manager,
                    reason="Rang up twice",
                    at=moment + datetime.timedelta(minutes=3),
                )
            if rng.random() < 0.25:
                _redeem(rng, membership.pk, rewards, cashier, moment, now)
        if index % 17 == 5:
            points_adjust(
                membership_id=membership.pk,
                points=25,
                reason="Order was late",
                actor=manager,
                at=now - datetime.timedelta(days=rng.randint(1, 30)),
            )
    return len(members)


def _redeem(
    rng: random.Random,
    membership_id: int,
    rewards: list[Reward],
    cashier: User,
    moment: datetime.datetime,
    now: datetime.datetime,
) -> None:
    reward = rng.choice(rewards)
    try:
        redemption = redemption_create(
            membership_id=membership_id,
            reward_id=reward.pk,
            at=moment + datetime.timedelta(minutes=1),
        )
    except DomainError:
        return  # not enough points, tier too low or out of stock: as at a real counter
    later = min(moment + datetime.timedelta(minutes=rng.randint(2, 30)), now)
    if now - moment < datetime.timedelta(days=2) and rng.random() < 0.6:
        return  # recent ones wait in the redemptions queue
    roll = rng.random()
    if roll < 0.05:
        redemption_reject(
            redemption_id=redemption.pk, actor=cashier, reason="Item unavailable", at=later
        )
    elif roll < 0.08:
        redemption_cancel(redemption_id=redemption.pk, membership_id=membership_id, at=later)
    else:
        redemption_approve(redemption_id=redemption.pk, actor=cashier, at=later)
        if rng.random() < 0.95:
            redemption_use(redemption_id=redemption.pk, actor=cashier, at=later)
