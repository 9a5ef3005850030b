"""The card on a merchant's host: joining (from the poster, with a referral, refused),
the card and its figures in English and Arabic, the JSON the page polls, and what
makes it an installable app (manifest, icon, service worker, page weight)."""

import datetime
import io
import json
import re

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django_tenants.utils import schema_context
from PIL import Image

from customers.models import Customer
from dashboard.views import ProfileForm
from notifications.models import InboxItem
from points.card import card_token_read
from points.models import LedgerEntry, Membership, PointsLot, PointsSettings
from points.services import membership_join, points_earn
from points.tests.factories import customer_make
from tenants.models import Merchant
from tests.test_arabic_pages import arabic_misses, english_in

pytestmark = pytest.mark.django_db

AT = datetime.datetime(2026, 12, 3, 10, 0, tzinfo=datetime.UTC)
PAGE_BUDGET = 50_000  # bytes of HTML, CSS and JavaScript before the QR image


def html(response) -> str:
    return response.content.decode()


def text(response) -> str:
    """The page's words without tags and without the isolates around names."""
    plain = re.sub(r"<[^>]+>", " ", html(response)).replace("\u2068", "").replace("\u2069", "")
    return re.sub(r"\s+", " ", plain)


# --- joining ---------------------------------------------------------------------------


def test_from_the_poster_a_signed_in_customer_joins_in_one_tap_with_the_welcome_bonus(
    merchant_a, programme, card_client
) -> None:
    PointsSettings.objects.filter(pk=1).update(welcome_bonus=50)
    customer = customer_make(phone="+962791230001")
    client = card_client(merchant_a.host, customer)
    code = merchant_a.merchant.join_code

    landing = client.get(f"/join/{code}")
    page = client.get(f"/card/?code={code}")
    joined = client.post("/card/join", {"join_code": code})

    assert 'action="/card/join"' in html(landing) and f'value="{code}"' in html(landing)
    assert "You get 50 points as a welcome gift." in text(page)
    assert f'name="join_code" value="{code}"' in html(page)
    assert joined.status_code == 302 and joined["Location"] == "/card/"
    member = Membership.objects.get(customer=customer)
    assert (member.current_points, member.tier) == (50, programme.bronze)
    welcome = LedgerEntry.objects.get(membership=member)
    assert (welcome.kind, welcome.bonus_kind, welcome.points) == ("bonus", "welcome", 50)
    card = client.get("/card/")
    assert card["X-Card-Member"] == "1"
    assert re.search(r'data-testid="balance">50<', html(card))


def test_joining_signed_out_goes_through_the_sign_in_and_back_with_the_code(
    merchant_a, programme, host_client
) -> None:
    code = merchant_a.merchant.join_code

    response = host_client(merchant_a.host).post(
        "/card/join", {"join_code": code, "referral_code": "AB12CD"}
    )

    assert response.status_code == 302
    assert response["Location"] == (f"/card/signin?next=%2Fcard%2F%3Fcode%3D{code}%26ref%3DAB12CD")
    assert not Membership.objects.exists()


def test_a_referral_link_joins_with_the_referral(merchant_a, programme, card_client) -> None:
    referrer = programme.member()
    customer = customer_make(phone="+962791230002")
    client = card_client(merchant_a.host, customer)
    code = merchant_a.merchant.join_code

    landing = client.get(f"/join/{code}?ref={referrer.referral_code}")
    joined = client.post(
        "/card/join", {"join_code": code, "referral_code": referrer.referral_code.lower()}
    )

    assert f'name="referral_code" value="{referrer.referral_code}"' in html(landing)
    assert joined.status_code == 302
    assert Membership.objects.get(customer=customer).referred_by == referrer


def test_a_wrong_join_code_or_referral_is_refused_and_nobody_joins(
    merchant_a, programme, card_client
) -> None:
    client = card_client(merchant_a.host, customer_make(phone="+962791230003"))

    wrong_code = client.post("/card/join", {"join_code": "NOTTHIS1"})
    wrong_ref = client.post("/card/join", {"referral_code": "NOPE42"}, HTTP_ACCEPT_LANGUAGE="ar")

    assert wrong_code.status_code == 422
    assert "This join link is not this shop&#x27;s. Ask for its poster." in html(wrong_code)
    assert 'name="join_code"' not in html(wrong_code)  # the next tap joins without it
    assert 'data-testid="join"' in html(wrong_code)
    assert wrong_ref.status_code == 422
    assert "رابط الدعوة هذا لم يعد صالحاً." in html(wrong_ref)
    assert not Membership.objects.exists()


def test_a_read_only_merchant_says_so_plainly_and_offers_no_button(
    merchant_a, programme, card_client
) -> None:
    client = card_client(merchant_a.host, customer_make(phone="+962791230004"))
    with time_machine.travel(AT, tick=False):
        Merchant.objects.filter(pk=merchant_a.merchant.pk).update(
            billing_status=Merchant.Billing.TRIALING, trial_ends_at=AT - datetime.timedelta(days=1)
        )
        Merchant.objects.get(pk=merchant_a.merchant.pk).save()  # forget the cached host

        response = client.post("/card/join", {"join_code": merchant_a.merchant.join_code})

    assert response.status_code == 403
    assert "This shop&#x27;s loyalty programme is paused" in html(response)
    assert 'data-testid="join"' not in html(response)
    assert not Membership.objects.exists()


# --- the card ----------------------------------------------------------------------------


@pytest.fixture
def silver_member(merchant_a, programme):
    """A member who spent 50.000 JOD (500 points: Silver), 500 points expiring on
    20 December, two unread messages, one read; the clock frozen at AT."""
    with time_machine.travel(AT, tick=False):
        member = membership_join(customer=customer_make(phone="+962791230010", name="Rania"))
        points_earn(membership_id=member.pk, amount="50.000", actor=programme.cashier)
        PointsLot.objects.filter(membership=member).update(expires_on=datetime.date(2026, 12, 20))
        for n, read in enumerate((None, None, AT)):
            InboxItem.objects.create(
                membership=member,
                message_id=9000 + n,
                event="earn",
                kind="info",
                body="x",
                read_at=read,
            )
    member.refresh_from_db()
    return member


def test_the_card_shows_the_qr_number_balance_tier_progress_expiring_and_unread(
    merchant_a, silver_member, card_client
) -> None:
    client = card_client(merchant_a.host, silver_member.customer)
    with time_machine.travel(AT, tick=False):
        response = client.get("/card/")

    page, words = html(response), text(response)
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    number = silver_member.member_number
    assert f"{number[:4]} {number[4:]}" in words
    assert "500 points" in words and "Tier: Silver" in words
    assert "1,500 more points for Gold" in words
    assert 'style="width:25%"' in page
    assert "500 points expire soon: the first on 20 December 2026." in words
    assert "2 unread messages" in words
    token = re.search(r'id="qr"[^>]*data-token="([^"]+)"', page)[1]  # type: ignore[index]
    assert '<div class="qr" id="qr"' in page and "<svg" in page and "<?xml" not in page
    with time_machine.travel(AT, tick=False):  # the token lives 90 s from its making
        assert card_token_read(token).pk == silver_member.pk
    assert (
        'href="/card/manifest.webmanifest"' in page and '<script src="/static/card/card.js"' in page
    )
    assert "Alpha Café" in words  # the brand


def test_the_card_in_arabic_has_every_word_in_arabic(
    merchant_a, silver_member, card_client
) -> None:
    Merchant.objects.filter(pk=merchant_a.merchant.pk).update(name_ar="مقهى ألفا")
    Merchant.objects.get(pk=merchant_a.merchant.pk).save()
    client = card_client(merchant_a.host, silver_member.customer)
    with time_machine.travel(AT, tick=False), arabic_misses() as misses:
        misses.page = "/card/"
        response = client.get("/card/", HTTP_ACCEPT_LANGUAGE="ar")
        misses.page = "/card/ (join)"
        stranger = card_client(merchant_a.host, customer_make(phone="+962791230011"))
        joining = stranger.get("/card/", HTTP_ACCEPT_LANGUAGE="ar")
        misses.page = "/join/<code>"
        poster = stranger.get(f"/join/{merchant_a.merchant.join_code}", HTTP_ACCEPT_LANGUAGE="ar")
        misses.page = "/"
        shop = stranger.get("/", HTTP_ACCEPT_LANGUAGE="ar")

    page, words = html(response), text(response)
    assert '<html lang="ar" dir="rtl">' in page
    assert "مقهى ألفا" in words and "Alpha Café" not in words
    assert "500 نقطة" in words and "المستوى: فضي" in words
    assert "1,500 نقطة إضافية للوصول إلى ذهبي" in words
    assert "500 نقطة تنتهي صلاحيتها قريباً، أولها في 20 ديسمبر 2026." in words
    assert "رسالتان غير مقروءتين" in words
    assert english_in(page, []) == [] and english_in(html(joining), []) == []
    # The join code is shown as it is printed: letters and digits, sometimes letters only.
    assert english_in(html(poster), [merchant_a.merchant.join_code]) == []
    assert "بطاقة الولاء الخاصة بي" in html(shop)
    assert misses.found == {}


# --- the figures the page polls ------------------------------------------------------------


def test_the_state_answers_the_exact_figures_and_a_fresh_qr_when_asked(
    merchant_a, silver_member, card_client
) -> None:
    client = card_client(merchant_a.host, silver_member.customer)
    with time_machine.travel(AT, tick=False):
        plain = client.get("/card/state")
        with_qr = client.get("/card/state?qr=1")

    body = plain.json()
    assert plain["Cache-Control"].startswith("max-age=0")
    assert body == {
        "points": 500,
        "points_text": "500",
        "points_label": "points",
        "tier": "Silver",
        "next_tier": "Gold",
        "progress_percent": 25,
        "progress_text": "1,500 more points for \u2068Gold\u2069",
        "expiring_points": 500,
        "expiring_text": "500 points expire soon: the first on 20 December 2026.",
        "unread": 2,
        "unread_text": "2 unread messages",
    }
    qr = with_qr.json()["qr"]
    assert qr["expires_in"] == 90 and qr["svg"].startswith("<svg")
    with schema_context(merchant_a.schema), time_machine.travel(AT, tick=False):
        assert card_token_read(qr["token"]).pk == silver_member.pk


def test_the_state_follows_a_new_earn(merchant_a, silver_member, programme, card_client) -> None:
    client = card_client(merchant_a.host, silver_member.customer)
    points_earn(membership_id=silver_member.pk, amount="10.000", actor=programme.cashier)

    body = client.get("/card/state").json()

    assert (body["points"], body["points_text"]) == (650, "650")  # 10 JOD x 10 x 1.5 (Silver)


def test_the_state_gives_nothing_to_another_merchants_session_or_a_stranger(
    merchant_a, merchant_b, silver_member, host_client, card_client
) -> None:
    customer = silver_member.customer
    elsewhere = card_client(merchant_b.host, customer)  # B's session, planted on A's host
    planted = host_client(merchant_a.host)
    planted.cookies["card"] = elsewhere.cookies["card"].value
    stranger = card_client(merchant_a.host, customer_make(phone="+962791230020"))

    answers = {
        "B's session on A": planted.get("/card/state"),
        "no session": host_client(merchant_a.host).get("/card/state"),
        "not a member here": stranger.get("/card/state"),
        "the card on B": elsewhere.get("/card/state"),
    }

    assert {name: r.status_code for name, r in answers.items()} == {
        "B's session on A": 401,
        "no session": 401,
        "not a member here": 404,
        "the card on B": 404,  # a member of A only: nothing on B
    }
    for response in answers.values():
        assert set(response.json()) == {"error"}
        assert silver_member.member_number not in html(response)
    assert planted.get("/card/").status_code == 302


# --- installable -------------------------------------------------------------------------


def test_the_manifest_names_the_merchant_in_the_readers_language_with_its_colour(
    merchant_a, host_client
) -> None:
    Merchant.objects.filter(pk=merchant_a.merchant.pk).update(
        name_ar="مقهى ألفا", brand_color="#0F766E"
    )
    Merchant.objects.get(pk=merchant_a.merchant.pk).save()
    client = host_client(merchant_a.host)

    english = client.get("/card/manifest.webmanifest")
    arabic = client.get("/card/manifest.webmanifest", HTTP_ACCEPT_LANGUAGE="ar")

    assert english["Content-Type"] == "application/manifest+json"
    body = json.loads(english.content)
    icons = body.pop("icons")
    assert body == {
        "id": "/card/",
        "name": "Alpha Café",
        "short_name": "Alpha Café",
        "description": "Your loyalty card at Alpha Café",
        "start_url": "/card/",
        "scope": "/card/",
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": "#0F766E",
        "background_color": "#0F766E",
        "lang": "en",
        "dir": "ltr",
    }
    assert [(i["sizes"], i["type"]) for i in icons] == [
        ("192x192", "image/png"),
        ("512x512", "image/png"),
    ]
    in_arabic = json.loads(arabic.content)
    assert (in_arabic["name"], in_arabic["lang"], in_arabic["dir"]) == ("مقهى ألفا", "ar", "rtl")
    for each in icons:
        image = client.get(each["src"])
        assert image["Content-Type"] == "image/png"
        size = int(each["sizes"].split("x")[0])
        drawn = Image.open(io.BytesIO(image.content))
        assert drawn.size == (size, size)
        assert drawn.getpixel((2, 2)) == (0x0F, 0x76, 0x6E)  # the brand colour
    assert client.get("/card/icon-64.png").status_code == 404


def test_the_service_worker_is_javascript_never_cached_and_imports_the_push_handlers(
    merchant_a, host_client
) -> None:
    response = host_client(merchant_a.host).get("/card/sw.js")

    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Cache-Control"] == "no-cache"
    body = html(response)
    assert 'importScripts("/static/card/sw-push.js");' in body
    assert '["/static/card/card.css", "/static/card/card.js"]' in body
    assert re.search(r'var SHELL = "card-shell-[0-9a-f]{12}";', body)


def test_the_card_page_weighs_under_50_kb_before_the_qr_image(
    merchant_a, silver_member, card_client
) -> None:
    client = card_client(merchant_a.host, silver_member.customer)
    with time_machine.travel(AT, tick=False):
        page = client.get("/card/", HTTP_ACCEPT_LANGUAGE="ar").content

    without_qr = re.sub(rb'(<div class="qr" id="qr"[^>]*>)<svg.*?</svg>', rb"\1", page, flags=re.S)
    assert len(without_qr) < len(page) - 1000  # the QR was there, and is not counted
    assets = re.findall(rb'<link rel="stylesheet" href="([^"]+)"', page)
    assets += re.findall(rb'<script src="([^"]+)"', page)
    sizes = {}
    for url in assets:
        response = client.get(url.decode())
        assert response.status_code == 200, url
        sizes[url.decode()] = len(b"".join(response.streaming_content))
    assert set(sizes) == {"/static/card/card.css", "/static/card/card.js"}
    assert len(without_qr) + sum(sizes.values()) < PAGE_BUDGET


# --- the merchant's colour ----------------------------------------------------------------


def test_the_brand_colour_is_a_hex_colour_in_the_form_the_model_and_the_database(
    merchant_a,
) -> None:
    merchant = Merchant.objects.get(pk=merchant_a.merchant.pk)
    data = {
        "name": merchant.name,
        "category": merchant.category,
        "timezone": "Asia/Amman",
        "brand_color": "red",
    }

    refused = ProfileForm(data=data, instance=merchant)
    accepted = ProfileForm(data={**data, "brand_color": "#ffd60a"}, instance=merchant)

    assert not refused.is_valid() and "brand_color" in refused.errors
    assert accepted.is_valid(), accepted.errors
    merchant.brand_color = "#12345"
    with pytest.raises(ValidationError):
        merchant.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        Merchant.objects.filter(pk=merchant.pk).update(brand_color="blue")


def test_a_light_brand_colour_gets_dark_ink_on_the_card(merchant_a, card_client) -> None:
    Merchant.objects.filter(pk=merchant_a.merchant.pk).update(brand_color="#ffd60a")
    Merchant.objects.get(pk=merchant_a.merchant.pk).save()
    page = html(
        card_client(merchant_a.host, Customer.objects.create(phone="+962791230030")).get("/card/")
    )

    assert '<meta name="theme-color" content="#ffd60a">' in page
    assert ":root{--brand:#ffd60a;--brand-ink:#111827}" in page


def test_the_merchants_page_links_to_the_card(merchant_a, host_client) -> None:
    page = html(host_client(merchant_a.host).get("/"))
    assert 'href="/card/"' in page


def test_the_app_icon_is_the_logo_on_white_when_there_is_one(
    merchant_a, host_client, settings, tmp_path
) -> None:
    from django.core.files.base import ContentFile

    settings.MEDIA_ROOT = str(tmp_path)
    buffer = io.BytesIO()
    Image.new("RGB", (300, 150), "#ff0000").save(buffer, format="PNG")
    merchant = Merchant.objects.get(pk=merchant_a.merchant.pk)
    with schema_context(merchant_a.schema):
        merchant.logo.save("logo.png", ContentFile(buffer.getvalue()))

    icon = Image.open(io.BytesIO(host_client(merchant_a.host).get("/card/icon-192.png").content))

    assert icon.size == (192, 192)
    assert icon.getpixel((96, 96)) == (255, 0, 0)  # the logo in the middle
    assert icon.getpixel((96, 20)) == (255, 255, 255)  # white around it


def modules_of(svg: str) -> list[list[bool]]:
    """The dark modules an inline QR draws, read back from its path."""
    size = int(re.search(r'viewBox="0 0 (\d+) \1"', svg)[1])  # type: ignore[index]
    grid = [[False] * size for _ in range(size)]
    for x, y, length in re.findall(r"M(\d+) (\d+)h(\d+)", svg):
        for i in range(int(length)):
            grid[int(y)][int(x) + i] = True
    return grid


def test_the_inline_qr_draws_exactly_the_modules_of_the_code() -> None:
    import qrcode

    from loyalty.qr import qr_svg_inline

    data = "eyJzIjoiYWxwaGFfY2FmZSIsIm0iOjQyfQ:1tXyzA:abcdefghijklmnopqrstuvwxyz0123"
    code = qrcode.QRCode(border=2)
    code.add_data(data)
    code.make(fit=True)

    svg = qr_svg_inline(data)

    assert modules_of(svg) == code.get_matrix()
    assert len(svg) < 5000
