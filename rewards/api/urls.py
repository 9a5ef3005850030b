from django.urls import path

from . import views

customer = [
    path("rewards", views.RewardsView.as_view(), name="rewards"),
    path("rewards/<int:pk>", views.RewardView.as_view(), name="reward"),
    path("rewards/<int:pk>/redeem", views.RedeemView.as_view(), name="redeem"),
    path("redemptions", views.MyRedemptionsView.as_view(), name="redemptions"),
    path("redemptions/<int:pk>", views.MyRedemptionView.as_view(), name="redemption"),
    path(
        "redemptions/<int:pk>/qr.<str:image_format>",
        views.MyRedemptionQrView.as_view(),
        name="redemption-qr",
    ),
    path("redemptions/<int:pk>/cancel", views.CancelView.as_view(), name="redemption-cancel"),
]
staff = [
    path("staff/redemptions", views.QueueView.as_view(), name="staff-redemptions"),
    path("staff/vouchers/verify", views.VerifyView.as_view(), name="staff-verify"),
    path("staff/redemptions/<int:pk>/approve", views.ApproveView.as_view(), name="staff-approve"),
    path("staff/redemptions/<int:pk>/reject", views.RejectView.as_view(), name="staff-reject"),
    path("staff/redemptions/<int:pk>/use", views.UseView.as_view(), name="staff-use"),
]
