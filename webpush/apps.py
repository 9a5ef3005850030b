from django.apps import AppConfig


class WebpushConfig(AppConfig):
    name = "webpush"
    verbose_name = "Web Push"
    default_auto_field = "django.db.models.BigAutoField"
