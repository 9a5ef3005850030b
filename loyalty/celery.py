"""The Celery app. Tasks take a schema name and run inside that merchant's schema.

A task never receives model instances; beat jobs fan out one task per merchant
(`for_each_merchant`).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loyalty.settings.local")

app = Celery("loyalty")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
