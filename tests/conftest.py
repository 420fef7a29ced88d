from __future__ import annotations

pytest_plugins = ["tests.radio_fixtures", "tests.e2e"]
