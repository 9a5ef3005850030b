"""Production: everything from the environment, HTTPS only.

Passes `manage.py check --deploy` (a test proves it).
"""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
DEMO_MODE = False
# Connections: the web server sets DATABASE_POOL_SIZE to its threads per process, so web
# holds workers x threads connections; a Celery worker one per prefork child. Their sum,
# over every container, stays under PostgreSQL's max_connections (README, "Connection
# budget"; docker-compose.yml shows the sums).
SECRET_KEY = env("DJANGO_SECRET_KEY")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# Load balancers probe health over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CARD_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
