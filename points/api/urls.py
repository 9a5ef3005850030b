from django.urls import path

from . import views

customer = [
    path("join", views.JoinView.as_view(), name="join"),
    path("membership", views.MembershipView.as_view(), name="membership"),
    path("membership/card", views.CardView.as_view(), name="card"),
    path("membership/card.<str:image_format>", views.CardImageView.as_view(), name="card-image"),
    path("membership/history", views.HistoryView.as_view(), name="history"),
    path("membership/referral", views.ReferralView.as_view(), name="referral"),
]
staff = [
    path("staff/auth/login", views.StaffLoginView.as_view(), name="staff-login"),
    path("staff/auth/refresh", views.StaffRefreshView.as_view(), name="staff-refresh"),
    path("staff/auth/logout", views.StaffLogoutView.as_view(), name="staff-logout"),
    path("staff/scan", views.ScanView.as_view(), name="staff-scan"),
    path("staff/members", views.MemberFindView.as_view(), name="staff-member-find"),
    path(
        "staff/members/<int:pk>/history",
        views.MemberHistoryView.as_view(),
        name="staff-member-history",
    ),
    path("staff/members/<int:pk>/adjust", views.AdjustView.as_view(), name="staff-adjust"),
    path("staff/earn", views.EarnView.as_view(), name="staff-earn"),
    path("staff/entries/<int:pk>/void", views.VoidView.as_view(), name="staff-void"),
]
