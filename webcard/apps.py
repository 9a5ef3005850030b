from django.apps import AppConfig


class WebcardConfig(AppConfig):
    name = "webcard"
    verbose_name = "Web card"
    default_auto_field = "django.db.models.BigAutoField"
