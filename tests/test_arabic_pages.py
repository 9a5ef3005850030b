"""Every dashboard page read in Arabic: no word is left in English.

Each page of both dashboards is requested in Arabic (the language cookie and
Accept-Language), signed in as the demo café's owner or as the platform admin, and as
nobody for the sign-in pages. Two things fail the walk:

* a string looked up through gettext (our code, Django's, unfold's, lazy model and field
  names included) that has no Arabic in the merged catalog, and
* English words in the page's visible text (the tab title, the text between tags, the
  placeholders and button labels), which catches words that never went through gettext.

English that is data (a member's or a staff member's name, an email, a code, a text a
merchant wrote in its English field) is allowed; so is text marked `lang="en"` (the
English half of a preview that shows both languages). Pages come from the URL resolver,
so a page added later is walked too.

The failure lists every miss as `page: msgid` so the one who added it finds it.
"""

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser
from zoneinfo import available_timezones

import pytest
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.regex_helper import normalize
from django.utils.translation import trans_real
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context

from billing.models import Plan
from customers.models import Customer
from loyalty.admin_sites import merchant_site
from messaging.models import Delivery, EventSetting
from notifications.models import Broadcast
from points.models import Membership
from rewards.models import Redemption
from rewards.services import redemption_create
from tenants.demo import DEMO_PASSWORD, PLATFORM_ADMIN_EMAIL
from tenants.models import Merchant
from tests.fixtures import HostClient

pytestmark = pytest.mark.django_db

HOST = "cafe-aroma.localhost"
SCHEMA = "cafe_aroma"

# Words that are the same in both languages: currency codes, names of products and
# channels people know by their brand, each language's own name and code in the menu,
# and a key's name as the keyboard prints it.
ALLOWED_WORDS = {
    "JOD",
    "USD",
    "SMS",
    "WhatsApp",
    "Stripe",
    "QR",
    "PDF",
    "CSV",
    "LDAP",
    "English",
    "en",
    "ar",
}
ALLOWED_WORDS |= {"esc", "Control", "Command"}
ALLOWED_WORDS |= {"Stripe"}  # the payment provider, named as merchants see it on their card
# Routes that are no page: they answer a file, a redirect or JSON, or only POST.
NOT_PAGES = {
    "logout",
    "autocomplete",
    "jsi18n",
    "view_on_site",
    "owner_email_check_send",
    "points_ledgerentry_export",
    "counter_lookup",
    "counter_earn",
    "counter_voucher",
    "join_poster_pdf",
    "subscription_choose",
    "subscription_done",
    "subscription_changed",
    "subscription_portal",
}
# Pages reached only signed out (the signed-in owner is sent on from them).
SIGNED_OUT = {
    "login",
    "admin_password_reset",
    "staff-password-reset-done",
    "staff-password-reset-confirm",
    "staff-password-reset-complete",
    "staff-invite",
    "welcome",
}


# --- what gettext was asked and had no Arabic for -----------------------------------


@dataclass
class Misses:
    """Every msgid looked up in the Arabic catalog without an answer, by page."""

    page: str = ""
    found: dict[str, set[str]] = field(default_factory=dict)

    def add(self, msgid: str) -> None:
        self.found.setdefault(self.page, set()).add(msgid)


@contextmanager
def arabic_misses() -> Iterator[Misses]:
    catalog = trans_real.translation("ar")
    misses = Misses()
    gettext, ngettext = catalog.gettext, catalog.ngettext

    def looked_up(message: str) -> str:
        if message not in catalog._catalog:  # type: ignore[attr-defined]
            context, _sep, text = message.rpartition(trans_real.CONTEXT_SEPARATOR)
            misses.add(f"{text!r} (context {context!r})" if context else repr(text))
        return gettext(message)

    def looked_up_plural(singular: str, plural: str, n: int) -> str:
        try:
            catalog._catalog.plural(singular, n)  # type: ignore[attr-defined]
        except KeyError:
            misses.add(f"{singular!r} / {plural!r}")
        return ngettext(singular, plural, n)

    catalog.gettext = looked_up  # type: ignore[method-assign]
    catalog.ngettext = looked_up_plural  # type: ignore[method-assign,assignment]
    try:
        yield misses
    finally:
        del catalog.gettext, catalog.ngettext


# --- what a reader sees ---------------------------------------------------------------


class VisibleText(HTMLParser):
    """The text a reader sees: the tab title, text between tags, placeholders and button
    labels; not scripts, styles, templates, and not what is marked `lang="en"`."""

    # Not read, or read as they are typed: a placeholder such as {name} is code.
    # A textarea holds what someone wrote (a tier's English benefits), as an input does.
    HIDDEN = {"script", "style", "template", "noscript", "svg", "code", "kbd", "textarea"}
    VOID = {"input", "img", "br", "hr", "meta", "link", "source", "area", "col", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._skipping: list[str] = []  # the tag that opened the skipped part, nested

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skipping:
            if tag == self._skipping[0] and tag not in self.VOID:
                self._skipping.append(tag)
            return
        values = dict(attrs)
        icon = "material-symbols" in (values.get("class") or "")  # an icon's name
        if tag in self.HIDDEN or icon or (values.get("lang") == "en" and tag not in self.VOID):
            self._skipping.append(tag)
            return
        chart = values.get("data-value") or ""
        if chart.startswith("{"):  # a chart's labels and its series' names are read too
            drawn = json.loads(chart)
            self.texts += [str(label) for label in drawn.get("labels", [])]
            self.texts += [str(series.get("label", "")) for series in drawn.get("datasets", [])]
        if values.get("placeholder"):
            self.texts.append(values["placeholder"] or "")
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.texts.append(values["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if self._skipping and tag == self._skipping[0]:
            self._skipping.pop()

    def handle_data(self, data: str) -> None:
        if not self._skipping and data.strip():
            self.texts.append(" ".join(data.split()))


TIME_ZONES = available_timezones()
# An address, a link, a value shown masked (a password's salt: lr******).
EMAIL_OR_URL = re.compile(r"\S+@\S+|\b(?:https?://|www\.)\S+|\b[\w-]+\.localhost\S*|\S*\*{3,}")
# A word of Latin letters; one with digits in it is a code (a voucher, K7M2QX), no word.
LATIN_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’]*")


def english_in(html: str, data: list[str]) -> list[str]:
    """The visible texts holding English words that are neither data nor allowed."""
    parser = VisibleText()
    parser.feed(html)
    found = []
    for text in parser.texts:
        if text in TIME_ZONES:  # a time zone is chosen by its name: Asia/Amman
            continue
        rest = EMAIL_OR_URL.sub(" ", text)
        for value in data:
            rest = rest.replace(value, " ")
        words = [
            w
            for w in LATIN_WORD.findall(rest)
            if w not in ALLOWED_WORDS
            and len(re.findall("[A-Za-z]", w)) > 1
            and not re.search(r"\d", w)
        ]
        if words:
            found.append(text[:120])
    return found


def english_data(schema: str) -> list[str]:
    """English that is data: people, addresses, codes and what a merchant wrote in its
    English fields. Longest first, so a full name goes before its first name."""
    values: set[str] = set()
    with schema_context("public"):
        for merchant in Merchant.objects.all():
            values |= {merchant.name, merchant.slug, merchant.city, merchant.address}
            values |= {merchant.contact_email, merchant.schema_name, merchant.join_code}
        values |= set(User.objects.values_list("username", flat=True))
        values |= {p.name for p in Plan.objects.all() if not p.name_ar}
    with schema_context(schema):
        for user in User.objects.all():
            values |= {user.first_name, user.last_name, user.get_full_name(), user.email}
        values |= set(Customer.objects.values_list("name", flat=True))
        values |= set(Membership.objects.values_list("referral_code", flat=True))
        values |= set(Redemption.objects.values_list("voucher_code", flat=True))
        # A merchant's own wording, and its placeholders ({name}) in either language.
        for texts in Broadcast.objects.values_list("title_en", "body_en", "title_ar", "body_ar"):
            values |= set(texts)
        for texts in EventSetting.objects.values_list("title_en", "body_en", "title_ar", "body_ar"):
            values |= set(texts)
        # What the audit log recorded an object as, when it was changed.
        values |= set(LogEntry.objects.values_list("object_repr", flat=True))
        # What was sent to members who read English, as it was sent.
        for title, body in Delivery.objects.filter(language="en").values_list("title", "body"):
            values |= {title, body}
    return sorted((v for v in values if v and v.strip()), key=len, reverse=True)


# --- the pages ---------------------------------------------------------------------------


def _patterns(resolver: URLResolver, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in resolver.url_patterns:
        regex = prefix + entry.pattern.regex.pattern.removeprefix("^")
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, regex)
        else:
            yield regex, entry


@dataclass(frozen=True)
class Page:
    name: str
    url: str
    # A list that shows the English and the Arabic name side by side, as its columns
    # say (tiers, reward categories): there the English names are what is asked for.
    english_names: tuple[str, ...] = ()


def _side_by_side(pattern: URLPattern, name: str) -> tuple[str, ...]:
    model_admin = getattr(pattern.callback, "model_admin", None)
    if model_admin is None or not name.endswith("_changelist"):
        return ()
    if not {"name", "name_ar"} <= set(model_admin.list_display):
        return ()
    return tuple(model_admin.model._default_manager.values_list("name", flat=True))


def dashboard_pages(
    urlconf: str, values: Callable[[URLPattern, str], dict[str, str]]
) -> list[Page]:
    """Every named dashboard route of `urlconf` (under /admin/) that answers a page, its
    parameters filled by `values`; the app index once per app."""
    pages = []
    for regex, pattern in _patterns(get_resolver(urlconf)):
        template, params = normalize(regex)[0]
        name = pattern.name or ""
        if not template.startswith("admin/") or not name or name in NOT_PAGES:
            continue
        if name.endswith("_delete"):  # nothing is deleted from the dashboards
            continue
        filled = values(pattern, name)
        for param in params:
            if param not in filled:
                break
        else:
            url = "/" + template % filled
            pages.append(Page(name, url, _side_by_side(pattern, name)))
    return pages


def _first_pk(pattern: URLPattern) -> dict[str, str]:
    model_admin = getattr(pattern.callback, "model_admin", None)
    if model_admin is None:
        return {}
    first = model_admin.model._default_manager.order_by("pk").values_list("pk", flat=True).first()
    return {"object_id": str(first)} if first is not None else {}


def walk(client: HostClient, pages: list[Page], data: list[str], misses: Misses) -> list[str]:
    """Request each page in Arabic; the problems found, one line each."""
    problems = []
    for page in pages:
        misses.page = page.url
        response = client.get(page.url, follow=True)
        if response.status_code >= 500:
            problems.append(f"{page.url}: answered {response.status_code}")
            continue
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        html = response.content.decode()
        if "<html" in html[:1000] and 'lang="ar"' not in html[:1000]:  # not a fragment
            problems.append(f"{page.url}: not an Arabic page")
        for text in english_in(html, [*data, *page.english_names]):
            problems.append(f"{page.url}: English text {text!r}")
    for url, msgids in sorted(misses.found.items()):
        problems.extend(f"{url}: no Arabic for msgid {msgid}" for msgid in sorted(msgids))
    return problems


def arabic(client: HostClient) -> HostClient:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "ar"
    return client


def owner_client() -> HostClient:
    client = arabic(HostClient(HOST))
    response = client.post(
        "/admin/login/", {"username": "owner@cafe-aroma.demo", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302, response.content[:300]
    return client


def audit_lines(owner: HostClient) -> None:
    """The audit log's two kinds of lines: Django's own (a form's changed fields) and
    ours (a redemption approved from the queue)."""
    with schema_context(SCHEMA):
        member = Membership.objects.filter(current_points__gte=600).order_by("pk").first()
        assert member is not None
        from rewards.models import Reward

        reward = Reward.objects.filter(is_active=True).order_by("points_cost").first()
        assert reward is not None
        redemption = redemption_create(membership_id=member.pk, reward_id=reward.pk)
        user = User.objects.get(username="owner@cafe-aroma.demo")
        LogEntry.objects.log_actions(
            user_id=user.pk,
            queryset=[reward],
            action_flag=CHANGE,
            change_message=[{"changed": {"fields": ["Points cost", "Stock"]}}],
            single_object=True,
        )
    decided = owner.post(
        "/admin/rewards/redemption/",
        {"action": "approve", "_selected_action": [redemption.pk], "index": 0, "reason": ""},
    )
    assert decided.status_code == 302


def test_every_merchant_dashboard_page_is_in_arabic(demo) -> None:
    owner = owner_client()
    audit_lines(owner)
    with schema_context(SCHEMA):
        member = Membership.objects.order_by("pk").first()
        broadcast = Broadcast.objects.order_by("pk").first()
        owner_user = User.objects.get(username="owner@cafe-aroma.demo")
        assert member is not None and broadcast is not None
        uid = urlsafe_base64_encode(force_bytes(owner_user.pk))
        token = default_token_generator.make_token(owner_user)

        def values(pattern: URLPattern, name: str) -> dict[str, str]:
            if name == "notifications_broadcast_send":
                return {"object_id": str(broadcast.pk)}
            if name == "points_membership_adjust":
                return {"pk": str(member.pk)}
            if name in ("staff-invite", "staff-password-reset-confirm"):
                return {"uidb64": uid, "token": token}
            if name == "app_list":
                return {"app_label": "points"}
            return _first_pk(pattern)

        pages = dashboard_pages("loyalty.urls_tenant", values)
        apps = {model._meta.app_label for model in merchant_site._registry}
        pages += [Page("app_list", f"/admin/{label}/") for label in sorted(apps - {"points"})]
        data = english_data(SCHEMA)
    signed_in = [p for p in pages if p.name not in SIGNED_OUT]
    signed_out = [p for p in pages if p.name in SIGNED_OUT]
    assert len(signed_in) > 40 and {p.name for p in signed_out} >= {"login", "staff-invite"}

    with arabic_misses() as misses:
        problems = walk(owner, signed_in, data, misses)
        problems += walk(arabic(HostClient(HOST)), signed_out, data, misses)

    assert problems == [], "\n".join(["Left in English on Arabic pages:", *problems])


def test_every_platform_dashboard_page_is_in_arabic(demo) -> None:
    client = arabic(HostClient(settings.BASE_DOMAIN))
    with schema_context("public"):
        admin = User.objects.get(username=PLATFORM_ADMIN_EMAIL)
        device = TOTPDevice.objects.get(user=admin)
        code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
        merchant = Merchant.objects.get(slug="cafe-aroma")
        LogEntry.objects.log_actions(
            user_id=admin.pk,
            queryset=[merchant],
            action_flag=CHANGE,
            change_message=[{"changed": {"fields": ["Status"]}}],
            single_object=True,
        )
        content_type = ContentType.objects.get_for_model(Merchant)
        assert content_type is not None

        def values(pattern: URLPattern, name: str) -> dict[str, str]:
            if name == "auth_user_password_change":
                return {"id": str(admin.pk)}
            if name == "app_list":
                return {"app_label": "tenants"}
            return _first_pk(pattern)

        pages = dashboard_pages("loyalty.urls_public", values)
        data = english_data(SCHEMA)
    signed_in = client.post(
        "/admin/login/",
        {"username": PLATFORM_ADMIN_EMAIL, "password": DEMO_PASSWORD, "otp_token": code},
    )
    assert signed_in.status_code == 302, signed_in.content[:300]

    with arabic_misses() as misses:
        problems = walk(client, [p for p in pages if p.name != "login"], data, misses)
        problems += walk(
            arabic(HostClient(settings.BASE_DOMAIN)), [Page("login", "/admin/login/")], data, misses
        )

    assert problems == [], "\n".join(["Left in English on Arabic pages:", *problems])


def test_the_walk_catches_a_word_left_in_english() -> None:
    html = (
        "<html lang='ar'><head><title>Dashboard | مقهى</title><script>var a='Hello'</script>"
        "</head><body><p>الأعضاء</p><p>Ahmad Haddad</p><div lang='en'>English preview</div>"
        "<input placeholder='Search'><p>1,200.500 JOD</p><p>K7M2QX</p></body></html>"
    )

    assert english_in(html, ["Ahmad Haddad"]) == ["Dashboard | مقهى", "Search"]


def test_a_msgid_without_arabic_is_recorded() -> None:
    from django.utils import translation

    with translation.override("ar"), arabic_misses() as misses:
        misses.page = "/admin/"
        assert translation.gettext("Members") != "Members"
        translation.gettext("A sentence no catalog has")
        translation.pgettext("tab", "Another sentence no catalog has")
        translation.ngettext("%(n)s apple no catalog has", "%(n)s apples", 3)

    assert misses.found == {
        "/admin/": {
            "'A sentence no catalog has'",
            "'Another sentence no catalog has' (context 'tab')",
            "'%(n)s apple no catalog has' / '%(n)s apples'",
        }
    }


def test_money_in_arabic_has_a_decimal_point_and_a_thousands_comma() -> None:
    from loyalty import formatting

    assert formatting.money_text(Decimal("1200.5"), "JOD", "ar") == "1,200.500\u00a0دينار"


# --- figures, directions and names on the pages that show them -------------------------


def _member_with_a_big_purchase() -> tuple[Membership, str]:
    """A demo member who just spent 1,200.500 JOD at the counter (rolled back after)."""
    from points.services import points_earn

    member = Membership.objects.select_related("customer").order_by("pk").first()
    assert member is not None
    owner = User.objects.get(username="owner@cafe-aroma.demo")
    entry = points_earn(membership_id=member.pk, amount="1200.500", actor=owner)
    member.refresh_from_db()
    return member, entry.description_ar


def test_an_arabic_member_page_writes_money_points_and_phone_the_same_way(demo) -> None:
    owner = owner_client()
    with schema_context(SCHEMA):
        member, explanation_ar = _member_with_a_big_purchase()
        tier = member.tier
        assert tier is not None and tier.name_ar
    from loyalty import formatting

    page = owner.get(f"/admin/points/membership/{member.pk}/change/").content.decode()

    assert "1,200.500" in page  # the purchase, with the dinar's three decimals
    assert "1.200,500" not in page and ">200,500" not in page
    assert formatting.money_text(member.total_spend, "JOD", "ar") in page
    assert f"<bdi>{formatting.points_text(member.current_points)}" not in page  # a figure
    assert f">{formatting.points_text(member.current_points)}<" in page
    assert f'<bdi dir="ltr">{member.customer.phone}</bdi>' in page
    assert f"<bdi>{tier.name_ar}</bdi>" in page and f">{tier.name}<" not in page
    assert f'<bdi dir="auto">{explanation_ar}</bdi>' in page


def test_arabic_lists_show_grouped_figures_codes_left_to_right_and_arabic_names(demo) -> None:
    owner = owner_client()
    with schema_context(SCHEMA):
        member, _explanation = _member_with_a_big_purchase()
        # The queue opens on the requests waiting for a decision.
        redemption = (
            Redemption.objects.select_related("reward")
            .filter(status=Redemption.Status.PENDING)
            .order_by("-pk")
            .first()
        )
        assert redemption is not None

    members = owner.get(f"/admin/points/membership/?q={member.member_number}").content.decode()
    ledger = owner.get("/admin/points/ledgerentry/").content.decode()
    queue = owner.get("/admin/rewards/redemption/").content.decode()

    assert f'<bdi dir="ltr">{member.customer.phone}</bdi>' in members
    assert f'<bdi dir="ltr">{member.member_number}</bdi>' in members
    assert "1,200.500\u00a0دينار" in ledger and "1.200,500" not in ledger
    assert f'<bdi dir="ltr">{redemption.voucher_code}</bdi>' in queue
    assert f"<bdi>{redemption.reward.name_ar}</bdi>" in queue
    assert f"<bdi>{redemption.reward.name}</bdi>" not in queue


def test_the_counter_names_the_tier_in_arabic(demo) -> None:
    owner = owner_client()
    with schema_context(SCHEMA):
        member = Membership.objects.exclude(tier=None).select_related("tier").earliest("pk")
        assert member.tier is not None

    found = owner.post(
        "/admin/counter/lookup",
        {"member_number": member.member_number},
        content_type="application/json",
    ).json()

    assert found["member"]["tier"] == member.tier.name_ar


def test_an_arabic_message_isolates_latin_names_and_keeps_codes_left_to_right() -> None:
    from messaging.texts import values_for

    context = {"name": "Ahmad", "voucher_code": "K7M2QX", "points": 1250, "reward": "قهوة"}

    arabic = values_for(context, "ar", "Café Aroma")
    english = values_for(context, "en", "Café Aroma")

    assert arabic == {
        "merchant": "\u2068Café Aroma\u2069",
        "name": "\u2068Ahmad\u2069",
        "voucher_code": "\u2066K7M2QX\u2069",
        "points": "1,250",
        "reward": "قهوة",
    }
    assert english == {**context, "merchant": "Café Aroma", "points": "1,250"}
