from django.urls import path

from .views import MerchantProfileView

urlpatterns = [
    path("merchant", MerchantProfileView.as_view(), name="merchant-profile"),
]
