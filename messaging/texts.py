"""The wording of every message, in English and Arabic, and how it is filled in.

Texts use `{name}` placeholders filled from the outbox row's context. Merchants may
replace any text in their dashboard; a replacement may use the same placeholders and
nothing else (no attribute or index access), so a template can never reach data other
than the message's own.
"""

import re
import string
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from loyalty.formatting import isolate, ltr, points_text

from .models import Event

CODES = ("member_number", "voucher_code")
LATIN = re.compile("[A-Za-z]")


@dataclass(frozen=True)
class Text:
    title: str
    body: str


# Placeholders each event offers, beyond `merchant` and `name` (the member's name).
FIELDS: dict[str, tuple[str, ...]] = {
    Event.WELCOME: ("member_number", "welcome_bonus", "balance"),
    Event.POINTS_EARNED: ("points", "balance"),
    Event.TIER_UPGRADED: ("tier", "multiplier"),
    Event.TIER_AT_RISK: ("tier", "needed", "review_on"),
    Event.TIER_DOWNGRADED: ("tier", "previous_tier"),
    Event.REDEMPTION_APPROVED: ("reward", "voucher_code"),
    Event.REDEMPTION_REJECTED: ("reward", "reason", "points"),
    Event.REDEMPTION_EXPIRED: ("reward", "points"),
    Event.POINTS_EXPIRING: ("points", "expires_on", "balance"),
    Event.BIRTHDAY: ("points", "balance"),
    Event.BROADCAST: (),
    # `secret_url`: when the platform created the merchant, the owner's set-password link.
    Event.MERCHANT_WELCOME: ("dashboard_url", "owner_email", "secret_url", "days"),
    Event.STAFF_INVITE: ("inviter", "role", "secret_url", "days"),
    Event.OWNER_EMAIL_CHECK: ("secret_url", "days"),
    # `secret_url` is a secret: a set-password link that signs its holder in.
    Event.STAFF_PASSWORD_RESET: ("secret_url", "days"),
    # `ends_on`: the trial's last day, written in the owner's language and time zone.
    Event.TRIAL_ENDING: ("ends_on", "subscription_url"),
    # `why`: the trial ended, or the payment could not be taken.
    Event.MERCHANT_READ_ONLY: ("why", "subscription_url"),
}
COMMON_FIELDS = ("merchant", "name")

DEFAULTS: dict[str, dict[str, Text]] = {
    Event.WELCOME: {
        "en": Text(
            "Welcome to {merchant}",
            "Welcome! Your member number is {member_number}; your balance is {balance} points.",
        ),
        "ar": Text(
            "أهلاً بك في {merchant}",
            "أهلاً بك! رقم عضويتك {member_number} ورصيدك {balance} نقطة.",
        ),
    },
    Event.POINTS_EARNED: {
        "en": Text("{merchant}", "You earned {points} points! Your balance is {balance}."),
        "ar": Text("{merchant}", "ربحت {points} نقطة! رصيدك الآن {balance}."),
    },
    Event.TIER_UPGRADED: {
        "en": Text(
            "You reached {tier}", "You are now {tier}: every visit earns {multiplier}x points."
        ),
        "ar": Text(
            "وصلت إلى {tier}", "أصبحت في فئة {tier}: كل زيارة تمنحك {multiplier} ضعف النقاط."
        ),
    },
    Event.TIER_AT_RISK: {
        "en": Text("Keep your {tier} status", "Earn {needed} more by {review_on} to stay {tier}."),
        "ar": Text(
            "حافظ على فئة {tier}", "اجمع {needed} إضافية قبل {review_on} لتبقى في فئة {tier}."
        ),
    },
    Event.TIER_DOWNGRADED: {
        "en": Text("Your tier changed", "You are now {tier}. Visit us to climb back."),
        "ar": Text("تغيّرت فئتك", "أصبحت في فئة {tier}. زرنا لتعود إلى فئتك السابقة."),
    },
    Event.REDEMPTION_APPROVED: {
        "en": Text(
            "Your reward is ready", "{reward} is ready. Show voucher {voucher_code} at the counter."
        ),
        "ar": Text("مكافأتك جاهزة", "{reward} جاهزة. أظهر القسيمة {voucher_code} عند الكاشير."),
    },
    Event.REDEMPTION_REJECTED: {
        "en": Text(
            "Redemption declined",
            "{reward} was declined: {reason}. {points} points are back in your balance.",
        ),
        "ar": Text("تم رفض الاستبدال", "تم رفض {reward}: {reason}. أعدنا {points} نقطة إلى رصيدك."),
    },
    Event.REDEMPTION_EXPIRED: {
        "en": Text(
            "Voucher expired",
            "Your voucher for {reward} expired; {points} points are back in your balance.",
        ),
        "ar": Text(
            "انتهت صلاحية القسيمة", "انتهت صلاحية قسيمة {reward}؛ أعدنا {points} نقطة إلى رصيدك."
        ),
    },
    Event.POINTS_EXPIRING: {
        "en": Text(
            "Points expiring soon",
            "{points} points expire on {expires_on}. Use them before they go!",
        ),
        "ar": Text(
            "نقاطك على وشك الانتهاء",
            "تنتهي صلاحية {points} نقطة في {expires_on}. استخدمها قبل ذلك!",
        ),
    },
    Event.BIRTHDAY: {
        "en": Text("Happy birthday, {name}!", "A gift from {merchant}: {points} bonus points."),
        "ar": Text("عيد ميلاد سعيد يا {name}!", "هدية من {merchant}: {points} نقطة إضافية."),
    },
    Event.BROADCAST: {
        "en": Text("{merchant}", ""),
        "ar": Text("{merchant}", ""),
    },
    Event.STAFF_INVITE: {
        "en": Text(
            "Join {merchant} on Loyalty",
            "{inviter} invited you to the dashboard of {merchant} as {role}. "
            "Choose your password here (the link works for {days} days):\n{secret_url}",
        ),
        "ar": Text(
            "انضم إلى {merchant} على لويالتي",
            "دعاك {inviter} إلى لوحة تحكم {merchant} بدور {role}. "
            "اختر كلمة المرور من هنا (الرابط صالح لمدة {days} أيام):\n{secret_url}",
        ),
    },
    Event.OWNER_EMAIL_CHECK: {
        "en": Text(
            "Confirm your email for {merchant}",
            "Open this link to confirm your email address (it works for {days} days). "
            "Until then your programme cannot award points or send messages:\n{secret_url}",
        ),
        "ar": Text(
            "أكّد بريدك الإلكتروني لـ {merchant}",
            "افتح هذا الرابط لتأكيد بريدك الإلكتروني (صالح لمدة {days} أيام). "
            "حتى ذلك الحين لا يمكن لبرنامجك منح النقاط أو إرسال الرسائل:\n{secret_url}",
        ),
    },
    Event.STAFF_PASSWORD_RESET: {
        "en": Text(
            "Choose a new password for {merchant}",
            "Someone asked to reset the password of your {merchant} dashboard account. "
            "Choose a new one here (the link works for {days} days, once):\n{secret_url}\n"
            "If it was not you, ignore this message: your password stays as it is.",
        ),
        "ar": Text(
            "اختر كلمة مرور جديدة لـ {merchant}",
            "طلب أحدهم إعادة تعيين كلمة مرور حسابك في لوحة تحكم {merchant}. "
            "اختر كلمة مرور جديدة من هنا (الرابط صالح لمدة {days} أيام ولمرة واحدة):\n"
            "{secret_url}\n"
            "إن لم تكن أنت، تجاهل هذه الرسالة: تبقى كلمة مرورك كما هي.",
        ),
    },
    Event.MERCHANT_WELCOME: {
        "en": Text(
            "Welcome to Loyalty, {merchant}",
            "Your dashboard is ready at {dashboard_url}. "
            "Sign in as {owner_email} and follow the setup checklist.",
        ),
        "ar": Text(
            "أهلاً بك، {merchant}",
            "لوحة التحكم جاهزة على {dashboard_url}. "
            "سجّل الدخول بالبريد {owner_email} واتبع قائمة الإعداد.",
        ),
    },
    Event.TRIAL_ENDING: {
        "en": Text(
            "Your free trial of {merchant} ends on {ends_on}",
            "The free trial of {merchant} ends on {ends_on}. Choose a plan to keep awarding "
            "points and sending messages:\n{subscription_url}\n"
            "Your customers keep their points either way.",
        ),
        "ar": Text(
            "تنتهي التجربة المجانية لـ {merchant} في {ends_on}",
            "تنتهي التجربة المجانية لـ {merchant} في {ends_on}. اختر خطة لتواصل منح النقاط "
            "وإرسال الرسائل:\n{subscription_url}\n"
            "يحتفظ عملاؤك بنقاطهم في كل الأحوال.",
        ),
    },
    Event.MERCHANT_READ_ONLY: {
        "en": Text(
            "{merchant} is now read-only",
            "{why} Your dashboard is read-only: no points can be earned or redeemed and no "
            "messages are sent. Your customers keep their points, history and vouchers. "
            "Choose a plan or update your payment to start again at once:\n{subscription_url}",
        ),
        "ar": Text(
            "أصبحت لوحة {merchant} للقراءة فقط",
            "{why} أصبحت لوحة التحكم للقراءة فقط: لا يمكن ربح النقاط أو استبدالها ولا تُرسل "
            "الرسائل. يحتفظ عملاؤك بنقاطهم وسجلهم وقسائمهم. اختر خطة أو حدّث وسيلة الدفع "
            "لتعود فوراً:\n{subscription_url}",
        ),
    },
}


# The welcome of an owner the platform signed up, who has no password yet: outbox
# context `title_<lang>` / `body_<lang>` in place of the default welcome.
WELCOME_WITH_LINK = {
    "title_en": "Welcome to Loyalty, {merchant}",
    "body_en": "Your dashboard is ready at {dashboard_url}. "
    "Choose your password here, then sign in as {owner_email} and follow the setup "
    "checklist (the link works once, for {days} days):\n{secret_url}",
    "title_ar": "أهلاً بك، {merchant}",
    "body_ar": "لوحة التحكم جاهزة على {dashboard_url}. "
    "اختر كلمة المرور من هنا، ثم سجّل الدخول بالبريد {owner_email} واتبع قائمة الإعداد "
    "(الرابط صالح لمرة واحدة ولمدة {days} أيام):\n{secret_url}",
}


def placeholders(template: str) -> list[str]:
    """The field names a template uses; raises ValueError on a malformed one."""
    return [
        name for _lit, name, _spec, _conv in string.Formatter().parse(template) if name is not None
    ]


def template_validate(event: str, template: str) -> None:
    """Refuse a template that uses anything but the event's own plain placeholders."""
    allowed = set(FIELDS.get(event, ())) | set(COMMON_FIELDS)
    try:
        names = placeholders(template)
    except ValueError as error:
        raise ValidationError(
            _("The text has an unmatched brace: %(error)s"),
            code="template_invalid",
            params={"error": error},
        ) from error
    for name in names:
        if name not in allowed:
            raise ValidationError(
                _("{%(name)s} is not available here. Use one of: %(allowed)s."),
                code="template_placeholder",
                params={"name": name, "allowed": ", ".join(f"{{{a}}}" for a in sorted(allowed))},
            )


class _Fill(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def fill(template: str, values: dict[str, Any]) -> str:
    """Fill `{name}` placeholders; unknown ones become empty, nothing else is evaluated."""
    out = []
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError:
        return template
    safe = _Fill(values)
    for literal, name, _spec, _conv in parts:
        out.append(literal)
        if name is not None:
            value = safe[name] if name.isidentifier() else ""
            out.append(str(value))
    return "".join(out).strip()


def values_for(context: dict[str, Any], language: str, merchant: str) -> dict[str, Any]:
    """The placeholder values, preferring `<field>_ar` variants for Arabic readers."""
    values: dict[str, Any] = {"merchant": merchant}
    for key, value in context.items():
        if key.endswith("_ar"):
            continue
        localised = context.get(f"{key}_ar") if language == "ar" else None
        values[key] = localised or value
    for key in ("points", "balance", "needed"):
        if isinstance(values.get(key), int):
            values[key] = points_text(values[key])
    if language == "ar":
        # A Latin name inside an Arabic sentence keeps its own order, and a code reads
        # left to right (isolates: the text may be an SMS, a push or an email).
        for key, value in values.items():
            if key in CODES and value:
                values[key] = ltr(value)
            elif isinstance(value, str) and LATIN.search(value):
                values[key] = isolate(value)
    return values


def language_written(event: str, language: str, context: dict[str, Any]) -> str:
    """The language a message is written in for this reader: theirs, or English for a
    broadcast the merchant wrote in English only."""
    if event == Event.BROADCAST and language != "en" and not context.get("body_ar"):
        return "en"
    return language


def render(
    event: str,
    language: str,
    context: dict[str, Any],
    merchant: str,
    override: tuple[str, str] = ("", ""),
) -> Text:
    """The title and body of one message in one language."""
    language = language if language in ("en", "ar") else "ar"
    default = DEFAULTS.get(event, DEFAULTS[Event.BROADCAST])[language]
    values = values_for(context, language, merchant)
    title = override[0] or context.get(f"title_{language}") or default.title
    body = override[1] or context.get(f"body_{language}") or default.body
    return Text(fill(title, values), fill(body, values))
