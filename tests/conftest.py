from __future__ import annotations

from pathlib import Path

import pytest

from tests.dbread import backend, new_target, on_postgres

pytest_plugins = ["tests.radio_fixtures", "tests.e2e"]


def pytest_report_header() -> str:
    return f"storage backend: {backend()} (DISPATCH_TEST_BACKEND)"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not on_postgres():
        return
    skip = pytest.mark.skip(reason="SQLite only: the file itself (backup, bytes on disk, EXPLAIN, locks)")
    for item in items:
        if item.get_closest_marker("sqlite_only"):
            item.add_marker(skip)


@pytest.fixture
def db_target(tmp_path: Path) -> str:
    """A fresh database for one test: a SQLite file in tmp_path, or a new PostgreSQL database."""
    return new_target(tmp_path)
