"""Every form of both dashboards, in a real browser, in English and Arabic: each field
a person can fill has a box they can see (a size, and a border or a background apart
from the page) and a label they can read.

Walked signed in as a merchant's owner (every model page the merchant dashboard
registers, add and change, and its own pages) and as a platform admin (the same on the
root domain, with creating, suspending and resuming a merchant). The custom forms are
kept as screenshots in .local/screenshots/forms/<page>-<lang>-laptop.png."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context

from loyalty.admin_sites import merchant_site, platform_site
from points.models import Membership, PointsSettings
from points.services import membership_join
from points.tests.factories import customer_make, programme_create
from tenants.models import Merchant
from tenants.tests.test_platform_admin import current_code
from tests.browser import Walk
from tests.fixtures import PASSWORD, TestMerchant, _provision
from tests.threads import committed

pytestmark = pytest.mark.django_db

# A field with no box of its own (a switch, a file drop) is drawn by its label or
# wrapper: the box looked at is the nearest one that shows.
FIELDS_WITHOUT_A_BOX = """
(root) => {
  const paint = (color) => color && color !== "transparent" && !/rgba\\(.*, 0\\)$/.test(color);
  const pageBackground = (el) => {
    for (let node = el.parentElement; node; node = node.parentElement) {
      const color = getComputedStyle(node).backgroundColor;
      if (paint(color)) return color;
    }
    return "rgb(255, 255, 255)";
  };
  const hasBox = (el) => {
    const style = getComputedStyle(el);
    const rect = el.getBoundingClientRect();
    if (rect.width < 4 || rect.height < 4) return false;
    const around = pageBackground(el);
    const border = ["Top", "Right", "Bottom", "Left"].some(
      (side) => parseFloat(style[`border${side}Width`]) > 0 &&
        paint(style[`border${side}Color`]) && style[`border${side}Color`] !== around
    );
    const background = paint(style.backgroundColor) && style.backgroundColor !== around;
    return border || background;
  };
  const shown = (el) =>
    el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
  const labelOf = (el) => {
    const texts = [];
    if (el.id) {
      for (const label of document.querySelectorAll(`label[for="${CSS.escape(el.id)}"]`)) {
        if (shown(label)) texts.push(label.innerText);
      }
    }
    const wrapping = el.closest("label");
    if (wrapping && shown(wrapping)) texts.push(wrapping.innerText);
    texts.push(el.getAttribute("aria-label") || "", el.getAttribute("placeholder") || "");
    const cell = el.closest("td");
    const table = cell && cell.closest("table");
    if (table) {
      const header = table.querySelectorAll("thead th")[cell.cellIndex];
      if (header && shown(header)) texts.push(header.innerText);
    }
    return texts.map((t) => t.trim()).filter(Boolean)[0] || "";
  };
  const problems = [];
  const fields = root.querySelectorAll(
    "form[method=post] input, form[method=post] select, form[method=post] textarea, " +
    "form[method=POST] input, form[method=POST] select, form[method=POST] textarea"
  );
  for (const field of fields) {
    const type = (field.getAttribute("type") || "").toLowerCase();
    if (["hidden", "submit", "button", "reset", "image"].includes(type)) continue;
    if (!shown(field)) continue;  // display:none
    if (!field.name && field.disabled) continue;  // a widget's decoration, never sent
    if (field.closest("[hidden], .hidden, .empty-form, .template")) continue;
    // A field drawn by its widget's wrapper: unfold's file drop hides the real input in
    // a zero-width, transparent box; Django's two-list chooser draws its lists in
    // bordered panels. The box looked at is then the nearest ancestor that shows one
    // and that the field spans (or, for a hidden input, any).
    const hiddenByDesign = (el) => {
      for (let node = el; node; node = node.parentElement) {
        if (getComputedStyle(node).opacity === "0") return true;
      }
      return el.getBoundingClientRect().width < 4;
    };
    const width = (el) => el.getBoundingClientRect().width;
    let drawn = field;
    if (!hasBox(field)) {
      const hidden = hiddenByDesign(field);
      let node = field.parentElement;
      for (let up = 0; up < 4 && node; up++, node = node.parentElement) {
        if (hasBox(node) && (hidden || width(field) >= 0.9 * width(node))) {
          drawn = node;
          break;
        }
      }
    }
    const name = field.name || field.id;
    if (!hasBox(drawn)) problems.push(`${name}: no visible box`);
    if (!labelOf(field)) problems.push(`${name}: no label`);
  }
  return {problems, count: fields.length};
}
"""


def fields_without_a_box(walk: Walk) -> tuple[list[str], int]:
    found = walk.page.evaluate(FIELDS_WITHOUT_A_BOX, walk.page.locator("body").element_handle())
    return found["problems"], found["count"]


@pytest.fixture(scope="module")
def shop(django_db_setup, django_db_blocker) -> Iterator[TestMerchant]:
    """A merchant of its own with a row in each list, so each change page opens."""
    merchant = _provision(django_db_blocker, "forms-cafe", "Forms Café")
    with django_db_blocker.unblock(), schema_context(merchant.schema):

        def fill() -> None:
            if not Membership.objects.exists():
                programme_create()
                membership_join(customer=customer_make(name="Lina Haddad"))
            PointsSettings.objects.get_or_create(pk=1)

        committed(fill)
    yield merchant


@pytest.fixture(scope="module")
def platform_admin(django_db_setup, django_db_blocker) -> Iterator[TOTPDevice]:
    with django_db_blocker.unblock():

        def make() -> TOTPDevice:
            admin = User.objects.filter(username="forms@platform.jo").first()
            if admin is None:
                admin = User.objects.create_superuser(
                    "forms@platform.jo", "forms@platform.jo", PASSWORD
                )
            return TOTPDevice.objects.get_or_create(
                user=admin, name="phone", defaults={"confirmed": True}
            )[0]

        yield committed(make)


def platform_sign_in(walk: Walk, base: str, device: TOTPDevice) -> None:
    # A code is good once: let this walk use the current one again.
    committed(lambda: TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1))
    page = walk.page
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", "forms@platform.jo")
    page.fill("#id_password", PASSWORD)
    page.fill("#id_otp_token", current_code(device))
    with page.expect_navigation():
        page.click("#login-form button[type=submit]")
    assert page.url == f"{base}/admin/", walk.body()[:300]


def first_pk(model: Any, schema: str) -> Any:
    with schema_context(schema):
        return committed(lambda: model._default_manager.order_by("pk").values_list("pk").first())


PLATFORM_URLS = "loyalty.urls_public"


def model_pages(site: Any, schema: str, urlconf: str | None = None) -> list[str]:
    """Each registered model's add page, and the change page of its first row."""
    urls = []
    for model in site._registry:
        info = f"{site.name}:{model._meta.app_label}_{model._meta.model_name}"
        urls.append(reverse(f"{info}_add", urlconf=urlconf))
        row = first_pk(model, schema)
        if row is not None:
            urls.append(reverse(f"{info}_change", args=[row[0]], urlconf=urlconf))
    return urls


def check(walk: Walk, url: str, checked: dict[str, int], problems: list[str]) -> bool:
    """Open `url`; note each field with no box or label. False when the page is not one
    this account may open (no add permission: a 403 or a redirect to the list)."""
    response = walk.page.goto(url)
    if response is None or response.status != 200 or not walk.page.url.endswith(url):
        return False
    found, count = fields_without_a_box(walk)
    problems.extend(f"{walk.lang} {url} {problem}" for problem in found)
    if found:  # kept for a person to look at
        walk.page.screenshot(path=str(walk.shots / f"problem-{len(checked)}-{walk.lang}.png"))
    checked[url] = count
    return True


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_every_merchant_dashboard_form_shows_its_boxes_and_labels(
    shop, live_url, walks, lang
) -> None:
    base = live_url.format(host=shop.host)
    person = walks(lang, "laptop", "forms")
    person.sign_in(base, shop.owner_email, PASSWORD)
    member = first_pk(Membership, shop.schema)[0]
    custom = {
        "profile": reverse("merchant_admin:profile"),
        "adjust": reverse("merchant_admin:points_membership_adjust", args=[member]),
        "counter": reverse("merchant_admin:counter"),
        "subscription": reverse("merchant_admin:subscription"),
    }
    checked: dict[str, int] = {}
    problems: list[str] = []

    for url in model_pages(merchant_site, shop.schema):
        check(person, base + url, checked, problems)
    for name, url in custom.items():
        assert check(person, base + url, checked, problems), url
        if name in ("profile", "adjust"):
            person.shot(name)

    assert problems == [], "\n".join(problems)
    # The walk saw the add and change pages and the custom pages.
    assert len(checked) >= 15
    assert checked[base + custom["profile"]] >= 9
    assert checked[base + custom["adjust"]] >= 2


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_every_platform_dashboard_form_shows_its_boxes_and_labels(
    shop, platform_admin, live_url, walks, lang
) -> None:
    base = live_url.format(host="localhost")
    person = walks(lang, "laptop", "forms")
    platform_sign_in(person, base, platform_admin)
    checked: dict[str, int] = {}
    problems: list[str] = []

    for url in model_pages(platform_site, "public", PLATFORM_URLS):
        check(person, base + url, checked, problems)
    create = reverse("platform_admin:tenants_merchant_create", urlconf=PLATFORM_URLS)
    assert check(person, base + create, checked, problems)
    person.shot("create-merchant")

    # The suspension's confirmation, as the list's action opens it.
    merchant = Merchant.objects.get(slug="forms-cafe")
    changelist = base + reverse("platform_admin:tenants_merchant_changelist", urlconf=PLATFORM_URLS)
    person.page.goto(changelist)
    person.page.evaluate(
        """(pk) => {
          const form = document.createElement("form");
          form.method = "post";
          const add = (name, value) => {
            const input = document.createElement("input");
            input.type = "hidden"; input.name = name; input.value = value;
            form.appendChild(input);
          };
          add("csrfmiddlewaretoken", document.querySelector("[name=csrfmiddlewaretoken]").value);
          add("action", "suspend");
          add("_selected_action", pk);
          document.body.appendChild(form);
          form.submit();
        }""",
        str(merchant.pk),
    )
    person.page.wait_for_selector("[data-testid=confirm-suspend]")
    found, count = fields_without_a_box(person)
    problems.extend(f"{lang} suspend {problem}" for problem in found)
    person.shot("suspend-confirm")

    assert problems == [], "\n".join(problems)
    assert count >= 1
    assert checked[base + create] >= 5
    assert len(checked) >= 8
