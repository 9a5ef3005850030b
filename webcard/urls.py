"""The web card's addresses: `merchant` on a merchant's host, `root` on the root
domain (the customer's memberships everywhere). Both live under /card/, the path of
the sign-in cookie."""

from django.urls import path

from . import card, views

signin = [
    path("signin", views.signin, name="card-signin"),
    path("signin/code", views.signin_code, name="card-signin-code"),
    path("signout", views.signout, name="card-signout"),
]

merchant = [
    path("", card.card, name="card-home"),
    path("join", card.join, name="card-join"),
    path("state", card.state, name="card-state"),
    path("manifest.webmanifest", card.manifest, name="card-manifest"),
    path("icon-<int:size>.png", card.icon, name="card-icon"),
    path("sw.js", card.service_worker, name="card-sw"),
    *signin,
]

root = [path("", views.home, name="card-home"), *signin]
