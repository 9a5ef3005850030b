"""Reads of the inbox and of broadcasts."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from customers.models import Device
from messaging.models import Channel
from points.models import Membership
from points.selectors import local_date

from .models import Broadcast, InboxItem

INACTIVE_DAYS = 30

# What a customer who never changed their preferences accepts as marketing.
MARKETING_DEFAULT: dict[str, bool] = {
    Channel.PUSH: True,
    Channel.EMAIL: False,
    Channel.SMS: False,
    Channel.WHATSAPP: False,
}


def unread_count(membership_id: int) -> int:
    """The member's inbox items not read yet (`membership_summary` counts them too, in
    its statement)."""
    return InboxItem.objects.filter(membership_id=membership_id, read_at__isnull=True).count()


def broadcast_members(*, segment: str, tier_id: int | None) -> QuerySet[Membership]:
    """The active members of a broadcast's segment, as of now."""
    members = Membership.objects.filter(status=Membership.Status.ACTIVE)
    if segment == Broadcast.Segment.TIER:
        return members.filter(tier_id=tier_id) if tier_id else members.none()
    if segment == Broadcast.Segment.INACTIVE_30:
        since = timezone.now() - datetime.timedelta(days=INACTIVE_DAYS)
        return members.filter(
            Q(last_visit_at__lt=since) | Q(last_visit_at__isnull=True, joined_at__lt=since)
        )
    if segment == Broadcast.Segment.BIRTHDAY_MONTH:
        return members.filter(customer__birthday__month=local_date(timezone.now()).month)
    return members


def _reachable_on(channel: str) -> Q:
    """Members who accept marketing on `channel` and have an address there (the same
    checks the relay makes before sending, messaging.relay._check)."""
    preference = f"customer__notification_preference__{channel}_marketing"
    accepts = Q(**{preference: True})
    if MARKETING_DEFAULT[channel]:
        accepts |= Q(customer__notification_preference__isnull=True)
    if channel == Channel.PUSH:
        address = Q(Exists(Device.objects.filter(customer_id=OuterRef("customer_id"))))
    elif channel == Channel.EMAIL:
        address = ~Q(customer__email="")
    else:
        address = ~Q(customer__phone="")
    return accepts & address


@dataclass(frozen=True)
class Reach:
    members: int  # in the segment
    by_channel: dict[str, int]  # of them, who agreed to marketing on each channel
    reachable: int  # who get it on at least one of the chosen channels


def broadcast_reach(*, segment: str, tier_id: int | None, channels: list[str]) -> Reach:
    """How many members a broadcast goes to, and how many of them agreed to receive
    marketing on each channel (and can be reached there). One query."""
    members = broadcast_members(segment=segment, tier_id=tier_id)
    consenting = Q(customer__is_active=True, customer__marketing_consent=True)
    per_channel = {channel: consenting & _reachable_on(channel) for channel in Channel.values}
    any_chosen = Q(pk__in=[])
    for channel in channels:
        any_chosen |= per_channel[channel]
    counts = members.aggregate(
        members=Count("pk", distinct=True),
        reachable=Count("pk", filter=any_chosen, distinct=True),
        **{channel: Count("pk", filter=q, distinct=True) for channel, q in per_channel.items()},
    )
    return Reach(
        members=counts["members"],
        by_channel={channel: counts[channel] for channel in Channel.values},
        reachable=counts["reachable"] if channels else 0,
    )
