"""The runner behind `make test` (tests/suites.py): a pass that prints a failure fails the run."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests import suites


@pytest.fixture(autouse=True)
def _own_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(suites, "RUN_DIR", tmp_path)


def _fake_pass(text: str, code: int) -> tuple[list[str], dict[str, str]]:
    script = f"import sys; print({text!r}); sys.exit({code})"
    return [sys.executable, "-c", script], {}


@pytest.mark.parametrize("backends", [["sqlite"], ["sqlite", "postgresql"]])
def test_a_printed_failure_fails_the_run_even_with_exit_status_0(monkeypatch: pytest.MonkeyPatch,
                                                                 backends: list[str]) -> None:  # fmt: skip
    lines = {"sqlite": "1 passed", "postgresql": "1 passed"}
    lines[backends[-1]] = "FAILED tests/test_x.py::test_y - AssertionError\n1 passed"
    monkeypatch.setattr(suites, "_command", lambda backend, extra: _fake_pass(lines[backend], 0))
    assert suites.main(backends) == 1


def test_passes_that_print_no_failure_and_exit_0_are_ok(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(suites, "_command", lambda backend, extra: _fake_pass("2 passed", 0))
    assert suites.main(["sqlite", "postgresql"]) == 0


def test_an_exit_status_alone_fails_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    codes = {"sqlite": 0, "postgresql": 2}
    monkeypatch.setattr(suites, "_command", lambda backend, extra: _fake_pass("interrupted", codes[backend]))
    assert suites.main(["sqlite", "postgresql"]) == 2
