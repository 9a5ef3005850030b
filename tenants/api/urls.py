from django.urls import path

from .views import (
    MerchantDetailView,
    MerchantProfileView,
    MerchantSearchView,
    StaffInvitationView,
)

merchant_host = [path("merchant", MerchantProfileView.as_view(), name="merchant-profile")]
root = [
    path("merchants", MerchantSearchView.as_view(), name="merchant-search"),
    path("merchants/<slug:slug>", MerchantDetailView.as_view(), name="merchant-detail"),
]
staff = [
    path("staff/team/invitations", StaffInvitationView.as_view(), name="staff-invitations"),
]
