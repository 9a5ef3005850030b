"""Under /card/ on a merchant's host (webcard.urls includes these)."""

from django.urls import path

from . import views

SERVICE = "wallet/apple/v1/"
urlpatterns = [
    path("wallet/apple.pkpass", views.pkpass_download, name="card-wallet-apple"),
    path(
        SERVICE + "devices/<str:device_library_id>/registrations/<str:pass_type_id>"
        "/<str:serial_number>",
        views.registration,
        name="applewallet-registration",
    ),
    path(
        SERVICE + "devices/<str:device_library_id>/registrations/<str:pass_type_id>",
        views.registrations,
        name="applewallet-registrations",
    ),
    path(
        SERVICE + "passes/<str:pass_type_id>/<str:serial_number>",
        views.latest_pass,
        name="applewallet-pass",
    ),
    path(SERVICE + "log", views.device_log, name="applewallet-log"),
]
