from __future__ import annotations

from pathlib import Path

import pytest

from tests.dbread import backend, new_target, on_postgres, stop_cluster

pytest_plugins = ["tests.radio_fixtures", "tests.e2e"]


def pytest_report_header() -> str:
    return f"storage backend: {backend()} (DISPATCH_TEST_BACKEND)"


# Test modules that never open the product's database run once, in the SQLite pass: the pure domain,
# the fake Bot API, the radio's and voice's pure parts, and the sandbox (SQLite by design). Everything
# else, new files included, runs on both backends.
_ONCE = (
    "test_routing_", "test_architecture", "test_botapi_server", "test_sandbox_", "test_radio_link",
    "test_radio_pacing", "test_radio_secrets", "test_radio_speech", "test_radio_wording", "test_throttle",
    "test_voice_segmenter", "test_web_limits", "test_panic_settings", "test_deploy", "test_reports_stats",
    # PostgreSQL whatever the pass (the lease exists only there): once is enough.
    "test_lease", "test_standby", "test_e2e_standby",
)  # fmt: skip


def _opens_database(item: pytest.Item) -> bool:
    return not Path(str(item.fspath)).name.startswith(_ONCE)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    stop_cluster()  # this process's PostgreSQL for the tests, if it started one


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not on_postgres():
        return
    skip = pytest.mark.skip(reason="SQLite only: the file itself (backup, bytes on disk, EXPLAIN, locks)")
    kept, once = [], []
    for item in items:
        (kept if _opens_database(item) else once).append(item)
        if item.get_closest_marker("sqlite_only"):
            item.add_marker(skip)
    if once:
        config.hook.pytest_deselected(items=once)
        items[:] = kept


@pytest.fixture
def db_target(tmp_path: Path) -> str:
    """A fresh database for one test: a SQLite file in tmp_path, or a new PostgreSQL database."""
    return new_target(tmp_path)
