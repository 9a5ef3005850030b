"""One-time codes and other platform SMS, sent at once through Twilio's SDK (or
recorded when Twilio has no credentials). They are not counted against any plan."""

import logging

from loyalty.errors import DomainError

from .channels import Permanent, Transient, twilio_send
from .models import SentMessage

logger = logging.getLogger(__name__)


def sms_send(*, to: str, body: str, purpose: str = "") -> SentMessage:
    """Send one SMS now; returns the record of it. Raises `sms_failed` when Twilio refuses."""
    record = SentMessage(channel=SentMessage.Channel.SMS, to=to, body=body, purpose=purpose)
    try:
        result = twilio_send(to=to, body=body)
    except (Transient, Permanent) as error:
        record.status = SentMessage.Status.FAILED
        record.error = str(error)[:2000]
        record.save()
        logger.warning("SMS to %s failed: %s", to, error)
        raise DomainError("sms_failed", "The text message could not be sent.") from error
    if result.recorded:
        logger.info("SMS to %s recorded, not sent (no Twilio credentials): %s", to, body)
        record.status = SentMessage.Status.RECORDED
    else:
        record.status = SentMessage.Status.SENT
        record.provider_id = result.provider_id
    record.save()
    return record
