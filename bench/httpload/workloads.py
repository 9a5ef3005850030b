"""The requests each load sends (no Django needed): earns, reads, the counter page's earn,
scan then earn, and the minimal app's earn. Operation i is for member i (of those given),
so the connections, spread over the members, rarely wait for one another's lock."""

from __future__ import annotations

from collections.abc import Sequence

from .load import PLACEHOLDER, Step, Workload, json_step

AMOUNT = "7.250"
EARN = "/api/v1/staff/earn"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def earn_api(host: str, member_ids: Sequence[int], staff_tokens: Sequence[str]) -> Workload:
    """`POST /api/v1/staff/earn`: a staff JWT, a fresh Idempotency-Key per request."""
    ops = [
        (
            json_step(
                "POST",
                EARN,
                {"member_id": member, "amount": AMOUNT},
                {**_bearer(staff_tokens[i % len(staff_tokens)]), "Idempotency-Key": PLACEHOLDER},
            ),
        )
        for i, member in enumerate(member_ids)
    ]
    return Workload("earn (API)", host, ops, retry_safe=True)


def earn_minimal(host: str, members: int, bearer_length: int) -> Workload:
    """The minimal app's earn: the same body, headers of the same size (a bearer as long
    as the staff JWT, an Idempotency-Key: neither is read)."""
    ops = [
        (
            json_step(
                "POST",
                "/earn",
                {"member_id": member, "amount": AMOUNT},
                {**_bearer("-" * bearer_length), "Idempotency-Key": PLACEHOLDER},
            ),
        )
        for member in range(1, members + 1)
    ]
    return Workload("earn (minimal)", host, ops)


def earn_counter(
    host: str, member_ids: Sequence[int], sessions: Sequence[tuple[str, str]]
) -> Workload:
    """The counter page's earn (`/admin/counter/earn`): a signed-in cashier's session
    cookie and CSRF token; the attempt key the page sends with each confirmation."""
    ops = []
    for i, member in enumerate(member_ids):
        session, csrf = sessions[i % len(sessions)]
        headers = {
            "Cookie": f"csrftoken={csrf}; sessionid={session}",
            "X-CSRFToken": csrf,
            "X-Requested-With": "XMLHttpRequest",
        }
        body = {"member_id": member, "amount": AMOUNT, "attempt": PLACEHOLDER}
        ops.append((json_step("POST", "/admin/counter/earn", body, headers),))
    return Workload("counter page earn", host, ops, retry_safe=True)


def scan_earn(
    host: str,
    member_ids: Sequence[int],
    card_tokens: Sequence[str],
    staff_tokens: Sequence[str],
) -> Workload:
    """The counter app's pair: `POST /api/v1/staff/scan` with the member's card QR
    token, then the earn for the member it named, by the same staff member."""
    ops = []
    for i, member in enumerate(member_ids):
        auth = _bearer(staff_tokens[i % len(staff_tokens)])
        ops.append(
            (
                json_step("POST", "/api/v1/staff/scan", {"token": card_tokens[i]}, auth),
                json_step(
                    "POST",
                    EARN,
                    {"member_id": member, "amount": AMOUNT},
                    {**auth, "Idempotency-Key": PLACEHOLDER},
                ),
            )
        )
    return Workload("scan + earn", host, ops, retry_safe=True)


def read(name: str, host: str, paths: Sequence[str], tokens: Sequence[str]) -> Workload:
    """GET `paths[i]` with `tokens[i]` (cycled)."""
    ops = [(Step("GET", path, _bearer(tokens[i % len(tokens)])),) for i, path in enumerate(paths)]
    return Workload(name, host, ops)
