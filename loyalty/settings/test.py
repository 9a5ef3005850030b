"""The test suite (`make test`): real PostgreSQL and Redis, faster password hashing."""

import os

from .base import *  # noqa: F403
from .base import CACHES, env

DEBUG = False
DEMO_MODE = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# A prefix of its own so a test run never reads keys another run (or `make run`) wrote;
# under pytest-xdist each worker process (and the Celery workers it starts, which
# inherit its environment) has its own, since each has its own database.
CACHES["default"]["KEY_PREFIX"] = env("CACHE_KEY_PREFIX", default="loyalty-test") + os.environ.get(
    "PYTEST_XDIST_WORKER", ""
)
CACHES["platform"]["KEY_PREFIX"] = CACHES["default"]["KEY_PREFIX"] + "-platform"
STORAGES = {
    "default": {"BACKEND": "django_tenants.files.storage.TenantFileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CELERY_TASK_ALWAYS_EAGER = False
# No quiet hours, so a marketing test gives the same result at any time of day (the
# quiet-hours tests set their own).
QUIET_HOURS_START = QUIET_HOURS_END = 0
# Serve static files from the apps' folders, as in development: no collectstatic needed.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

# `make test TEST_NOW=2027-02-28T23:30:00+03:00`: the whole run, and every process it
# starts on these settings (Celery workers), lives at that instant with the clock
# running on from it. It shows a test that depends on today's date; tests whose
# outcome depends on the date freeze their own clock on top of it (README, "Tests").
# The first process notes when its clock was moved (TEST_CLOCK_ORIGIN, inherited by
# the processes it starts), so a worker started minutes later shares its clock.
TEST_NOW = env("TEST_NOW", default="")
if TEST_NOW:
    import datetime as _datetime
    import os as _os
    import time as _time

    import time_machine as _time_machine

    _real = _time.time()
    _origin = float(_os.environ.setdefault("TEST_CLOCK_ORIGIN", repr(_real)))
    _now = _datetime.datetime.fromisoformat(TEST_NOW) + _datetime.timedelta(seconds=_real - _origin)
    _time_machine.travel(_now, tick=True).start()
