"""The web card's addresses: `merchant` on a merchant's host, `root` on the root
domain (the customer's memberships everywhere). Both live under /card/, the path of
the sign-in cookie."""

from django.urls import path

from webpush import views as webpush

from . import views

signin = [
    path("signin", views.signin, name="card-signin"),
    path("signin/code", views.signin_code, name="card-signin-code"),
    path("signout", views.signout, name="card-signout"),
]

merchant = [path("", views.home, name="card-home"), *signin]
merchant += [
    path("push/subscribe", webpush.subscribe, name="card-push-subscribe"),
    path("push/unsubscribe", webpush.unsubscribe, name="card-push-unsubscribe"),
]

root = [path("", views.home, name="card-home"), *signin]
