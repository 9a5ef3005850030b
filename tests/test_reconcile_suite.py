"""Runs last: every merchant the suite committed (its own, the concurrency merchant,
the demo) still reconciles."""

import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.django_db, pytest.mark.last]


def test_reconcile_is_clean_after_the_whole_suite(demo, busy_merchant, capsys) -> None:
    call_command("reconcile")
    out = capsys.readouterr().out
    assert "All" in out and "merchants reconcile." in out
    assert "cafe-aroma" in out and "busy-bakery" in out
