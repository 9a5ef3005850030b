import pytest

pytest_plugins = ["tests.fixtures"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `last` run after all others (they check what the others left)."""
    items.sort(key=lambda item: item.get_closest_marker("last") is not None)
