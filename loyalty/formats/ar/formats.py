from django.conf.locale.ar.formats import *  # noqa: F403  (dates as Django writes them)

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
