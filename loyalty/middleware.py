"""Choose the schema for each request from its host name.

* The root domain (`BASE_DOMAIN`) is the platform: public schema, public URLs. No query.
* `<slug>.<BASE_DOMAIN>` is a merchant: its schema, merchant URLs. The host lookup is
  cached (`tenants.selectors.merchant_for_host`).
* Any other host is a 404 (JSON under /api/), never another merchant's data.
* A suspended merchant answers 403 with a clear message; health checks still answer.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django_tenants.middleware.main import TenantMainMiddleware

from loyalty.api.errors import error_response
from loyalty.db import connection
from tenants.models import Merchant
from tenants.selectors import merchant_for_host

HEALTH_PATHS = ("/healthz", "/readyz")


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


class MerchantMiddleware(TenantMainMiddleware):
    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        connection.set_schema_to_public()
        hostname = self.hostname_from_request(request).lower()
        if hostname == settings.BASE_DOMAIN:
            request.tenant = connection.tenant  # type: ignore[attr-defined]  # public schema
            self.setup_url_routing(request, force_public=True)
            return None
        merchant = merchant_for_host(hostname)
        if merchant is None:
            return self.no_tenant_found(request, hostname)
        merchant.domain_url = hostname
        request.tenant = merchant  # type: ignore[attr-defined]
        connection.set_tenant(merchant)
        self.setup_url_routing(request)
        if merchant.is_suspended and request.path not in HEALTH_PATHS:
            return self._suspended(request, merchant)
        return None

    def no_tenant_found(self, request: HttpRequest, hostname: str) -> HttpResponse:
        if _wants_json(request):
            return error_response(
                "merchant_not_found", f"No merchant is served at {hostname}.", status=404
            )
        return render(request, "errors/merchant_not_found.html", {"hostname": hostname}, status=404)

    @staticmethod
    def _suspended(request: HttpRequest, merchant: Merchant) -> HttpResponse:
        if _wants_json(request):
            return error_response(
                "merchant_suspended",
                "This merchant's loyalty programme is suspended. Points are kept safe.",
                status=403,
            )
        # Before LocaleMiddleware: the reader's language from their cookie or browser.
        with translation.override(translation.get_language_from_request(request)):
            return render(
                request,
                "errors/merchant_suspended.html",
                {"merchant": merchant, "support_email": settings.PLATFORM_SUPPORT_EMAIL},
                status=403,
            )
