"""URLs of a merchant host (`<slug>.<BASE_DOMAIN>`)."""

from django.conf import settings
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from dashboard import views as dashboard_views
from dashboard.views import InviteView
from loyalty import health, views
from loyalty.admin_sites import merchant_site
from loyalty.api import schema as _schema_extensions  # noqa: F401  (auth schemes)
from notifications.api import urls as notifications_api
from points.api import urls as points_api
from rewards.api import urls as rewards_api
from tenants import signup
from tenants.api import urls as tenants_api
from webcard import urls as webcard_urls

api_v1 = [
    *tenants_api.merchant_host,
    *points_api.customer,
    *rewards_api.customer,
    *notifications_api.customer,
    *points_api.staff,
    *rewards_api.staff,
    *tenants_api.staff,
]

urlpatterns = [
    path("", views.merchant_home, name="merchant-home"),
    path("join/<str:code>", views.join_landing, name="join"),
    path("card/", include(webcard_urls.merchant)),
    path("healthz", health.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("readyz", health.readyz, name="readyz"),
    path("admin/welcome/<str:token>/", signup.welcome, name="welcome"),
    path("admin/invite/<uidb64>/<token>/", InviteView.as_view(), name="staff-invite"),
    # "Forgot password?" (the name admin_password_reset puts the link on the sign-in page)
    path(
        "admin/password_reset/",
        dashboard_views.StaffPasswordResetView.as_view(),
        name="admin_password_reset",
    ),
    path(
        "admin/password_reset/done/",
        dashboard_views.StaffPasswordResetDoneView.as_view(),
        name="staff-password-reset-done",
    ),
    path(
        "admin/reset/<uidb64>/<token>/",
        dashboard_views.StaffPasswordResetConfirmView.as_view(),
        name="staff-password-reset-confirm",
    ),
    path(
        "admin/reset/done/",
        dashboard_views.StaffPasswordResetCompleteView.as_view(),
        name="staff-password-reset-complete",
    ),
    path("admin/", merchant_site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="v1")),
    path("api/schema/", SpectacularAPIView.as_view(urlconf="loyalty.urls_tenant"), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    re_path(r"^api/(?P<rest>.*)$", views.api_not_found),
]

if settings.DEBUG:
    urlpatterns.append(re_path(r"^media/(?P<path>.+)$", views.media, name="media"))

handler404 = "loyalty.views.not_found"
handler403 = "loyalty.views.permission_denied"
