"""Development on one machine (`make run`)."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
DEMO_MODE = env.bool("DEMO_MODE", default=True)
