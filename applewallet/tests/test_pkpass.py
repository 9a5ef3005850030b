"""The member's .pkpass: signed by the pass certificate (verifies against the test CA),
a manifest that hashes every file, and pass.json with the member's balance and tier."""

import datetime
import hashlib
import io
import json
import subprocess
import zipfile

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.utils import translation
from django_tenants.utils import schema_context
from PIL import Image

from applewallet.models import WalletPass
from applewallet.services import pass_token
from points.services import points_earn
from tenants.models import Merchant

from .conftest import PASS_TYPE_ID, TEAM_ID

pytestmark = pytest.mark.django_db
AT = datetime.datetime(2026, 12, 3, 10, 0, tzinfo=datetime.UTC)
FILES = [
    "ar.lproj/pass.strings",
    "en.lproj/pass.strings",
    "icon.png",
    "icon@2x.png",
    "icon@3x.png",
    "logo.png",
    "logo@2x.png",
    "logo@3x.png",
    "manifest.json",
    "pass.json",
    "signature",
]


def download(card_client, merchant, member):
    client = card_client(merchant.host, member.customer)
    with time_machine.travel(AT, tick=False):
        response = client.get("/card/wallet/apple.pkpass")
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/vnd.apple.pkpass"
    return zipfile.ZipFile(io.BytesIO(response.content))


def test_a_silver_members_pass_shows_the_balance_after_an_earn(
    wallet, merchant_a, programme, card_client
) -> None:
    member = programme.member(tier=programme.silver)
    points_earn(membership_id=member.pk, amount="50.000", actor=programme.cashier)

    archive = download(card_client, merchant_a, member)

    wallet_pass = WalletPass.objects.get(membership=member)
    token = pass_token(wallet_pass)
    assert wallet_pass.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert len(wallet_pass.serial_number) == 32 and wallet_pass.changed_at == AT
    number = member.member_number
    assert json.loads(archive.read("pass.json")) == {
        "formatVersion": 1,
        "passTypeIdentifier": PASS_TYPE_ID,
        "teamIdentifier": TEAM_ID,
        "serialNumber": wallet_pass.serial_number,
        "authenticationToken": token,
        "webServiceURL": f"https://{merchant_a.host}/card/wallet/apple/",
        "organizationName": "Alpha Café",
        "description": "Alpha Café loyalty card",
        "logoText": "Alpha Café",
        "backgroundColor": "rgb(141, 110, 99)",
        "foregroundColor": "rgb(255, 255, 255)",
        "labelColor": "rgb(255, 255, 255)",
        "barcodes": [
            {
                "format": "PKBarcodeFormatQR",
                "message": number,
                "messageEncoding": "iso-8859-1",
                "altText": number,
            }
        ],
        "storeCard": {
            "primaryFields": [
                {
                    "key": "balance",
                    "label": "Points",
                    "value": 750,
                    "numberStyle": "PKNumberStyleDecimal",
                    "changeMessage": "You have %@ points.",
                }
            ],
            "secondaryFields": [{"key": "tier", "label": "Tier", "value": "Silver"}],
            "auxiliaryFields": [{"key": "member", "label": "Member number", "value": number}],
            "backFields": [
                {
                    "key": "web",
                    "label": "Your card on the web",
                    "value": f"https://{merchant_a.host}/card/",
                }
            ],
        },
    }


def test_the_manifest_hashes_every_file_and_the_signature_verifies(
    wallet, merchant_a, programme, card_client, tmp_path
) -> None:
    member = programme.member()

    archive = download(card_client, merchant_a, member)

    assert sorted(archive.namelist()) == FILES
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest == {
        name: hashlib.sha1(archive.read(name)).hexdigest()
        for name in FILES
        if name not in ("manifest.json", "signature")
    }
    (tmp_path / "manifest.json").write_bytes(archive.read("manifest.json"))
    (tmp_path / "signature").write_bytes(archive.read("signature"))
    verify = [
        "openssl", "smime", "-verify", "-binary", "-inform", "DER", "-purpose", "any",
        "-in", str(tmp_path / "signature"), "-content", str(tmp_path / "manifest.json"),
        "-CAfile", str(wallet.ca_path), "-out", "/dev/null",
    ]  # fmt: skip
    result = subprocess.run(verify, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "Verification successful" in result.stderr

    (tmp_path / "manifest.json").write_bytes(archive.read("manifest.json") + b" ")
    tampered = subprocess.run(verify, capture_output=True, text=True, check=False)
    assert tampered.returncode != 0


def test_the_arabic_strings_translate_the_pass(wallet, merchant_a, programme, card_client) -> None:
    member = programme.member(tier=programme.gold)

    archive = download(card_client, merchant_a, member)

    arabic = archive.read("ar.lproj/pass.strings").decode("utf-16").splitlines()
    assert arabic == [
        '"Alpha Café" = "Alpha Café";',
        '"Alpha Café loyalty card" = "بطاقة الولاء من Alpha Café";',
        '"Points" = "النقاط";',
        '"You have %@ points." = "لديك %@ نقطة.";',
        '"Tier" = "المستوى";',
        '"Gold" = "ذهبي";',
        '"Member number" = "رقم العضوية";',
        '"Your card on the web" = "بطاقتك على الويب";',
    ]
    assert archive.read("en.lproj/pass.strings").decode("utf-16").splitlines()[2] == (
        '"Points" = "Points";'
    )


def test_the_same_pass_again_keeps_its_serial_and_token(
    wallet, merchant_a, programme, card_client
) -> None:
    member = programme.member()

    first = json.loads(download(card_client, merchant_a, member).read("pass.json"))
    second = json.loads(download(card_client, merchant_a, member).read("pass.json"))

    assert WalletPass.objects.filter(membership=member).count() == 1
    assert second["serialNumber"] == first["serialNumber"]
    assert second["authenticationToken"] == first["authenticationToken"]


def test_without_the_settings_there_is_no_pass_and_no_button(
    merchant_a, programme, card_client
) -> None:
    member = programme.member()
    client = card_client(merchant_a.host, member.customer)

    assert client.get("/card/wallet/apple.pkpass").status_code == 404
    assert WalletPass.objects.count() == 0
    assert render_to_string("card/wallet_apple.html", {"membership": member}).strip() == ""


def test_the_button_shows_when_configured(wallet, programme) -> None:
    member = programme.member()

    html = render_to_string("card/wallet_apple.html", {"membership": member})

    assert 'href="/card/wallet/apple.pkpass"' in html
    assert "Add to Apple Wallet" in html
    with translation.override("ar"):
        arabic = render_to_string("card/wallet_apple.html", {"membership": member})
    assert "إضافة إلى Apple Wallet" in arabic


def test_signed_out_the_pass_asks_to_sign_in(wallet, merchant_a, host_client) -> None:
    response = host_client(merchant_a.host).get("/card/wallet/apple.pkpass")

    assert response.status_code == 302
    assert response["Location"] == "/card/signin?next=%2Fcard%2Fwallet%2Fapple.pkpass"


def test_a_customer_who_is_not_a_member_here_goes_to_the_card(
    wallet, merchant_a, merchant_b, programme, card_client
) -> None:
    member = programme.member()  # of merchant A

    with schema_context(merchant_b.schema):
        response = card_client(merchant_b.host, member.customer).get("/card/wallet/apple.pkpass")

    assert response.status_code == 302 and response["Location"] == "/card/"


def test_the_icon_and_logo_are_the_merchants_logo(
    wallet, merchant_a, programme, card_client, settings, tmp_path
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    upload = io.BytesIO()
    Image.new("RGB", (400, 100), (200, 30, 40)).save(upload, format="PNG")
    merchant = Merchant.objects.get(pk=merchant_a.merchant.pk)
    merchant.logo.save("logo.png", ContentFile(upload.getvalue()))
    member = programme.member()

    archive = download(card_client, merchant_a, member)

    logo = Image.open(io.BytesIO(archive.read("logo.png")))
    icon = Image.open(io.BytesIO(archive.read("icon@2x.png")))
    assert (logo.size, logo.convert("RGB").getpixel((80, 20))) == ((160, 40), (200, 30, 40))
    assert (icon.size, icon.convert("RGBA").getpixel((29, 29))) == ((58, 58), (200, 30, 40, 255))
    assert icon.convert("RGBA").getpixel((29, 2)) == (0, 0, 0, 0)  # padded to a square


def test_a_light_tier_colour_gets_dark_text(wallet, merchant_a, programme, card_client) -> None:
    programme.gold.colour = "#f5d76e"
    programme.gold.save(update_fields=["colour"])
    member = programme.member(tier=programme.gold)

    content = json.loads(download(card_client, merchant_a, member).read("pass.json"))

    assert content["backgroundColor"] == "rgb(245, 215, 110)"
    assert content["foregroundColor"] == content["labelColor"] == "rgb(17, 17, 17)"
