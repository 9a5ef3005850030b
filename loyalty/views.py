import os

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.static import serve
from django_tenants.utils import get_public_schema_name

from loyalty.api.errors import error_response
from loyalty.db import connection
from loyalty.formatting import local_name
from tenants.selectors import merchant_url, merchants_active


def landing(request: HttpRequest) -> HttpResponse:
    merchants = [
        {"merchant": m, "url": merchant_url(request, m) + "/"} for m in merchants_active()[:12]
    ]
    return render(
        request, "landing.html", {"merchants": merchants, "base_domain": settings.BASE_DOMAIN}
    )


def merchant_home(request: HttpRequest) -> HttpResponse:
    return render(request, "merchant_home.html", {"merchant": request.tenant})  # type: ignore[attr-defined]


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404 in the API's error shape under /api/, as a page elsewhere."""
    if request.path.startswith("/api/"):
        return error_response("not_found", "Nothing is here.", status=404)
    return render(request, "404.html", status=404)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """403: in the API's error shape under /api/; inside the dashboard's own frame for
    signed-in staff (a cashier opening the settings), with the way back to it; a plain
    branded page elsewhere."""
    if request.path.startswith("/api/"):
        return error_response("permission_denied", "Your role does not allow this.", status=403)
    user = getattr(request, "user", None)
    if request.path.startswith("/admin/") and user is not None and user.is_active and user.is_staff:
        from loyalty.admin_sites import merchant_site, platform_site

        public = connection.schema_name == get_public_schema_name()
        site = platform_site if public else merchant_site
        context = {
            **site.each_context(request),
            "title": _("You cannot open this page"),
            "dashboard_url": reverse(f"{site.name}:index"),
        }
        return TemplateResponse(request, "dashboard/403.html", context, status=403).render()
    return render(request, "403.html", status=403)


@csrf_exempt  # answers every method with 404; a CSRF refusal would be an HTML 403
def api_not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Whatever no API route matched: 404 in the error shape, whatever DEBUG is (Django
    answers its debug page instead of `handler404` when DEBUG is on)."""
    return error_response("not_found", "Nothing is here.", status=404)


def media(request: HttpRequest, path: str) -> HttpResponseBase:
    """Uploaded files, in development: only the current schema's folder is reachable.

    In production a web server or object store serves MEDIA_ROOT (README, "Configuration").
    """
    schema, _, rest = path.partition("/")
    if schema != connection.schema_name or not rest:
        raise Http404
    return serve(request, rest, document_root=os.path.join(settings.MEDIA_ROOT, schema))


def join_landing(request: HttpRequest, code: str) -> HttpResponse:
    """Where the poster's QR leads a phone camera: join on the web card in one tap
    (signing in first if needed), or open the app. `?ref=` carries a referral code."""
    merchant = request.tenant  # type: ignore[attr-defined]
    valid = code.strip().upper() == merchant.join_code
    context = {
        "merchant": merchant,
        "name": local_name(merchant.name, merchant.name_ar),
        "valid": valid,
        "code": merchant.join_code,
        "ref": request.GET.get("ref", "").strip()[:12],
        "host": request.get_host(),
    }
    return render(request, "join.html", context, status=200 if valid else 404)
