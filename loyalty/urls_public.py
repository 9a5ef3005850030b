"""URLs of the root domain: the platform."""

from django.conf import settings
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from billing.webhook import stripe_webhook
from customers.api import urls as customers_api
from loyalty import health, views
from loyalty.admin_sites import platform_site
from loyalty.api import schema as _schema_extensions  # noqa: F401  (auth schemes)
from tenants import signup
from tenants.api import urls as tenants_api
from webcard import urls as webcard_urls

urlpatterns = [
    path("", views.landing, name="landing"),
    path("signup/", signup.signup, name="signup"),
    path("signup/check", signup.slug_check, name="signup-check"),
    path("signup/verify/<str:token>/", signup.email_verify, name="signup-verify"),
    path("card/", include(webcard_urls.root)),
    path("healthz", health.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("readyz", health.readyz, name="readyz"),
    path("stripe/webhook/", stripe_webhook, name="stripe-webhook"),
    path("admin/", platform_site.urls),
    path("api/v1/", include(([*customers_api.root, *tenants_api.root], "api"), namespace="v1")),
    path("api/schema/", SpectacularAPIView.as_view(urlconf="loyalty.urls_public"), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    re_path(r"^api/(?P<rest>.*)$", views.api_not_found),
]

if settings.DEBUG:
    urlpatterns.append(re_path(r"^media/(?P<path>.+)$", views.media, name="media"))

handler404 = "loyalty.views.not_found"
handler403 = "loyalty.views.permission_denied"
