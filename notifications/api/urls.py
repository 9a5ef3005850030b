from django.urls import path

from . import views

customer = [
    path("membership/inbox", views.InboxView.as_view(), name="inbox"),
    path("membership/inbox/unread-count", views.UnreadCountView.as_view(), name="inbox-unread"),
    path("membership/inbox/read-all", views.ReadAllView.as_view(), name="inbox-read-all"),
    path("membership/inbox/<int:pk>/read", views.ReadView.as_view(), name="inbox-read"),
]
