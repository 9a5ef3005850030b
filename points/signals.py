"""Signals of the points app.

`balance_changed` is sent after the commit of every transaction that changed a
membership's balance (`ledger.entry_record`), with `schema` and `membership_id`:
what shows the balance outside the product (wallet passes) listens to it.
`tier_changed`, with the same arguments, after the commit of a tier change that moved
no points (the review at the end of a qualification window).
"""

from django.dispatch import Signal

balance_changed = Signal()
tier_changed = Signal()
