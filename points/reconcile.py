"""Check the ledger's invariants in the current merchant schema.

For every membership: the balance equals the ledger sum and the points left in its
lots, is never negative, equals the last entry's balance_after, and each counter
equals its ledger sum (see `points.ledger`). And its customer exists: the membership
names a public `customers_customer` row without a foreign key (docs/scaling.md,
item 6), so a row deleted there by hand would leave it an orphan.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from loyalty.db import connection

SQL = """
WITH sums AS (
    SELECT membership_id,
           SUM(points) AS balance,
           COALESCE(SUM(points) FILTER (WHERE kind IN ('earn', 'bonus', 'void')), 0) AS earned,
           -COALESCE(SUM(points) FILTER (WHERE kind IN ('redeem', 'refund')), 0) AS redeemed,
           COUNT(*) FILTER (WHERE kind = 'earn') - COUNT(*) FILTER (WHERE kind = 'void')
               AS visits,
           COALESCE(SUM(amount) FILTER (WHERE kind = 'earn'), 0)
               - COALESCE(SUM(amount) FILTER (WHERE kind = 'void'), 0) AS spend,
           COUNT(*) AS entries
    FROM points_ledgerentry GROUP BY membership_id
), lots AS (
    SELECT membership_id, SUM(remaining) AS remaining FROM points_pointslot
    GROUP BY membership_id
), last AS (
    SELECT DISTINCT ON (membership_id) membership_id, balance_after
    FROM points_ledgerentry ORDER BY membership_id, id DESC
)
SELECT m.id, m.member_number,
       m.current_points, COALESCE(s.balance, 0),
       COALESCE(l.remaining, 0), COALESCE(last.balance_after, 0),
       m.total_earned, COALESCE(s.earned, 0),
       m.total_redeemed, COALESCE(s.redeemed, 0),
       m.total_visits, COALESCE(s.visits, 0),
       m.total_spend, COALESCE(s.spend, 0),
       COALESCE(s.entries, 0)
FROM points_membership m
LEFT JOIN sums s ON s.membership_id = m.id
LEFT JOIN lots l ON l.membership_id = m.id
LEFT JOIN last ON last.membership_id = m.id
ORDER BY m.id
"""

# Memberships whose customer row is missing (the search path ends with public).
ORPHANS_SQL = """
SELECT m.id, m.member_number, m.customer_id FROM points_membership m
WHERE NOT EXISTS (SELECT 1 FROM customers_customer c WHERE c.id = m.customer_id)
ORDER BY m.id
"""


@dataclass(frozen=True)
class Drift:
    membership_id: int
    member_number: str
    check: str
    stored: object
    expected: object


@dataclass(frozen=True)
class Orphan:
    """A membership whose customer row does not exist."""

    membership_id: int
    member_number: str
    customer_id: int


@dataclass(frozen=True)
class Report:
    schema: str
    members: int
    entries: int
    drifts: list[Drift]
    orphans: list[Orphan] = field(default_factory=list)


def orphans_from_rows(rows: Iterable[Sequence[Any]]) -> list[Orphan]:
    return [Orphan(pk, number, customer_id) for pk, number, customer_id in rows]


def reconcile() -> Report:
    with connection.cursor() as cursor:
        cursor.execute(SQL)
        report = report_from_rows(connection.schema_name, cursor.fetchall())
        cursor.execute(ORPHANS_SQL)
        return replace(report, orphans=orphans_from_rows(cursor.fetchall()))


def report_from_rows(schema: str, rows: Iterable[Sequence[Any]]) -> Report:
    """The report on the rows `SQL` returned (in any connection: `tenants.move` checks
    a copy in another database with it)."""
    drifts: list[Drift] = []
    members = entries = 0
    for row in rows:
        (
            pk,
            number,
            current,
            ledger_sum,
            lots_left,
            last_balance,
            earned,
            earned_sum,
            redeemed,
            redeemed_sum,
            visits,
            visits_sum,
            spend,
            spend_sum,
            count,
        ) = row
        members += 1
        entries += count
        checks = [
            ("balance = ledger sum", current, ledger_sum),
            ("balance = points left in lots", current, lots_left),
            ("balance = last balance_after", current, last_balance),
            ("total_earned", earned, earned_sum),
            ("total_redeemed", redeemed, redeemed_sum),
            ("total_visits", visits, visits_sum),
            ("total_spend", Decimal(spend), Decimal(spend_sum)),
        ]
        for name, stored, expected in checks:
            if stored != expected:
                drifts.append(Drift(pk, number, name, stored, expected))
        if current < 0:
            drifts.append(Drift(pk, number, "balance never negative", current, 0))
    return Report(schema, members, entries, drifts)
