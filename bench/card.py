"""The web card page: its weight and its time to first contentful paint.

    make bench-card

A merchant with the seed's programme and a member signed in to the web card, served on
a free port by Django's threaded server (static files as in development), loaded in
headless Chromium on a phone's screen and user agent, each load in a fresh browser
context (nothing cached, no service worker yet: a first visit). Prints the bytes of
HTML (without the QR's SVG), CSS and JavaScript as the browser received them, gzipped
for comparison, and the median, min and max first contentful paint of BENCH_LOADS
loads, on the machine's network and on an emulated 3G phone (1.6 Mbit/s down,
150 ms round trip, CPU slowed 4x). Budget: 50 kB of HTML, CSS and JavaScript.
"""

import gzip
import os
import re
import statistics
import sys
import threading
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loyalty.settings.test")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop beside the ORM

from provisioning import bench_database  # noqa: E402

LOADS = int(os.environ.get("BENCH_LOADS", "9"))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "user_agent": (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0.0.0 Mobile Safari/537.36"
    ),
    "is_mobile": True,
    "has_touch": True,
}
# Chrome DevTools' "3G" preset, and a cheap phone's CPU.
SLOW_3G = {
    "offline": False,
    "latency": 150,
    "downloadThroughput": 1.6 * 1024 * 1024 / 8,
    "uploadThroughput": 750 * 1024 / 8,
}
CPU_SLOWDOWN = 4
QR = re.compile(rb'(<div class="qr" id="qr"[^>]*>)<svg.*?</svg>', re.S)


def serve() -> int:
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application
    from django.db import connections

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    app = StaticFilesHandler(get_wsgi_application())

    def closing(environ: dict[str, Any], start_response: Any) -> Any:
        try:
            return app(environ, start_response)
        finally:
            connections.close_all()

    server = ThreadedWSGIServer(("127.0.0.1", 0), Quiet, allow_reuse_address=False)
    server.set_app(closing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return int(server.server_address[1])


def load(browser: Any, url: str, cookie: dict[str, Any], slow: bool) -> tuple[float, float, dict]:
    """One first visit: (first byte and first contentful paint in ms, bytes by kind)."""
    context = browser.new_context(**PHONE)
    context.add_cookies([cookie])
    page = context.new_page()
    if slow:
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", SLOW_3G)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    bodies: dict[str, bytes] = {}

    def kept(response: Any) -> None:
        kind = response.request.resource_type
        if kind in ("document", "stylesheet", "script"):
            bodies[f"{kind} {response.url}"] = response.body()

    page.on("response", kept)
    page.goto(url, wait_until="load")
    assert page.url == url, f"not the card: {page.url}"
    paint = page.evaluate(
        """() => new Promise(done => new PerformanceObserver((list, observer) => {
            const entry = list.getEntriesByName('first-contentful-paint')[0];
            if (entry) { observer.disconnect(); done(entry.startTime); }
        }).observe({type: 'paint', buffered: true}))"""
    )
    first_byte = page.evaluate("performance.getEntriesByType('navigation')[0].responseStart")
    context.close()
    return float(first_byte), float(paint), bodies


def server_times(host: str, raw: str) -> dict[str, tuple[float, int]]:
    """Median time and queries of the card page and of its state, in this process."""
    import time

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from webcard.sessions import COOKIE

    client = Client(HTTP_HOST=f"{host}:8000")
    client.cookies[COOKIE] = raw
    found = {}
    for path in ("/card/", "/card/state", "/card/state?qr=1"):
        client.get(path)
        times = []
        for _ in range(20):
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                assert client.get(path).status_code == 200
            times.append((time.perf_counter() - started) * 1000)
        found[path] = (statistics.median(times), len(queries))
    return found


def main() -> None:
    bench_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django_tenants.utils import tenant_context

    from points.services import membership_join, points_earn
    from points.tests.factories import customer_make, programme_create
    from tenants.models import Merchant
    from tenants.selectors import merchant_host
    from tenants.services import merchant_create
    from webcard.sessions import COOKIE, session_create

    call_command("migrate_schemas", shared=True, verbosity=0)
    merchant = merchant_create(
        name="Card Cafe", slug="card-cafe", owner_email="o@card.jo", owner_password="bench-2026"
    ).merchant
    Merchant.objects.filter(pk=merchant.pk).update(name_ar="مقهى البطاقة")
    with tenant_context(merchant):
        programme = programme_create()
        member = membership_join(customer=customer_make(phone="+962790000001"))
        points_earn(membership_id=member.pk, amount="50.000", actor=programme.cashier)
    raw = session_create(customer=member.customer, merchant=merchant)
    host = merchant_host(merchant)
    port = serve()
    url = f"http://{host}:{port}/card/"
    cookie = {"name": COOKIE, "value": raw, "domain": host, "path": "/card/", "httpOnly": True}

    server = server_times(host, raw)

    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        load(browser, url, cookie, slow=False)  # warm the server (templates, connections)
        results = {}
        bodies: dict[str, bytes] = {}
        for slow in (False, True):
            bytes_at, paints = [], []
            for _ in range(LOADS):
                first_byte, paint, bodies = load(browser, url, cookie, slow)
                bytes_at.append(first_byte)
                paints.append(paint)
            results[slow] = (bytes_at, paints)
        browser.close()

    sizes: dict[str, list[int]] = {"html": [0, 0], "css": [0, 0], "js": [0, 0]}
    qr = b""
    for key, body in bodies.items():
        kind = {"document": "html", "stylesheet": "css", "script": "js"}[key.split()[0]]
        if kind == "html":
            found = QR.search(body)
            assert found, "the QR was not found in the page"
            qr = found[0][len(found[1]) :]
            body = QR.sub(rb"\1", body)
        sizes[kind][0] += len(body)
        sizes[kind][1] += len(gzip.compress(body, 6))
    total = [sum(v[0] for v in sizes.values()), sum(v[1] for v in sizes.values())]
    print(f"Web card page ({url}), phone viewport, first visit, {LOADS} loads each:")
    print("  weight before the QR image (bytes as sent / gzipped):")
    for kind, (plain, zipped) in sizes.items():
        print(f"    {kind:<5} {plain:7,d} / {zipped:6,d}")
    print(f"    total {total[0]:7,d} / {total[1]:6,d}   (budget 50,000)")
    print(f"  the QR (inline SVG, not counted): {len(qr):,d} / {len(gzip.compress(qr, 6)):,d}")
    print("  server (Django test client, median of 20):")
    for path, (ms, queries) in server.items():
        print(f"    {path:<17} {ms:6.1f} ms   {queries} queries")
    for slow, label in ((False, "local network"), (True, "emulated 3G, CPU 4x slower")):
        bytes_at, paints = results[slow]
        print(f"  {label}:")
        for name, values in (("first byte", bytes_at), ("first contentful paint", paints)):
            print(
                f"    {name:<23} median {statistics.median(values):6.0f} ms"
                f"   min {min(values):6.0f} ms   max {max(values):6.0f} ms"
            )


if __name__ == "__main__":
    main()
