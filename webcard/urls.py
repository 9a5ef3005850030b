"""The web card's addresses: `merchant` on a merchant's host, `root` on the root
domain (the customer's memberships everywhere). Both live under /card/, the path of
the sign-in cookie."""

from django.urls import include, path

from googlewallet import views as googlewallet
from webpush import views as webpush

from . import card, views
from .pages import account, history, inbox, memberships, rewards

signin = [
    path("signin", views.signin, name="card-signin"),
    path("signin/code", views.signin_code, name="card-signin-code"),
    path("signout", views.signout, name="card-signout"),
]

# Beside the card: history, rewards and vouchers, inbox, settings, the hand-off.
pages = [
    path("history", history.history, name="card-history"),
    path("rewards", rewards.rewards, name="card-rewards"),
    path("rewards/<int:pk>/redeem", rewards.redeem, name="card-redeem"),
    path("vouchers", rewards.vouchers, name="card-vouchers"),
    path("vouchers/<int:pk>", rewards.voucher, name="card-voucher"),
    path("vouchers/<int:pk>/qr.svg", rewards.voucher_qr, name="card-voucher-qr"),
    path("vouchers/<int:pk>/state", rewards.voucher_state, name="card-voucher-state"),
    path("vouchers/<int:pk>/cancel", rewards.voucher_cancel, name="card-voucher-cancel"),
    path("inbox", inbox.inbox, name="card-inbox"),
    path("inbox/read-all", inbox.inbox_read_all, name="card-inbox-read-all"),
    path("inbox/<int:pk>", inbox.inbox_item, name="card-inbox-item"),
    path("settings", account.account, name="card-settings"),
    path("settings/notifications", account.preferences, name="card-preferences"),
    path("settings/export", account.export, name="card-export"),
    path("settings/delete", account.delete, name="card-delete"),
    path("settings/signout-all", account.signout_everywhere, name="card-signout-everywhere"),
    path("handoff/<str:token>", memberships.handoff, name="card-handoff"),
]

merchant = [
    path("", card.card, name="card-home"),
    path("join", card.join, name="card-join"),
    path("state", card.state, name="card-state"),
    path("manifest.webmanifest", card.manifest, name="card-manifest"),
    path("icon-<int:size>.png", card.icon, name="card-icon"),
    path("sw.js", card.service_worker, name="card-sw"),
    *signin,
    *pages,
    path("wallet/google", googlewallet.save, name="card-wallet-google"),
    path("push/subscribe", webpush.subscribe, name="card-push-subscribe"),
    path("push/unsubscribe", webpush.unsubscribe, name="card-push-unsubscribe"),
    path("", include("applewallet.urls")),
]

root = [
    path("", memberships.memberships, name="card-home"),
    path("open/<slug:slug>", memberships.open_card, name="card-open"),
    *signin,
]
