"""The demo merchants of the seed document, with their staff.

`seed_demo` builds them; later parts of the product add their tiers, rewards,
members and history here, through their own services.
"""

import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context

from billing.models import Plan
from billing.services import merchant_billing_set
from points.demo import demo_customers, history_seed, programme_seed

from .models import Merchant
from .roles import Role
from .services import merchant_create, staff_create
from .stats import stats_collect

DEMO_PASSWORD = "demo-pass-2026"
PLATFORM_ADMIN_EMAIL = "admin@platform.demo"


@dataclass(frozen=True)
class DemoStaff:
    role: Role
    email: str
    name: str


@dataclass(frozen=True)
class DemoMerchant:
    slug: str
    name: str
    name_ar: str
    category: str
    city: str
    phone: str
    staff: tuple[DemoStaff, ...]


DEMO_MERCHANTS = (
    DemoMerchant(
        "cafe-aroma",
        "Café Aroma",
        "مقهى أروما",
        Merchant.Category.CAFE,
        "Amman",
        "+962791234567",
        (
            DemoStaff(Role.OWNER, "owner@cafe-aroma.demo", "Rania Haddad"),
            DemoStaff(Role.MANAGER, "manager@cafe-aroma.demo", "Omar Khalil"),
            DemoStaff(Role.CASHIER, "cashier@cafe-aroma.demo", "Lina Saleh"),
        ),
    ),
    DemoMerchant(
        "fresh-fitness",
        "Fresh Fitness",
        "فريش فتنس",
        Merchant.Category.GYM,
        "Amman",
        "+962795551234",
        (
            DemoStaff(Role.OWNER, "owner@fresh-fitness.demo", "Sami Nasser"),
            DemoStaff(Role.MANAGER, "manager@fresh-fitness.demo", "Dana Yousef"),
            DemoStaff(Role.CASHIER, "cashier@fresh-fitness.demo", "Ali Mansour"),
        ),
    ),
    DemoMerchant(
        "bella-salon",
        "Bella Salon",
        "صالون بيلا",
        Merchant.Category.SALON,
        "Irbid",
        "+962777654321",
        (
            DemoStaff(Role.OWNER, "owner@bella-salon.demo", "Maya Aziz"),
            DemoStaff(Role.MANAGER, "manager@bella-salon.demo", "Nour Hamdan"),
            DemoStaff(Role.CASHIER, "cashier@bella-salon.demo", "Huda Saeed"),
        ),
    ),
)


# Each demo merchant is on a different plan: two pay (given their plan by the platform,
# without Stripe: the demo bills nothing, so they add nothing to the MRR Stripe bills),
# one is trialing.
DEMO_PLANS = {"cafe-aroma": "growth", "fresh-fitness": "starter", "bella-salon": "trial"}
# The trialing merchant's trial ends this many days after the seed, so its banner and
# reminder show.
DEMO_TRIAL_DAYS_LEFT = 3


def billing_seed(merchant: Merchant, *, created: bool) -> str | None:
    """Put the demo merchant on its plan, in the billing state the plan implies: a paid
    plan is paying, the trial plan trialing (ending DEMO_TRIAL_DAYS_LEFT after the
    merchant was seeded). Returns what changed, if anything: a trial that ran out since
    the seed is left as the clock made it."""
    plan = Plan.objects.get(code=DEMO_PLANS[merchant.slug])
    state = Merchant.Billing.TRIALING if plan.is_trial else Merchant.Billing.ACTIVE
    with transaction.atomic():
        merchant = Merchant.objects.select_for_update().get(pk=merchant.pk)
        if (
            merchant.plan_id == plan.pk
            and not created
            and (plan.is_trial or merchant.billing_status == state)
        ):
            return None
        merchant.plan = plan
        merchant_billing_set(merchant, state, at=timezone.now())
        if plan.is_trial and created:
            merchant.trial_ends_at = timezone.now() + datetime.timedelta(days=DEMO_TRIAL_DAYS_LEFT)
        merchant.save()
    return f"{merchant.slug} billing: {plan.code}, {merchant.get_billing_status_display()}"


def notifications_seed(slug: str) -> None:
    """The history is backfilled, not news: its outbox rows are closed unsent. Then one
    broadcast goes out (recorded, as every message without credentials), so the
    dashboard's log and the members' inboxes have something in them."""
    from messaging.models import Outbox
    from messaging.relay import deliveries_send, outbox_fan_out
    from notifications.models import Broadcast
    from notifications.services import broadcast_send, broadcasts_finish

    Outbox.objects.filter(status=Outbox.Status.PENDING).update(
        status=Outbox.Status.DONE, processed_at=timezone.now()
    )
    broadcast = Broadcast.objects.create(
        title_en="Thank you for visiting",
        body_en="Thank you for being with us, {name}. See you soon!",
        title_ar="شكراً لزيارتك",
        body_ar="شكراً لأنك معنا يا {name}. نراك قريباً!",
        push=True,
        email=True,
    )
    broadcast_send(broadcast_id=broadcast.pk)
    while outbox_fan_out():
        pass
    deliveries_send(seconds=120)
    broadcasts_finish()


def demo_seed() -> list[str]:
    """Create whatever part of the demo is missing; returns what was created."""
    created: list[str] = []
    customers = demo_customers()
    users = get_user_model().objects
    admin = users.filter(username=PLATFORM_ADMIN_EMAIL).first()
    if admin is None:
        admin = users.create_superuser(PLATFORM_ADMIN_EMAIL, PLATFORM_ADMIN_EMAIL, DEMO_PASSWORD)
        created.append(f"platform admin {PLATFORM_ADMIN_EMAIL}")
    if not TOTPDevice.objects.filter(user=admin).exists():
        TOTPDevice.objects.create(user=admin, name="demo authenticator", confirmed=True)
        created.append("platform admin's authenticator")
    for demo in DEMO_MERCHANTS:
        owner = next(s for s in demo.staff if s.role == Role.OWNER)
        merchant = Merchant.objects.filter(slug=demo.slug).first()
        new = merchant is None
        if merchant is None:
            merchant = merchant_create(
                name=demo.name,
                name_ar=demo.name_ar,
                slug=demo.slug,
                owner_email=owner.email,
                owner_password=DEMO_PASSWORD,
                owner_name=owner.name,
                category=demo.category,
                city=demo.city,
                contact_phone=demo.phone,
            ).merchant
            created.append(f"merchant {demo.slug}")
        billing = billing_seed(merchant, created=new)
        if billing:
            created.append(billing)
        with schema_context(merchant.schema_name), transaction.atomic():
            for person in demo.staff:
                if not users.filter(username=person.email).exists():
                    staff_create(
                        email=person.email,
                        role=person.role,
                        password=DEMO_PASSWORD,
                        name=person.name,
                    )
                    created.append(f"{person.role} {person.email}")
        with schema_context(merchant.schema_name):
            if programme_seed(demo.slug):
                created.append(f"{demo.slug} programme: tiers, rewards, campaign")
            staff = get_user_model().objects
            members = history_seed(
                demo.slug,
                customers,
                cashier=staff.get(username=demo.staff[2].email),
                manager=staff.get(username=demo.staff[1].email),
            )
            if members:
                created.append(f"{demo.slug} history: {members} members over 90 days")
                notifications_seed(demo.slug)
                today = timezone.localdate()
                for back in range(30):
                    stats_collect(day=today - datetime.timedelta(days=back))
    return created
