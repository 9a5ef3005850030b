"""Self-serve signup on the root domain, and the one-time link that signs the new owner
in on the merchant's own host (sessions are host-only: the root domain cannot set a
cookie for the subdomain)."""

import re
from typing import Any

from anyascii import anyascii
from django import forms
from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import (
    MinimumLengthValidator,
    UserAttributeSimilarityValidator,
    get_default_password_validators,
    validate_password,
)
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from loyalty.clientip import client_key
from loyalty.db import connection
from loyalty.errors import DomainError
from loyalty.ratelimit import RateLimited, hit, wait_minutes

from .models import Merchant
from .selectors import merchant_url, root_url
from .services import merchant_create, merchant_slug_validate, owner_email_confirm

WELCOME_SALT = "loyalty.welcome"
WELCOME_SECONDS = 120


def _min_length() -> int:
    for validator in get_default_password_validators():
        if isinstance(validator, MinimumLengthValidator):
            return validator.min_length
    return 0


def password_check(password: str, *, email: str, business: str) -> None:
    """The password rules of signup, in plain words: Django's validators, with the
    likeness checked against what the owner typed here (their email and the business
    name: there is no username to compare with)."""
    errors: list[ValidationError] = []
    try:
        validate_password(password)  # no user: length, common, digits only
    except ValidationError as invalid:
        errors.extend(invalid.error_list)
    likeness = (
        ("email", User(email=email), _("The password is too close to your email address.")),
        (
            "first_name",
            User(first_name=business),
            _("The password is too close to your business name."),
        ),
    )
    for attribute, person, message in likeness:
        try:
            UserAttributeSimilarityValidator(user_attributes=(attribute,)).validate(
                password, person
            )
        except ValidationError:
            errors.append(ValidationError(message, code="password_too_similar"))
    if errors:
        raise ValidationError(errors)


def _latin(name: str) -> str:
    """The business name in Latin letters: "الورد" → "alwrd", "Café" → "cafe"."""
    words = [
        f"al{word[2:]}" if word.startswith("ال") and len(word) > 2 else word
        for word in name.split()
    ]
    return anyascii(" ".join(words)).lower()


def slug_suggest(name: str) -> str:
    """A free web address for the business name, in Latin letters whatever the
    name's script, or "" when nothing usable is left of it."""
    base = re.sub(r"[^a-z0-9]+", "-", _latin(name)).strip("-")[:36].strip("-")
    if len(base) < 3:
        return ""
    for candidate in (base, *(f"{base}-{n}" for n in range(2, 100))):
        try:
            merchant_slug_validate(candidate)
        except ValidationError:
            continue
        return candidate
    return ""


class SignupForm(forms.Form):
    name = forms.CharField(label=_("Business name"), max_length=120)
    slug = forms.SlugField(
        label=_("Web address"),
        max_length=40,
        required=False,
        help_text=_("Lower-case Latin letters, digits and hyphens. We suggest one from the name."),
    )
    category = forms.ChoiceField(label=_("Kind of business"), choices=Merchant.Category.choices)
    city = forms.CharField(label=_("City"), max_length=80, required=False)
    email = forms.EmailField(label=_("Your email"))
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["password"].help_text = _(
            "At least %(min)s characters, not only digits, not a common password, and not "
            "close to your email or business name."
        ) % {"min": _min_length()}

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"].strip().lower()
        if not slug:  # none typed (no script on the page): the one we would suggest
            slug = slug_suggest(self.data.get("name", ""))
            if not slug:
                raise ValidationError(_("Choose a web address."), code="required")
        merchant_slug_validate(slug)
        return slug

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password = cleaned.get("password")
        if password:
            try:
                password_check(
                    password, email=cleaned.get("email", ""), business=cleaned.get("name", "")
                )
            except ValidationError as invalid:
                self.add_error("password", invalid)
        return cleaned


def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None)
    texts = {"free": _("%(address)s is free")}
    domain = settings.BASE_DOMAIN
    if request.method == "POST":
        # Each merchant costs a schema: attempts are counted per client address.
        try:
            hit(
                f"signup:ip:{client_key(request)}",
                limit=settings.SIGNUP_ATTEMPTS_PER_IP_PER_HOUR,
                window=3600,
            )
        except RateLimited as limited:
            form = SignupForm(initial={k: v for k, v in request.POST.items() if k != "password"})
            refusal = _(
                "Too many attempts from your network. Try again in %(minutes)s minutes."
            ) % {"minutes": wait_minutes(limited.retry_after)}
            context = {"form": form, "texts": texts, "refusal": refusal, "domain": domain}
            refused = render(request, "signup.html", context, status=429)
            refused["Retry-After"] = str(limited.retry_after)
            return refused
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = merchant_create(
                name=data["name"],
                slug=data["slug"],
                owner_email=data["email"],
                owner_password=data["password"],
                category=data["category"],
                city=data["city"],
                language=(translation.get_language() or "en")[:2],
                email_verified=False,
                check_base_url=root_url(request),
            )
        except ValidationError as error:
            form.add_error("slug", error)
        else:
            token = signing.dumps(
                {"s": created.merchant.schema_name, "u": created.owner.pk}, salt=WELCOME_SALT
            )
            return HttpResponseRedirect(
                f"{merchant_url(request, created.merchant)}/admin/welcome/{token}/"
            )
    return render(request, "signup.html", {"form": form, "texts": texts, "domain": domain})


def email_verify(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the owner's mail: the merchant's email is confirmed."""
    try:
        merchant = owner_email_confirm(token=token)
    except DomainError as error:
        return render(request, "email_verified.html", {"error": error.message}, status=400)
    dashboard = f"{merchant_url(request, merchant)}/admin/"
    return render(request, "email_verified.html", {"merchant": merchant, "dashboard": dashboard})


@require_GET
def slug_check(request: HttpRequest) -> JsonResponse:
    """Is this address free? Answered as the owner types. Given the business `name`
    instead, answers with the address we suggest for it (free, in Latin letters)."""
    slug = request.GET.get("slug", "").strip().lower()
    if not slug and request.GET.get("name"):
        slug = slug_suggest(request.GET["name"][:120])
        if not slug:
            return JsonResponse({"slug": "", "available": False, "reason": ""})
    try:
        merchant_slug_validate(slug)
    except ValidationError as error:
        return JsonResponse({"slug": slug, "available": False, "reason": error.messages[0]})
    return JsonResponse({"slug": slug, "available": True, "reason": ""})


def welcome(request: HttpRequest, token: str) -> HttpResponse:
    """On the new merchant's host: sign the owner in once, then open the dashboard."""
    try:
        data: Any = signing.loads(token, salt=WELCOME_SALT, max_age=WELCOME_SECONDS)
    except signing.BadSignature:
        return HttpResponseRedirect("/admin/login/")
    first_use = cache.add(f"welcome:{token[-40:]}", 1, timeout=WELCOME_SECONDS + 10)
    user = User.objects.filter(pk=data.get("u"), is_active=True).first()
    if not first_use or data.get("s") != connection.schema_name or user is None:
        return HttpResponseRedirect("/admin/login/")
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return HttpResponseRedirect("/admin/")
