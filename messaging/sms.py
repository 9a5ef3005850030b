"""SMS through Twilio's SDK, or recorded when Twilio has no credentials."""

import logging

from django.conf import settings
from twilio.base.exceptions import TwilioException
from twilio.rest import Client

from loyalty.errors import DomainError

from .models import SentMessage

logger = logging.getLogger(__name__)


def _client() -> Client | None:
    if not (settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN):
        return None
    client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)
    if settings.TWILIO_API_BASE_URL:
        # A proxy or a local stub in tests: the SDK builds every URL from this base.
        client.api.base_url = settings.TWILIO_API_BASE_URL
    return client


def sms_send(*, to: str, body: str, purpose: str = "") -> SentMessage:
    """Send one SMS now; returns the record of it. Raises `sms_failed` when Twilio refuses."""
    client = _client()
    if client is None:
        logger.info("SMS to %s recorded, not sent (no Twilio credentials): %s", to, body)
        return SentMessage.objects.create(
            channel=SentMessage.Channel.SMS,
            to=to,
            body=body,
            purpose=purpose,
            status=SentMessage.Status.RECORDED,
        )
    sender = (
        {"messaging_service_sid": settings.TWILIO_MESSAGING_SERVICE_SID}
        if (settings.TWILIO_MESSAGING_SERVICE_SID)
        else {"from_": settings.TWILIO_FROM_NUMBER}
    )
    try:
        message = client.messages.create(to=to, body=body, **sender)
    except TwilioException as error:
        SentMessage.objects.create(
            channel=SentMessage.Channel.SMS,
            to=to,
            body=body,
            purpose=purpose,
            status=SentMessage.Status.FAILED,
            error=str(error)[:2000],
        )
        logger.warning("SMS to %s failed: %s", to, error)
        raise DomainError("sms_failed", "The text message could not be sent.") from error
    return SentMessage.objects.create(
        channel=SentMessage.Channel.SMS,
        to=to,
        body=body,
        purpose=purpose,
        status=SentMessage.Status.SENT,
        provider_id=message.sid or "",
    )
