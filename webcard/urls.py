"""The web card's addresses: `merchant` on a merchant's host, `root` on the root
domain (the customer's memberships everywhere). Both live under /card/, the path of
the sign-in cookie."""

from django.urls import include, path

from . import views

signin = [
    path("signin", views.signin, name="card-signin"),
    path("signin/code", views.signin_code, name="card-signin-code"),
    path("signout", views.signout, name="card-signout"),
]

merchant = [
    path("", views.home, name="card-home"),
    *signin,
    path("", include("applewallet.urls")),
]

root = [path("", views.home, name="card-home"), *signin]
