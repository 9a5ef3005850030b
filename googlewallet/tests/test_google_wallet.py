"""Save to Google Wallet: the class and the object inserted at a local stub of the
Wallet API (and of Google's OAuth token endpoint), the signed save link, and the patch
after each balance change."""

import datetime
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import time_machine
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.template.loader import render_to_string
from django.test import override_settings
from django_tenants.utils import schema_context

from googlewallet import services
from googlewallet.client import SAVE_URL, WalletUnavailable, credentials
from googlewallet.models import WalletObject
from googlewallet.tasks import object_sync
from points.models import Membership
from points.services import membership_join, points_earn
from points.tests.factories import customer_make
from tests.stub_server import Recorded, Stub, stub_server

pytestmark = pytest.mark.django_db

ISSUER = "3388000000022222222"
EMAIL = "wallet@loyalty-test.iam.gserviceaccount.com"
TOKEN = "ya29.stub-token"
API = "/walletobjects/v1"
AT = datetime.datetime(2026, 12, 3, 10, 0, tzinfo=datetime.UTC)
_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PRIVATE_PEM = _KEY.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
).decode()
PUBLIC_PEM = _KEY.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)
POINTS_LABEL = {
    "defaultValue": {"language": "en", "value": "Points"},
    "translatedValues": [{"language": "ar", "value": "النقاط"}],
}
TIER_HEADER = {
    "defaultValue": {"language": "en", "value": "Tier"},
    "translatedValues": [{"language": "ar", "value": "المستوى"}],
}


def tier_module(english: str, arabic: str) -> list[dict[str, Any]]:
    return [
        {
            "id": "tier",
            "header": "Tier",
            "localizedHeader": TIER_HEADER,
            "body": english,
            "localizedBody": {
                "defaultValue": {"language": "en", "value": english},
                "translatedValues": [{"language": "ar", "value": arabic}],
            },
        }
    ]


def bearer(request: Recorded) -> str:
    return {name.lower(): value for name, value in request.headers.items()}["authorization"]


class Google:
    """The stub's answers: `statuses[(method, path)]` is a list of statuses to give in
    turn (200 once it runs out); the token endpoint always answers with TOKEN."""

    def __init__(self) -> None:
        self.statuses: dict[tuple[str, str], list[int]] = {}
        self.stub: Stub

    def answer(self, request: Recorded) -> tuple[int, Any, dict[str, str]]:
        if request.path == "/token":
            return 200, {"access_token": TOKEN, "expires_in": 3600, "token_type": "Bearer"}, {}
        waiting = self.statuses.get((request.method, request.path), [])
        status = waiting.pop(0) if waiting else 200
        return status, (request.json if status == 200 else {"error": {"code": status}}), {}

    def calls(self) -> list[tuple[str, str]]:
        return [(r.method, r.path) for r in self.stub.requests]

    def api(self) -> list[Recorded]:
        return [r for r in self.stub.requests if r.path != "/token"]


@pytest.fixture
def google(tmp_path: Path) -> Iterator[Google]:
    """A service-account key file whose token_uri is the stub, and the settings on it."""
    answers = Google()
    with stub_server(responder=answers.answer) as stub:
        answers.stub = stub
        key = tmp_path / "google-wallet.json"
        key.write_text(
            json.dumps(
                {
                    "type": "service_account",
                    "project_id": "loyalty-test",
                    "private_key_id": "key-2026",
                    "private_key": PRIVATE_PEM,
                    "client_email": EMAIL,
                    "client_id": "1",
                    "token_uri": f"{stub.url}/token",
                }
            )
        )
        with override_settings(
            GOOGLE_WALLET_ISSUER_ID=ISSUER,
            GOOGLE_WALLET_CREDENTIALS=str(key),
            GOOGLE_WALLET_API_BASE=f"{stub.url}{API}",
        ):
            yield answers


def member_of(schema: str, programme: Any, **customer: Any) -> Membership:
    with schema_context(schema):
        member = programme.member(tier=programme.silver, **customer)
        Membership.objects.filter(pk=member.pk).update(current_points=120)
        member.refresh_from_db()
        return member


def test_saving_inserts_the_class_and_the_object_then_sends_a_signed_save_link(
    programme, merchant_a, card_client, google
) -> None:
    member = member_of(merchant_a.schema, programme, name="Lina Haddad")
    number = member.member_number
    class_id = f"{ISSUER}.{merchant_a.schema}"
    object_id = f"{class_id}-{number}"

    with time_machine.travel(AT, tick=False):
        response = card_client(merchant_a.host, member.customer).get("/card/wallet/google")
        token = response["Location"].removeprefix(SAVE_URL)
        claims = jwt.decode(token, PUBLIC_PEM, algorithms=["RS256"], audience="google")
        grant = jwt.decode(
            google.stub.requests[0].form["assertion"][0],
            PUBLIC_PEM,
            algorithms=["RS256"],
            options={"verify_aud": False},
        )

    assert response.status_code == 302
    assert response["Location"].startswith(SAVE_URL)
    assert jwt.get_unverified_header(token) == {"alg": "RS256", "typ": "JWT", "kid": "key-2026"}
    assert claims == {
        "iss": EMAIL,
        "aud": "google",
        "typ": "savetowallet",
        "iat": int(AT.timestamp()),
        "origins": [f"http://{merchant_a.host}:8000"],
        "payload": {"loyaltyObjects": [{"id": object_id, "classId": class_id}]},
    }
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, other, algorithms=["RS256"], options={"verify_iat": False})

    assert google.calls() == [
        ("POST", "/token"),
        ("POST", f"{API}/loyaltyClass"),
        ("POST", f"{API}/loyaltyObject"),
    ]
    # The OAuth token: a JWT grant signed with the same key, for the Wallet scope.
    assert google.stub.requests[0].form["grant_type"] == [
        "urn:ietf:params:oauth:grant-type:jwt-bearer"
    ]
    assert (grant["iss"], grant["aud"], grant["scope"]) == (
        EMAIL,
        "https://oauth2.googleapis.com/token",
        "https://www.googleapis.com/auth/wallet_object.issuer",
    )
    assert [bearer(request) for request in google.api()] == [f"Bearer {TOKEN}"] * 2
    name = {"defaultValue": {"language": "en", "value": "Alpha Café"}}
    assert google.api()[0].json == {
        "id": class_id,
        "issuerName": "Alpha Café",
        "localizedIssuerName": name,
        "programName": "Alpha Café",
        "localizedProgramName": name,
        "hexBackgroundColor": "#7c3aed",
        "reviewStatus": "UNDER_REVIEW",
    }
    assert google.api()[1].json == {
        "id": object_id,
        "classId": class_id,
        "state": "ACTIVE",
        "accountId": number,
        "accountName": "Lina Haddad",
        "barcode": {"type": "QR_CODE", "value": number, "alternateText": number},
        "loyaltyPoints": {
            "label": "Points",
            "localizedLabel": POINTS_LABEL,
            "balance": {"int": 120},
        },
        "textModulesData": tier_module("Silver", "فضي"),
    }
    with schema_context(merchant_a.schema):
        saved = WalletObject.objects.get(membership=member)
    assert (saved.object_id, saved.synced_points, saved.synced_tier, saved.last_error) == (
        object_id,
        120,
        "Silver",
        "",
    )


def test_a_second_save_reuses_the_object_without_calling_google(
    programme, merchant_a, card_client, google
) -> None:
    member = member_of(merchant_a.schema, programme)
    client = card_client(merchant_a.host, member.customer)
    client.get("/card/wallet/google")
    before = len(google.stub.requests)

    response = client.get("/card/wallet/google")

    assert response.status_code == 302 and response["Location"].startswith(SAVE_URL)
    assert len(google.stub.requests) == before
    with schema_context(merchant_a.schema):
        assert WalletObject.objects.filter(membership=member).count() == 1


def test_a_class_or_object_google_already_has_is_patched(
    programme, merchant_a, card_client, google
) -> None:
    member = member_of(merchant_a.schema, programme)
    class_id = f"{ISSUER}.{merchant_a.schema}"
    object_id = f"{class_id}-{member.member_number}"
    google.statuses[("POST", f"{API}/loyaltyClass")] = [409]
    google.statuses[("POST", f"{API}/loyaltyObject")] = [409]

    response = card_client(merchant_a.host, member.customer).get("/card/wallet/google")

    assert response.status_code == 302
    assert google.calls()[1:] == [
        ("POST", f"{API}/loyaltyClass"),
        ("PATCH", f"{API}/loyaltyClass/{class_id}"),
        ("POST", f"{API}/loyaltyObject"),
        ("PATCH", f"{API}/loyaltyObject/{object_id}"),
    ]
    api = google.api()
    assert api[1].json == api[0].json
    assert api[3].json == {
        "loyaltyPoints": {
            "label": "Points",
            "localizedLabel": POINTS_LABEL,
            "balance": {"int": 120},
        },
        "textModulesData": tier_module("Silver", "فضي"),
    }


def test_google_down_shows_a_page_and_records_nothing(
    programme, merchant_a, card_client, google
) -> None:
    member = member_of(merchant_a.schema, programme)
    google.statuses[("POST", f"{API}/loyaltyObject")] = [503]

    response = card_client(merchant_a.host, member.customer).get("/card/wallet/google")

    assert response.status_code == 503
    assert "Google Wallet cannot be reached just now." in response.content.decode()
    with schema_context(merchant_a.schema):
        assert not WalletObject.objects.filter(membership=member).exists()


def test_an_earn_patches_the_saved_object_with_the_new_balance(
    programme, merchant_a, google, eager, django_capture_on_commit_callbacks
) -> None:
    member = member_of(merchant_a.schema, programme)
    with schema_context(merchant_a.schema):
        saved = services.wallet_object_ensure(membership_id=member.pk)
    google.stub.requests.clear()

    with django_capture_on_commit_callbacks(execute=True):
        points_earn(membership_id=member.pk, amount="50.000", actor=programme.cashier)

    assert google.calls() == [("PATCH", f"{API}/loyaltyObject/{saved.object_id}")]
    patch = google.api()[0]
    assert bearer(patch) == f"Bearer {TOKEN}"
    assert patch.json == {
        "loyaltyPoints": {
            "label": "Points",
            "localizedLabel": POINTS_LABEL,
            "balance": {"int": 870},
        },
        "textModulesData": tier_module("Silver", "فضي"),
    }
    saved.refresh_from_db()
    assert (saved.synced_points, saved.synced_tier, saved.last_error) == (870, "Silver", "")


def test_an_earn_by_a_member_without_a_saved_object_calls_nothing(
    programme, merchant_a, google, eager, django_capture_on_commit_callbacks
) -> None:
    member = member_of(merchant_a.schema, programme)

    with django_capture_on_commit_callbacks(execute=True):
        points_earn(membership_id=member.pk, amount="50.000", actor=programme.cashier)

    assert google.stub.requests == []


def test_google_failing_is_retried_and_recorded_until_it_works(
    programme, merchant_a, google
) -> None:
    member = member_of(merchant_a.schema, programme)
    with schema_context(merchant_a.schema):
        saved = services.wallet_object_ensure(membership_id=member.pk)
        Membership.objects.filter(pk=member.pk).update(current_points=300)
    path = f"{API}/loyaltyObject/{saved.object_id}"
    google.statuses[("PATCH", path)] = [503]

    with schema_context(merchant_a.schema), pytest.raises(WalletUnavailable):
        services.wallet_object_sync(membership_id=member.pk)
    saved.refresh_from_db()
    assert saved.synced_points == 120
    assert saved.last_error == (
        f"Google Wallet PATCH loyaltyObject/{saved.object_id}: HTTP 503 "
        '{"error": {"code": 503}}'
    )

    google.statuses[("PATCH", path)] = [503, 502]
    # As a worker would run it: each failure is retried (here at once, not after a wait).
    assert object_sync.apply(args=(merchant_a.schema, member.pk)).get() is True

    assert google.calls().count(("PATCH", path)) == 4
    saved.refresh_from_db()
    assert (saved.synced_points, saved.last_error, saved.last_error_at) == (300, "", None)


def test_a_refused_update_is_recorded_and_not_retried(programme, merchant_a, google, eager) -> None:
    member = member_of(merchant_a.schema, programme)
    with schema_context(merchant_a.schema):
        saved = services.wallet_object_ensure(membership_id=member.pk)
    path = f"{API}/loyaltyObject/{saved.object_id}"
    google.statuses[("PATCH", path)] = [404, 404]

    with time_machine.travel(AT, tick=False):
        assert object_sync.delay(merchant_a.schema, member.pk).get() is False

    assert google.calls().count(("PATCH", path)) == 1
    saved.refresh_from_db()
    assert saved.last_error == (
        f"Google Wallet PATCH loyaltyObject/{saved.object_id}: HTTP 404 "
        '{"error": {"code": 404}}'
    )
    assert saved.last_error_at == AT
    assert saved.synced_points == 120


def test_another_merchants_member_gets_no_object_here(
    programme, merchant_a, merchant_b, card_client, google
) -> None:
    owner = member_of(merchant_a.schema, programme)
    with schema_context(merchant_a.schema):
        services.wallet_object_ensure(membership_id=owner.pk)
    google.stub.requests.clear()
    with schema_context(merchant_b.schema):
        stranger = membership_join(customer=customer_make())

    signed_in_here = card_client(merchant_a.host, stranger.customer).get("/card/wallet/google")
    signed_in_there = card_client(merchant_b.host, stranger.customer)
    signed_in_there.defaults["HTTP_HOST"] = f"{merchant_a.host}:8000"
    from_there = signed_in_there.get("/card/wallet/google")

    assert (signed_in_here.status_code, signed_in_here["Location"]) == (302, "/card/")
    assert from_there.status_code == 302
    assert from_there["Location"].startswith("/card/signin?")
    assert google.stub.requests == []


def test_the_key_may_be_given_as_its_json_instead_of_a_path(google) -> None:
    key = json.loads(Path(settings.GOOGLE_WALLET_CREDENTIALS).read_text())

    with override_settings(GOOGLE_WALLET_CREDENTIALS=json.dumps(key)):
        signing = credentials()

    assert (signing.service_account_email, signing.signer.key_id) == (EMAIL, "key-2026")
    assert signing._token_uri == f"{google.stub.url}/token"


def test_without_settings_there_is_no_button_and_no_page(
    programme, merchant_a, card_client, google
) -> None:
    member = member_of(merchant_a.schema, programme)
    client = card_client(merchant_a.host, member.customer)
    shown = render_to_string("card/wallet_google.html", {"membership": member})
    assert 'href="/card/wallet/google"' in shown and "Save to Google Wallet" in shown

    for missing in ("GOOGLE_WALLET_ISSUER_ID", "GOOGLE_WALLET_CREDENTIALS"):
        with override_settings(**{missing: ""}):
            assert render_to_string("card/wallet_google.html", {"membership": member}).strip() == ""
            assert client.get("/card/wallet/google").status_code == 404

    assert google.stub.requests == []


def test_unconfigured_balance_changes_queue_nothing(
    programme, merchant_a, google, eager, django_capture_on_commit_callbacks
) -> None:
    member = member_of(merchant_a.schema, programme)
    with schema_context(merchant_a.schema):
        services.wallet_object_ensure(membership_id=member.pk)
    google.stub.requests.clear()

    with (
        override_settings(GOOGLE_WALLET_ISSUER_ID=""),
        django_capture_on_commit_callbacks(execute=True),
    ):
        points_earn(membership_id=member.pk, amount="50.000", actor=programme.cashier)

    assert google.stub.requests == []


def test_closing_the_account_retires_the_object_without_the_name(
    programme, merchant_a, google, eager
) -> None:
    from customers.services import customer_delete

    member = member_of(merchant_a.schema, programme, name="Lina Haddad")
    with schema_context(merchant_a.schema):
        saved = services.wallet_object_ensure(membership_id=member.pk)
    google.stub.requests.clear()

    customer_delete(customer=member.customer)

    assert google.calls() == [("PATCH", f"{API}/loyaltyObject/{saved.object_id}")]
    assert google.api()[0].json == {"state": "INACTIVE", "accountName": member.member_number}
    with schema_context(merchant_a.schema):
        assert not WalletObject.objects.filter(membership_id=member.pk).exists()
