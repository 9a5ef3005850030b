"""The smallest honest earn endpoint: the floor the full earn is compared with.

    gunicorn bench.httpload.minimal:application   (bench/httpload/server.py starts it)

One Django view, DEBUG off, no middleware, no authentication, no tenant: parse the JSON
body, then in one transaction lock the member's balance row, update it and insert a
history row (5 statements with BEGIN and COMMIT), and answer 201 with the new balance.
The same database (tables in a schema `minimal` of the bench's database, made by
`fixture.minimal_tables_create`), the same pool of connections (DATABASE_POOL_SIZE), the
same prepared statements and the same gunicorn configuration as the full app.
"""

import json
import os
from decimal import Decimal

import environ
from django.core.wsgi import get_wsgi_application
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

os.environ["DJANGO_SETTINGS_MODULE"] = __name__

DEBUG = False
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "bench-minimal")
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = __name__
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
USE_TZ = True
DATABASES = {
    "default": environ.Env.db_url_config(os.environ.get("DATABASE_URL", "postgres://localhost/x"))
}
DATABASES["default"].update(
    {"ENGINE": "django.db.backends.postgresql", "CONN_HEALTH_CHECKS": True, "CONN_MAX_AGE": 0}
)
# As loyalty/settings/base.py binds parameters on the server, prepares a statement run
# DATABASE_PREPARE_THRESHOLD times, and pools the full app's connections (without
# django-tenants' search_path reset: there is no tenant here).
_prepare_threshold = int(os.environ.get("DATABASE_PREPARE_THRESHOLD", "5"))
DATABASES["default"].setdefault("OPTIONS", {}).update(
    {
        "server_side_binding": True,
        "prepare_threshold": _prepare_threshold if _prepare_threshold >= 0 else None,
    }
)
DATABASES["default"]["OPTIONS"]["pool"] = {
    "min_size": 1,
    "max_size": int(os.environ.get("DATABASE_POOL_SIZE", "4")),
    "timeout": 10,
}


def _json(data: dict, status: int) -> HttpResponse:
    response = JsonResponse(data, status=status)
    response["Content-Length"] = str(len(response.content))
    return response


@csrf_exempt
def earn(request: HttpRequest) -> HttpResponse:
    data = json.loads(request.body)
    member = int(data["member_id"])
    amount = Decimal(data["amount"])
    points = int(amount * 10)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT points FROM minimal.balance WHERE id = %s FOR UPDATE", [member])
        row = cursor.fetchone()
        if row is None:
            return _json({"code": "member_not_found"}, 404)
        balance = row[0] + points
        cursor.execute(
            "UPDATE minimal.balance SET points = %s, updated_at = now() WHERE id = %s",
            [balance, member],
        )
        cursor.execute(
            "INSERT INTO minimal.history (balance_id, points, amount, balance_after, created_at)"
            " VALUES (%s, %s, %s, %s, now()) RETURNING id",
            [member, points, amount, balance],
        )
        entry = cursor.fetchone()[0]
    return _json({"entry": entry, "points": points, "balance": balance}, 201)


def healthz(request: HttpRequest) -> HttpResponse:
    return _json({"ok": True}, 200)


urlpatterns = [path("earn", earn), path("healthz", healthz)]

application = get_wsgi_application()
