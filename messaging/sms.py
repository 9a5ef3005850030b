"""One-time codes and other platform SMS, sent at once through Twilio's SDK (or
recorded when Twilio has no credentials). They are not counted against any plan."""

import logging
from collections.abc import Sequence

from loyalty.errors import DomainError

from .channels import Permanent, Transient, twilio_send
from .models import SentMessage
from .secrets import redact

logger = logging.getLogger(__name__)


def sms_send(*, to: str, body: str, purpose: str = "", secrets: Sequence[str] = ()) -> SentMessage:
    """Send one SMS now; returns the record of it. Raises `sms_failed` when Twilio refuses.

    `secrets` (a sign-in code) appear in the record only when nothing was sent (no
    Twilio credentials: the record is then how a developer reads the code); otherwise,
    and in the server log, they read "[code hidden]".
    """
    shown = redact(body, list(secrets))
    record = SentMessage(channel=SentMessage.Channel.SMS, to=to, body=shown, purpose=purpose)
    try:
        result = twilio_send(to=to, body=body)
    except (Transient, Permanent) as error:
        record.status = SentMessage.Status.FAILED
        record.error = str(error)[:2000]
        record.save()
        logger.warning("SMS to %s failed: %s", to, error)
        raise DomainError("sms_failed", "The text message could not be sent.") from error
    if result.recorded:
        logger.info("SMS to %s recorded, not sent (no Twilio credentials): %s", to, shown)
        record.status = SentMessage.Status.RECORDED
        record.body = body
    else:
        record.status = SentMessage.Status.SENT
        record.provider_id = result.provider_id
    record.save()
    return record
