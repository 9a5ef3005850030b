"""Signals of the customers app.

`customer_closed` is sent after an account is closed (`services.customer_delete`),
once for each merchant the customer had joined, with `schema` and `customer_id`: what
holds the customer's data outside the ledger (wallet passes) erases it.
"""

from django.dispatch import Signal

customer_closed = Signal()
