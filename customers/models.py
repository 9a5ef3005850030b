"""The customer identity, one per person across every merchant (public schema)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Customer(models.Model):
    class Language(models.TextChoices):
        ENGLISH = "en", "English"
        ARABIC = "ar", "العربية"

    phone = models.CharField(_("phone (E.164)"), max_length=16, unique=True)
    name = models.CharField(max_length=120, blank=True)
    email = models.EmailField(blank=True)
    birthday = models.DateField(null=True, blank=True)
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.ARABIC)
    marketing_consent = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["birthday"])]

    def __str__(self) -> str:
        return self.name or self.phone
