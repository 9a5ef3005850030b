"""The four channels, each through its provider's official SDK.

A channel without credentials records the message instead (`Result.recorded`).
Provider failures are sorted into `Transient` (worth retrying: network, 429, 5xx) and
`Permanent` (a bad address or a refused message: retrying cannot help).
"""

import json
import logging
import urllib.error
import warnings
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import firebase_admin
from django.conf import settings
from firebase_admin import credentials
from firebase_admin import exceptions as firebase_errors
from firebase_admin import messaging as fcm
from python_http_client.exceptions import HTTPError as SendGridHTTPError
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


def push(message: Outgoing) -> Result:
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


SENDERS = {"push": push, "email": email, "sms": sms, "whatsapp": whatsapp}
