"""The pages a person meets at the edges: a page their role does not open (403), an
empty list, and the favicon every page names."""

import re

import pytest
from django.utils import translation
from django_tenants.utils import schema_context

from tenants.roles import Role
from tenants.services import staff_create
from tests.fixtures import PASSWORD, HostClient

pytestmark = pytest.mark.django_db

FAVICON = re.compile(r'<link rel="icon"[^>]* href="/static/favicon\.svg"')


def names_favicon(text: str) -> bool:
    return FAVICON.search(text) is not None


def signed_in(merchant, email: str, lang: str = "en") -> HostClient:
    client = HostClient(merchant.host, HTTP_ACCEPT_LANGUAGE=lang)
    response = client.post("/admin/login/", {"username": email, "password": PASSWORD})
    assert response.status_code == 302, response.content[:300]
    return client


@pytest.fixture
def cashier(merchant_a) -> str:
    with schema_context(merchant_a.schema):
        staff_create(email="till@alpha-cafe.test", role=Role.CASHIER, password=PASSWORD)
    return "till@alpha-cafe.test"


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", ["You cannot open this page", "Back to the dashboard"]),
        ("ar", ["لا يمكنك فتح هذه الصفحة", "العودة إلى لوحة التحكم"]),
    ],
)
def test_a_cashier_opening_the_settings_gets_the_dashboards_403_with_the_way_back(
    merchant_a, cashier, lang, words
) -> None:
    client = signed_in(merchant_a, cashier, lang)

    for path in ("/admin/profile/", "/admin/points/pointssettings/1/change/"):
        page = client.get(path)
        text = page.content.decode()
        assert page.status_code == 403, path
        assert 'data-testid="forbidden"' in text
        assert [w for w in words if w not in text] == []
        assert 'href="/admin/"' in text
        # Drawn inside the dashboard: its sidebar, with the cashier's own pages.
        assert 'href="/admin/counter/"' in text and names_favicon(text)


def test_a_403_outside_the_dashboard_is_the_branded_page(rf, merchant_a) -> None:
    from django.contrib.auth.models import AnonymousUser

    from loyalty.views import permission_denied

    request = rf.get("/join/NOPE", HTTP_HOST=merchant_a.host)
    request.user = AnonymousUser()
    with translation.override("en"):
        page = permission_denied(request)
    text = page.content.decode()
    assert page.status_code == 403
    assert "You cannot open this page" in text and 'href="/admin/"' in text
    assert names_favicon(text)


@pytest.mark.parametrize(
    ("lang", "title", "hint"),
    [
        ("en", "Nothing here yet", "Add the first campaign with the button below."),
        ("ar", "لا شيء هنا بعد", "بالزر أدناه."),
    ],
)
def test_an_empty_list_says_nothing_is_here_yet_and_what_to_do(
    merchant_a, lang, title, hint
) -> None:
    client = signed_in(merchant_a, merchant_a.owner_email, lang)

    text = client.get("/admin/points/campaign/").content.decode()

    assert 'data-testid="empty-list"' in text
    assert title in text and hint in text
    assert "yielded" not in text


def test_an_empty_search_says_nothing_matches(merchant_a) -> None:
    client = signed_in(merchant_a, merchant_a.owner_email)

    text = client.get("/admin/points/membership/?q=nobody-by-this-name").content.decode()

    assert "Nothing matches this search or these filters." in text
    assert "yielded" not in text


def test_every_kind_of_page_names_the_favicon(merchant_a, cashier) -> None:
    owner = signed_in(merchant_a, merchant_a.owner_email)
    merchant = HostClient(merchant_a.host)
    root = HostClient("localhost")
    pages = {
        "dashboard": owner.get("/admin/"),
        "dashboard login": merchant.get("/admin/login/"),
        "platform login": root.get("/admin/login/"),
        "signup": root.get("/signup/"),
        "landing": root.get("/"),
        "not found": merchant.get("/no-such-page/"),
        "forbidden": signed_in(merchant_a, cashier).get("/admin/profile/"),
    }

    assert {name: names_favicon(page.content.decode()) for name, page in pages.items()} == {
        name: True for name in pages
    }
    icon = root.get("/static/favicon.svg")
    assert icon.status_code == 200
