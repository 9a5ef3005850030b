"""Hide the secrets that earlier versions stored in clear: invitation links in the
notification log and the sent-message record, sign-in codes a provider sent."""

import re

from django.db import migrations

INVITE_LINK = re.compile(r"\S+/admin/invite/\S+/")
CODE = re.compile(r"\b\d{6}\b")


def hide(apps, schema_editor):
    Outbox = apps.get_model("messaging", "Outbox")
    Delivery = apps.get_model("messaging", "Delivery")
    SentMessage = apps.get_model("messaging", "SentMessage")
    for row in Outbox.objects.filter(event="staff_invite"):
        if "link" in row.context:
            row.context.pop("link")
            row.save(update_fields=["context"])
    for delivery in Delivery.objects.filter(message__event="staff_invite"):
        delivery.body = INVITE_LINK.sub("[link hidden]", delivery.body)
        delivery.save(update_fields=["body"])
    for sent in SentMessage.objects.filter(purpose="staff_invite").exclude(status="recorded"):
        sent.body = INVITE_LINK.sub("[link hidden]", sent.body)
        sent.save(update_fields=["body"])
    for sent in SentMessage.objects.filter(purpose__startswith="otp_").exclude(status="recorded"):
        sent.body = CODE.sub("[code hidden]", sent.body)
        sent.save(update_fields=["body"])


class Migration(migrations.Migration):
    dependencies = [("messaging", "0006_message_secrets")]

    operations = [migrations.RunPython(hide, migrations.RunPython.noop)]
