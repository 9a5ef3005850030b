"""The four channels, each through its provider's official SDK (push: FCM for the apps
and Web Push for browsers).

A channel without credentials records the message instead (`Result.recorded`).
Provider failures are sorted into `Transient` (worth retrying: network, 429, 5xx) and
`Permanent` (a bad address or a refused message: retrying cannot help).
"""

import json
import logging
import urllib.error
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import firebase_admin
import requests
from django.conf import settings
from firebase_admin import credentials
from firebase_admin import exceptions as firebase_errors
from firebase_admin import messaging as fcm
from py_vapid import Vapid
from python_http_client.exceptions import HTTPError as SendGridHTTPError
from pywebpush import WebPushException, webpush
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import Mail
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

logger = logging.getLogger(__name__)


class Transient(Exception):
    """The provider may accept this later."""


class Permanent(Exception):
    """The provider will never accept this message."""


@dataclass
class Result:
    provider_id: str = ""
    recorded: bool = False
    # Push tokens FCM reported as no longer registered.
    dead_tokens: list[str] = field(default_factory=list)
    # Web Push endpoints the push service answered 404 or 410 for, and those it took.
    dead_endpoints: list[str] = field(default_factory=list)
    sent_endpoints: list[str] = field(default_factory=list)


@dataclass
class Outgoing:
    """One message ready for one channel."""

    to: str
    title: str
    body: str
    html: str = ""
    sender_name: str = ""
    tokens: list[str] = field(default_factory=list)
    data: dict[str, str] = field(default_factory=dict)
    # Web Push: the browsers' subscriptions (PushSubscription.toJSON() shape), the page
    # a tap opens, the text's language and how urgent it is (RFC 8030 Urgency).
    subscriptions: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    language: str = ""
    urgency: str = "normal"


def _retryable_status(status: int | None) -> bool:
    return status is None or status == 429 or status >= 500


# --- SMS and WhatsApp: Twilio ------------------------------------------------------


def twilio_client() -> Client | None:
    if not (settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN):
        return None
    client = Client(
        settings.TWILIO_ACCOUNT_SID,
        settings.TWILIO_AUTH_TOKEN,
        http_client=TwilioHttpClient(timeout=settings.NOTIFY_PROVIDER_TIMEOUT),
    )
    if settings.TWILIO_API_BASE_URL:
        # A proxy or a local stub in tests: the SDK builds every URL from this base.
        client.api.base_url = settings.TWILIO_API_BASE_URL
    return client


def twilio_send(*, to: str, body: str, whatsapp: bool = False) -> Result:
    client = twilio_client()
    if client is None:
        return Result(recorded=True)
    if whatsapp:
        sender: dict[str, str] = {"from_": f"whatsapp:{settings.TWILIO_WHATSAPP_FROM}"}
        to = f"whatsapp:{to}"
    elif settings.TWILIO_MESSAGING_SERVICE_SID:
        sender = {"messaging_service_sid": settings.TWILIO_MESSAGING_SERVICE_SID}
    else:
        sender = {"from_": settings.TWILIO_FROM_NUMBER}
    try:
        message = client.messages.create(to=to, body=body, **sender)
    except TwilioRestException as error:
        text = f"Twilio {error.status} {error.code or ''}: {error.msg}"
        raise (Transient if _retryable_status(error.status) else Permanent)(text) from error
    except TwilioException as error:  # network and other client-side failures
        raise Transient(f"Twilio: {error}") from error
    return Result(provider_id=message.sid or "")


def sms(message: Outgoing) -> Result:
    return twilio_send(to=message.to, body=message.body)


def whatsapp(message: Outgoing) -> Result:
    return twilio_send(to=message.to, body=message.body, whatsapp=True)


# --- E-mail: SendGrid --------------------------------------------------------------


def email(message: Outgoing) -> Result:
    if not settings.SENDGRID_API_KEY:
        return Result(recorded=True)
    client = SendGridAPIClient(settings.SENDGRID_API_KEY, host=settings.SENDGRID_API_HOST)
    client.client.timeout = settings.NOTIFY_PROVIDER_TIMEOUT
    mail = Mail(
        from_email=(settings.EMAIL_FROM, message.sender_name or None),
        to_emails=message.to,
        subject=message.title,
        plain_text_content=message.body,
        html_content=message.html or None,
    )
    try:
        response = client.send(mail)
    except SendGridHTTPError as error:
        status = getattr(error, "status_code", None)
        text = f"SendGrid {status}: {getattr(error, 'body', b'')!r}"[:2000]
        raise (Transient if _retryable_status(status) else Permanent)(text) from error
    except (urllib.error.URLError, OSError) as error:
        raise Transient(f"SendGrid: {error}") from error
    return Result(provider_id=response.headers.get("X-Message-Id", "") or "")


# --- Push: Firebase Cloud Messaging -------------------------------------------------

_TRANSIENT_FCM = (
    firebase_errors.UnavailableError,
    firebase_errors.InternalError,
    firebase_errors.ResourceExhaustedError,
    firebase_errors.DeadlineExceededError,
    firebase_errors.UnknownError,
)


@cache
def firebase_app(credentials_value: str, base_url: str) -> firebase_admin.App:
    info: Any = credentials_value
    if credentials_value.lstrip().startswith("{"):
        info = json.loads(credentials_value)
    app = firebase_admin.initialize_app(
        credentials.Certificate(info),
        options={"httpTimeout": settings.NOTIFY_PROVIDER_TIMEOUT},
        name=f"loyalty-{len(firebase_admin._apps)}",
    )
    if base_url:
        service = fcm._get_messaging_service(app)
        service._fcm_url = f"{base_url}/v1/projects/{service._project_id}/messages:send"
    return app


def fcm_push(message: Outgoing) -> Result:
    if not settings.FIREBASE_CREDENTIALS:
        return Result(recorded=True)
    if not message.tokens:
        raise Permanent("The customer has no registered device.")
    app = firebase_app(settings.FIREBASE_CREDENTIALS, settings.FCM_API_BASE_URL)
    with warnings.catch_warnings():
        # The apps register FCM registration tokens, which the SDK now marks deprecated
        # in favour of installation IDs; tokens remain what FCM's v1 API delivers to.
        warnings.simplefilter("ignore", DeprecationWarning)
        multicast = fcm.MulticastMessage(
            tokens=message.tokens,
            notification=fcm.Notification(title=message.title, body=message.body),
            data=message.data,
            android=fcm.AndroidConfig(priority="high"),
            apns=fcm.APNSConfig(payload=fcm.APNSPayload(aps=fcm.Aps(sound="default"))),
        )
    try:
        batch = fcm.send_each_for_multicast(multicast, app=app)
    except firebase_errors.FirebaseError as error:
        raise Transient(f"FCM: {error}") from error
    sent: list[str] = []
    dead: list[str] = []
    transient: list[str] = []
    permanent: list[str] = []
    for token, response in zip(message.tokens, batch.responses, strict=True):
        if response.success:
            sent.append(response.message_id)
        elif isinstance(response.exception, fcm.UnregisteredError):
            dead.append(token)
        elif isinstance(response.exception, _TRANSIENT_FCM):
            transient.append(str(response.exception))
        else:
            permanent.append(str(response.exception))
    if sent:
        return Result(provider_id=",".join(sent)[:255], dead_tokens=dead)
    failure: Transient | Permanent
    if transient:
        failure = Transient(f"FCM: {transient[0]}")
    elif dead and not permanent:
        failure = Permanent("FCM: every device token is unregistered")
    else:
        failure = Permanent(f"FCM: {permanent[0]}")
    failure.dead_tokens = dead  # type: ignore[union-attr]
    raise failure


# --- Push: Web Push (VAPID) -----------------------------------------------------------

# How long a push service keeps a message for a browser that is offline.
WEBPUSH_TTL_SECONDS = 24 * 3600


@cache
def vapid_key(private_key: str) -> Vapid:
    return Vapid.from_string(private_key)


def web_push(message: Outgoing) -> Result:
    """Encrypt (aes128gcm) and post the message to each of the browser subscriptions,
    signed with the platform's VAPID key. Subscriptions the push service answers 404 or
    410 for are gone (`dead_endpoints`)."""
    if not (settings.VAPID_PUBLIC_KEY and settings.VAPID_PRIVATE_KEY):
        return Result(recorded=True)
    payload = json.dumps(
        {
            "title": message.title[:200],
            # A push message holds 4 kB: a long broadcast is cut; the inbox has it all.
            "body": message.body[:1000],
            "url": message.url,
            "lang": message.language,
            "dir": "rtl" if message.language == "ar" else "ltr",
        },
        ensure_ascii=False,
    )
    sent: list[str] = []
    ids: list[str] = []
    dead: list[str] = []
    transient: list[str] = []
    permanent: list[str] = []
    for subscription in message.subscriptions:
        endpoint = subscription["endpoint"]
        try:
            response = webpush(
                subscription,
                data=payload,
                vapid_private_key=vapid_key(settings.VAPID_PRIVATE_KEY),
                vapid_claims={"sub": settings.VAPID_SUBJECT},
                content_encoding="aes128gcm",
                timeout=settings.NOTIFY_PROVIDER_TIMEOUT,
                ttl=WEBPUSH_TTL_SECONDS,
                headers={"Urgency": message.urgency},
            )
        except WebPushException as error:
            status = error.status_code
            if status in (404, 410):
                dead.append(endpoint)
            elif _retryable_status(status):
                transient.append(f"Web Push {status}")
            else:
                reply = getattr(error.response, "text", "")[:200]
                permanent.append(f"Web Push {status}: {reply}")
            continue
        except requests.RequestException as error:  # network, timeout
            transient.append(f"Web Push: {error.__class__.__name__}")
            continue
        sent.append(endpoint)
        if isinstance(response, requests.Response):
            ids.append(response.headers.get("Location", ""))
    if sent:
        return Result(
            provider_id=",".join(i for i in ids if i)[:255],
            dead_endpoints=dead,
            sent_endpoints=sent,
        )
    failure: Transient | Permanent
    if transient:
        failure = Transient(transient[0])
    elif dead and not permanent:
        failure = Permanent("Web Push: every subscription is gone")
    else:
        failure = Permanent(permanent[0] if permanent else "Web Push: no subscription")
    failure.dead_endpoints = dead  # type: ignore[union-attr]
    raise failure


# --- Push: both ------------------------------------------------------------------------


def push(message: Outgoing) -> Result:
    """A push delivery goes to the customer's app devices (FCM) and to their browsers
    (Web Push). It is sent when either took it, as a multicast is sent when one device
    took it; it is retried or dead-lettered only when none did. A part without
    credentials is recorded."""
    outcomes: dict[str, Result | Transient | Permanent] = {}
    if message.tokens or not message.subscriptions:
        outcomes["FCM"] = _outcome(fcm_push, message)
    if message.subscriptions:
        outcomes["Web Push"] = _outcome(web_push, message)
    dead_tokens = [t for o in outcomes.values() for t in getattr(o, "dead_tokens", [])]
    dead_endpoints = [e for o in outcomes.values() for e in getattr(o, "dead_endpoints", [])]
    sent = [o for o in outcomes.values() if isinstance(o, Result) and not o.recorded]
    failures = [o for o in outcomes.values() if not isinstance(o, Result)]
    if sent:
        for name, outcome in outcomes.items():
            if isinstance(outcome, Result) and outcome.recorded:
                logger.info("%s part of a push recorded, not sent (no credentials)", name)
            elif not isinstance(outcome, Result):
                logger.warning("%s part of a push failed, the other sent: %s", name, outcome)
        return Result(
            provider_id=",".join(r.provider_id for r in sent if r.provider_id)[:255],
            dead_tokens=dead_tokens,
            dead_endpoints=dead_endpoints,
            sent_endpoints=[e for r in sent for e in r.sent_endpoints],
        )
    if failures:
        failure = next((f for f in failures if isinstance(f, Transient)), failures[0])
        failure.dead_tokens = dead_tokens  # type: ignore[union-attr]
        failure.dead_endpoints = dead_endpoints  # type: ignore[union-attr]
        raise failure
    return Result(recorded=True)


def _outcome(
    send: Callable[[Outgoing], Result], message: Outgoing
) -> Result | Transient | Permanent:
    try:
        return send(message)
    except (Transient, Permanent) as error:
        return error


SENDERS = {"push": push, "email": email, "sms": sms, "whatsapp": whatsapp}
