from django.urls import path

from points.api.views import MyMembershipsView

from . import views

root = [
    path("auth/otp/request", views.OtpRequestView.as_view(), name="otp-request"),
    path("auth/otp/verify", views.OtpVerifyView.as_view(), name="otp-verify"),
    path("auth/token/refresh", views.TokenRefreshView.as_view(), name="token-refresh"),
    path("auth/logout", views.LogoutView.as_view(), name="logout"),
    path("me", views.ProfileView.as_view(), name="me"),
    path("me/export", views.ExportView.as_view(), name="me-export"),
    path("me/phone", views.PhoneChangeRequestView.as_view(), name="me-phone"),
    path("me/phone/confirm", views.PhoneChangeConfirmView.as_view(), name="me-phone-confirm"),
    path("me/notification-preferences", views.PreferencesView.as_view(), name="me-preferences"),
    path("me/devices", views.DevicesView.as_view(), name="me-devices"),
    path("me/devices/<int:pk>", views.DeviceView.as_view(), name="me-device"),
    path("me/memberships", MyMembershipsView.as_view(), name="me-memberships"),
]
