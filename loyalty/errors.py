"""Domain errors: a refusal by a business rule, with a stable code an app can switch on.

Services raise them; the API maps them to `{"error": {"code", "message", "fields"}}` with
the HTTP status the registry below gives the code, and dashboards show the message. A
service that raises has written nothing: every one runs in a transaction.

`CODES` is the one list of error codes: the API's exception handler takes each code's
status from it and the OpenAPI schema lists each operation's codes from it. The rule for
a status: 400 when the request does not fit the schema (the app can fix it before
sending), 422 when it fits the schema but a business rule refuses it (show the message).
"""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ErrorCode:
    status: int
    meaning: str


CODES: dict[str, ErrorCode] = {
    # 400: the request does not fit the schema
    "invalid": ErrorCode(400, "A field is missing, unknown or not valid (see `fields`)."),
    "malformed_request": ErrorCode(400, "The body is not valid JSON."),
    "request_too_large": ErrorCode(413, "The request body is too large."),
    "invalid_amount": ErrorCode(400, "An amount is not a positive decimal string."),
    "invalid_idempotency_key": ErrorCode(400, "The Idempotency-Key header is not valid."),
    "webhook_signature_invalid": ErrorCode(
        400, "The Stripe-Signature header is missing, does not match the body, or is too old."
    ),
    "webhook_event_invalid": ErrorCode(400, "The signed body is not a Stripe event."),
    # 401: who is calling is not known
    "not_authenticated": ErrorCode(401, "No token was sent."),
    "authentication_failed": ErrorCode(401, "The token is not valid, has expired or is closed."),
    "wrong_token_type": ErrorCode(401, "A staff token on a customer route, or the reverse."),
    "token_invalid": ErrorCode(401, "The refresh token is not valid, used or revoked."),
    "invalid_credentials": ErrorCode(401, "Wrong email or password."),
    # 403: known, but not allowed
    "permission_denied": ErrorCode(403, "Your role does not allow this."),
    "not_allowed": ErrorCode(403, "Your role does not allow this."),
    "void_window_passed": ErrorCode(403, "Too late for a cashier to void this."),
    "email_unverified": ErrorCode(403, "The owner has not confirmed the email address yet."),
    "merchant_inactive": ErrorCode(
        403, "The merchant's subscription has lapsed: balances can be read, not changed."
    ),
    "plan_limit_reached": ErrorCode(
        403, "The merchant's plan allows no more of this (`limit` and `allowed` in fields)."
    ),
    # 404: the resource in the path does not exist (for this caller)
    "not_found": ErrorCode(404, "Nothing is here (or not yours)."),
    "member_not_found": ErrorCode(404, "No such member."),
    "merchant_not_found": ErrorCode(404, "No such merchant."),
    "entry_not_found": ErrorCode(404, "No such ledger entry."),
    "inbox_item_not_found": ErrorCode(404, "No such message in your inbox."),
    "redemption_not_found": ErrorCode(404, "No such redemption."),
    "reward_not_found": ErrorCode(404, "No such reward."),
    "voucher_not_found": ErrorCode(404, "No voucher with this code."),
    # 405, 406, 415: the HTTP envelope
    "method_not_allowed": ErrorCode(405, "This method is not served here (see Allow)."),
    "not_acceptable": ErrorCode(406, "The API answers JSON only."),
    "unsupported_media_type": ErrorCode(415, "Send JSON (Content-Type: application/json)."),
    # 409: the state changed under the request
    "idempotency_key_reused": ErrorCode(409, "This key was used for another request."),
    "invalid_redemption_state": ErrorCode(409, "The redemption is no longer in that state."),
    "broadcast_already_sent": ErrorCode(409, "The broadcast was already sent."),
    "phone_taken": ErrorCode(409, "Another account has this phone number."),
    "staff_email_taken": ErrorCode(409, "A staff member here already signs in with this email."),
    "setting_invalid": ErrorCode(409, "A programme setting cannot be used: fix it first."),
    # 422: fits the schema, refused by a rule
    "too_many_decimals": ErrorCode(422, "More decimals than the currency has."),
    "amount_too_large": ErrorCode(422, "Larger than any purchase can be."),
    "below_minimum_purchase": ErrorCode(422, "Under the programme's minimum purchase."),
    "unknown_category": ErrorCode(422, "No reward category with this id."),
    "member_inactive": ErrorCode(422, "The membership is not active."),
    "customer_inactive": ErrorCode(422, "The account is closed."),
    "insufficient_points": ErrorCode(422, "Not enough points."),
    "invalid_points": ErrorCode(422, "Not a valid number of points."),
    "not_an_earn": ErrorCode(422, "Only an earn can be voided."),
    "already_voided": ErrorCode(422, "This entry was already voided."),
    "reason_required": ErrorCode(422, "A reason is required."),
    "invalid_phone": ErrorCode(422, "Not a phone number."),
    "phone_not_mobile": ErrorCode(422, "Sign-in codes go to mobile numbers only."),
    "phone_country_not_served": ErrorCode(422, "Sign-in codes go only to the countries served."),
    "phone_or_member_number_required": ErrorCode(422, "Give a phone or a member number."),
    "otp_invalid": ErrorCode(422, "Wrong sign-in code (`attempts_left` in fields)."),
    "otp_expired": ErrorCode(422, "The sign-in code expired."),
    "otp_attempts_exceeded": ErrorCode(422, "Too many wrong codes: ask for a new one."),
    "birthday_locked": ErrorCode(422, "The birthday can be set once."),
    "unknown_time_zone": ErrorCode(422, "Not an IANA time zone name (e.g. Asia/Amman)."),
    "invalid_join_code": ErrorCode(422, "This join code is not this shop's."),
    "invalid_referral_code": ErrorCode(422, "No member here has this referral code."),
    "join_failed": ErrorCode(422, "Joining failed; try again."),
    "enrol_code_required": ErrorCode(
        422, "This shop enrols at the counter with the SMS code only."
    ),
    "qr_expired": ErrorCode(422, "The card QR is too old: ask for a fresh one."),
    "qr_invalid": ErrorCode(422, "The card QR is not one of this merchant's."),
    "reward_inactive": ErrorCode(422, "The reward is not offered now."),
    "reward_not_yet_available": ErrorCode(422, "The reward is not available yet."),
    "reward_expired": ErrorCode(422, "The reward has ended."),
    "tier_too_low": ErrorCode(422, "The member's tier does not allow this reward."),
    "redemption_limit_reached": ErrorCode(422, "The member redeemed this reward enough."),
    "out_of_stock": ErrorCode(422, "The reward is out of stock."),
    "broadcast_invalid": ErrorCode(422, "The broadcast cannot be sent as it is."),
    "email_check_invalid": ErrorCode(422, "The email confirmation link is not valid."),
    "handoff_invalid": ErrorCode(
        422, "The web card's one-time link is expired, used, tampered or for another host."
    ),
    # 429, 5xx
    "rate_limited": ErrorCode(
        429, "Too many requests: wait `retry_after` seconds (`limit`, if given, says which)."
    ),
    "sms_failed": ErrorCode(502, "The SMS provider refused the message."),
    "billing_not_configured": ErrorCode(503, "Online billing is not set up on this platform."),
    "billing_failed": ErrorCode(502, "The payment provider refused the request."),
    "webpush_not_configured": ErrorCode(503, "Web Push is not set up on this platform."),
}


def status_of(code: str, default: int = 400) -> int:
    entry = CODES.get(code)
    return entry.status if entry else default


class DomainError(Exception):
    """A refusal; its HTTP status is its code's in `CODES`."""

    status = 422

    def __init__(self, code: str, message: str, *, fields: dict[str, Any] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields or {}
        self.status = status_of(code, type(self).status)


class NotFound(DomainError):
    status = 404


class NotAllowed(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409
