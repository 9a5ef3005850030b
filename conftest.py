from typing import Any

import pytest

pytest_plugins = ["tests.fixtures", "tests.browser"]


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `last` run after all others (they check what the others left).

    Under pytest-xdist (`--dist loadgroup`), the tests that use the seeded demo
    merchants all run in one worker, so the demo (a minute of seeding) is seeded once."""
    items.sort(key=lambda item: item.get_closest_marker("last") is not None)
    for item in items:
        # Schemathesis names each API operation's test (`test_x[GET /api/v1/...]`) but
        # gives them all one node id; xdist schedules by node id, so each gets its own.
        if not item.nodeid.endswith("::" + item.name):
            from _pytest.nodeid import coerce_node_id

            item._id = coerce_node_id(item.nodeid.rsplit("::", 1)[0] + "::" + item.name)
        if "demo" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("demo"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> object:
    """Keep each phase's report on the test, so fixtures can see whether it failed."""
    outcome: Any = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
