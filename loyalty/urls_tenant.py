"""URLs of a merchant host (`<slug>.<BASE_DOMAIN>`)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from loyalty import health, views
from loyalty.admin_sites import merchant_site

api_v1 = [
    path("", include("tenants.api.urls")),
]

urlpatterns = [
    path("", views.merchant_home, name="merchant-home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", merchant_site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="v1")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]

handler404 = "loyalty.views.not_found"
