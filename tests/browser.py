"""Playwright on Debian's Chromium (headless). Its own browser download does not
work here; a missing Chromium fails the browser tests loudly instead of skipping them."""

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Playwright's sync API keeps an event loop in the test thread; the ORM calls tests make
# beside it are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
SCREENSHOTS = Path(__file__).resolve().parent.parent / ".local" / "screenshots"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"BROWSER TESTS CANNOT RUN: no Chromium at {CHROMIUM}. "
            "Install it (apt-get install chromium) or set CHROMIUM to its path.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser page; a screenshot is kept in .local/screenshots when the test fails."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
    context.close()


# A person's screens: a laptop and a phone (Chromium with a mobile user agent).
PHONE_AGENT = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)
VIEWPORTS: dict[str, dict[str, Any]] = {
    "laptop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "user_agent": PHONE_AGENT,
        "is_mobile": True,
        "has_touch": True,
    },
}

# English an Arabic reader once met on these pages (the layout's own words).
LEFTOVERS = ("Return to site", "Welcome back", "Username", "Dashboard", "Counter", "Log in")


class Walk:
    """One person's browser: a language and a screen, saving a screenshot per page."""

    def __init__(
        self,
        browser: Any,
        lang: str,
        viewport: str,
        folder: str,
        text: dict[str, str] | None = None,
    ) -> None:
        self.lang, self.viewport = lang, viewport
        self.shots = SCREENSHOTS / folder
        self.text = text or {}
        self.context = browser.new_context(
            locale="ar-JO" if lang == "ar" else "en-GB",
            extra_http_headers={"Accept-Language": lang},
            **VIEWPORTS[viewport],
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)

    def shot(self, name: str, full_page: bool = True) -> None:
        """Check the page reads in the walk's direction, then keep it for a person
        (the whole page, or what the screen shows first)."""
        direction = "rtl" if self.lang == "ar" else "ltr"
        assert self.page.get_attribute("html", "dir") == direction, name
        assert self.page.get_attribute("html", "lang") == self.lang, name
        # Nothing runs off the side of a phone: the page is no wider than the screen.
        width = self.page.evaluate("document.documentElement.scrollWidth")
        assert width <= self.page.viewport_size["width"], f"{name}: {width}px wide"
        if self.lang == "ar":
            body = self.body()
            assert [words for words in LEFTOVERS if words in body] == [], name
        self.shots.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(
            path=str(self.shots / f"{name}-{self.lang}-{self.viewport}.png"), full_page=full_page
        )

    def body(self) -> str:
        return self.page.inner_text("body")

    def sign_in(self, base: str, email: str, password: str) -> Any:
        self.page.goto(f"{base}/admin/login/")
        self.page.fill("#id_username", email)
        self.page.fill("#id_password", password)
        with self.page.expect_navigation():
            self.page.click("#login-form button[type=submit]")
        return self.page


@pytest.fixture
def walks(browser: Any) -> Iterator[Callable[..., Walk]]:
    """Opens walks (`walks(lang, viewport, folder, text)`) and closes them after the test."""
    opened: list[Walk] = []

    def open_walk(
        lang: str, viewport: str, folder: str, text: dict[str, str] | None = None
    ) -> Walk:
        opened.append(Walk(browser, lang, viewport, folder, text))
        return opened[-1]

    yield open_walk
    for each in opened:
        each.context.close()


WALKS = [
    pytest.param(lang, viewport, id=f"{lang}-{viewport}")
    for lang in ("en", "ar")
    for viewport in ("laptop", "phone")
]
# Each language and each screen once (English on a laptop, Arabic on a phone): for the
# pages beside the main flows, which walk all four.
WALKS_CROSS = [
    pytest.param("en", "laptop", id="en-laptop"),
    pytest.param("ar", "phone", id="ar-phone"),
]
