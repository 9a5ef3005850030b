"""Writes about customers (the public identity)."""

import datetime

from django.db import transaction

from .models import Customer


def customer_get_or_create(
    *,
    phone: str,
    name: str = "",
    language: str = Customer.Language.ARABIC,
    birthday: datetime.date | None = None,
) -> Customer:
    """The customer with this E.164 phone number, created if new."""
    with transaction.atomic():
        customer, _created = Customer.objects.get_or_create(
            phone=phone, defaults={"name": name, "language": language, "birthday": birthday}
        )
    return customer
