from typing import Any

from django.contrib.auth.models import User
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from tenants.roles import can

from .tokens import CustomerPrincipal


class IsCustomer(BasePermission):
    message = "Sign in as a customer."

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.user, CustomerPrincipal)


class StaffCan(BasePermission):
    """Staff of this merchant whose role allows the view's `staff_permission`."""

    message = "Your role does not allow this."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return isinstance(user, User) and user.is_authenticated and can(user, view.staff_permission)
