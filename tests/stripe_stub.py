"""Stripe's API as the SDK meets it, on the local stub server (tests/stub_server.py):
products, prices, customers, Checkout Sessions with a small hosted page to pay on,
subscriptions and Customer Portal sessions, answered per path as Stripe would, with
every request recorded for the tests to read.

Only what this platform calls is answered; anything else is a 404 in Stripe's error
shape, so a call nobody expected fails loudly.
"""

import html
import itertools
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from django.test import override_settings

from tests.stub_server import Recorded, Stub, stub_server

Reply = tuple[int, Any, dict[str, str]]


def unflatten(form: dict[str, list[str]]) -> dict[str, Any]:
    """Stripe's form encoding (`line_items[0][price]=...`) back into nested values."""
    out: dict[str, Any] = {}
    for key, values in form.items():
        parts = key.replace("]", "").split("[")
        node: Any = out
        for part, following in itertools.pairwise(parts):
            child: Any = [] if following.isdigit() else {}
            if isinstance(node, list):
                index = int(part)
                while len(node) <= index:
                    node.append(child)
                node = node[index]
            else:
                node = node.setdefault(part, child)
        last = parts[-1]
        if isinstance(node, list):
            node.append(values[0])
        else:
            node[last] = values[0]
    return out


@dataclass
class FakeStripe:
    """The objects made so far, by id, and the stub recording the requests."""

    now: int = 0  # the Unix time the fake says objects were made at
    stub: Stub | None = None
    products: dict[str, dict[str, Any]] = field(default_factory=dict)
    prices: dict[str, dict[str, Any]] = field(default_factory=dict)
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    portals: dict[str, dict[str, Any]] = field(default_factory=dict)
    invoices: dict[str, dict[str, Any]] = field(default_factory=dict)  # set by a test
    # Idempotency-Key -> the answer given: a replay gets the same object, as at Stripe.
    replays: dict[str, Reply] = field(default_factory=dict)
    counter: itertools.count = field(default_factory=lambda: itertools.count(1))
    run: str = field(default_factory=lambda: secrets.token_hex(4))

    @property
    def url(self) -> str:
        assert self.stub is not None
        return self.stub.url

    @property
    def requests(self) -> list[Recorded]:
        assert self.stub is not None
        return self.stub.requests

    def sent(self, method: str, path: str) -> list[dict[str, Any]]:
        """The parameters of each request to exactly `path` (no query), in order."""
        return [
            unflatten(r.form)
            for r in self.requests
            if r.method == method and r.path.split("?")[0] == path
        ]

    def _id(self, prefix: str) -> str:
        # Unique across fakes too: a browser walk commits its customers, and a later
        # fake must not hand out the same id to another merchant.
        return f"{prefix}_test{self.run}{next(self.counter):04d}"

    # --- answers per path ---------------------------------------------------------

    def respond(self, request: Recorded) -> Reply:
        key = request.headers.get("Idempotency-Key")
        if request.method == "POST" and key and key in self.replays:
            return self.replays[key]
        reply = self._route(request)
        if request.method == "POST" and key and reply[0] < 400:
            self.replays[key] = reply
        return reply

    def _route(self, request: Recorded) -> Reply:
        path, _sep, query = request.path.partition("?")
        params = unflatten(request.form) if request.method == "POST" else {}
        parts = path.strip("/").split("/")
        match request.method, parts:
            case "POST", ["v1", "products"]:
                return self._made(self.products, "prod", "product", params)
            case "POST", ["v1", "prices"]:
                return self._price_create(params)
            case "POST", ["v1", "prices", price_id] if price_id in self.prices:
                price = self.prices[price_id]
                for name in ("active",):
                    if name in params:
                        price[name] = params[name] == "true"
                return 200, price, {}
            case "POST", ["v1", "customers"]:
                return self._made(self.customers, "cus", "customer", params)
            case "POST", ["v1", "checkout", "sessions"]:
                return self._session_create(params)
            case "GET", ["v1", "checkout", "sessions", session_id] if session_id in self.sessions:
                session = dict(self.sessions[session_id])
                expand = parse_qs(query).get("expand[0]", [])
                if "subscription" in expand and session.get("subscription"):
                    session["subscription"] = self.subscriptions[session["subscription"]]
                return 200, session, {}
            case "GET", ["v1", "subscriptions", subscription_id] if (
                subscription_id in self.subscriptions
            ):
                return 200, self.subscriptions[subscription_id], {}
            case "GET", ["v1", "invoices", invoice_id] if invoice_id in self.invoices:
                return 200, self.invoices[invoice_id], {}
            case "POST", ["v1", "billing_portal", "sessions"]:
                made = self._made(self.portals, "bps", "billing_portal.session", params)
                made[1]["url"] = f"{self.url}/portal/{made[1]['id']}"
                return made
            case "GET", ["pay", session_id] if session_id in self.sessions:
                return 200, self._checkout_page(session_id), {}
            case "GET", ["pay", session_id, "done"] if session_id in self.sessions:
                return 303, "", {"Location": self.pay(session_id)}
        error = {"type": "invalid_request_error", "message": f"No such route: {request.path}"}
        return 404, {"error": error}, {}

    def _made(
        self, table: dict[str, dict[str, Any]], prefix: str, kind: str, params: dict[str, Any]
    ) -> Reply:
        made = {"id": self._id(prefix), "object": kind, "created": self.now, **params}
        table[made["id"]] = made
        return 200, made, {}

    def _price_create(self, params: dict[str, Any]) -> Reply:
        status, price, headers = self._made(self.prices, "price", "price", params)
        price["unit_amount"] = int(params["unit_amount"])
        price["recurring"] = {
            "interval": params["recurring"]["interval"],
            "interval_count": int(params["recurring"].get("interval_count", 1)),
        }
        price["active"] = True
        if params.get("transfer_lookup_key") == "true":
            for other in self.prices.values():
                if other is not price and other.get("lookup_key") == params.get("lookup_key"):
                    other["lookup_key"] = None
        return status, price, headers

    def _session_create(self, params: dict[str, Any]) -> Reply:
        price_id = params["line_items"][0]["price"]
        if price_id not in self.prices or not self.prices[price_id]["active"]:
            message = f"No such price: '{price_id}'"
            error = {
                "type": "invalid_request_error",
                "code": "resource_missing",
                "message": message,
            }
            return 400, {"error": error}, {}
        status, session, headers = self._made(self.sessions, "cs", "checkout.session", params)
        session.update(
            {
                "url": f"{self.url}/pay/{session['id']}",
                "status": "open",
                "payment_status": "unpaid",
                "subscription": None,
            }
        )
        return status, session, headers

    # --- the owner on Stripe's pages ----------------------------------------------

    def pay(self, session_id: str) -> str:
        """Pay the session: it is complete and has made its subscription. Returns the
        success URL Checkout sends the browser to."""
        session = self.sessions[session_id]
        item_price = self.prices[session["line_items"][0]["price"]]
        data = session.get("subscription_data") or {}
        trial_end = int(data["trial_end"]) if data.get("trial_end") else None
        period_end = trial_end or self.now + 30 * 86400
        subscription = {
            "id": self._id("sub"),
            "object": "subscription",
            "status": "trialing" if trial_end else "active",
            "customer": session["customer"],
            "currency": item_price["currency"],
            "cancel_at_period_end": False,
            "start_date": self.now,
            "created": self.now,
            "trial_end": trial_end,
            "metadata": data.get("metadata") or {},
            "items": {
                "object": "list",
                "data": [
                    {
                        "id": self._id("si"),
                        "object": "subscription_item",
                        "price": item_price,
                        "quantity": 1,
                        "current_period_end": period_end,
                    }
                ],
            },
        }
        self.subscriptions[subscription["id"]] = subscription
        session.update(
            {"status": "complete", "payment_status": "paid", "subscription": subscription["id"]}
        )
        return str(session["success_url"]).replace("{CHECKOUT_SESSION_ID}", session_id)

    def _checkout_page(self, session_id: str) -> str:
        session = self.sessions[session_id]
        price = self.prices[session["line_items"][0]["price"]]
        return (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width'><title>Checkout</title></head>"
            "<body style='font-family: sans-serif; padding: 2rem'>"
            f"<h1>Stripe Checkout (test stub)</h1><p data-testid='product'>"
            f"{html.escape(str(price.get('nickname', '')))}: {price['unit_amount']} "
            f"{html.escape(price['currency'])} / {price['recurring']['interval']}</p>"
            f"<a id='pay' href='/pay/{session_id}/done'>Pay</a> "
            f"<a id='back' href='{html.escape(session['cancel_url'])}'>Back</a>"
            "</body></html>"
        )


@contextmanager
def fake_stripe(now: int = 0) -> Iterator[FakeStripe]:
    """A fake Stripe on a local port, with the settings pointing the SDK at it."""
    fake = FakeStripe(now=now)
    with (
        stub_server(responder=fake.respond) as stub,
        override_settings(STRIPE_SECRET_KEY="sk_test_stub", STRIPE_API_BASE=stub.url),
    ):
        fake.stub = stub
        yield fake
