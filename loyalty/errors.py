"""Domain errors: a refusal by a business rule, with a stable code an app can switch on.

Services raise them; the API maps them to `{"error": {"code", "message", "fields"}}` with
the status below, and dashboards show the message. A service that raises has written
nothing: every one runs in a transaction.
"""

from typing import Any


class DomainError(Exception):
    status = 400

    def __init__(self, code: str, message: str, *, fields: dict[str, Any] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields or {}


class NotFound(DomainError):
    status = 404


class NotAllowed(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409
