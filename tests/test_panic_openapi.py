"""The panic endpoint against its own OpenAPI document, property-based with schemathesis (Hypothesis).

schemathesis draws bodies from the document's request schema, valid and invalid, with and without the
token, and checks each response: a documented status, never a 500, a body and headers matching the
document, invalid data refused. Bounded to MAX_EXAMPLES so the run takes seconds."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.panic_support import TOKEN_A, panic_api
from web.openapi import document

MAX_EXAMPLES = 50
STATUSES: set[int] = set()
SCHEMA = schemathesis.openapi.from_dict(document())


class ServerThread:
    """The web edge on its own event loop in a thread, so the sync property run can drive it."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.stop: asyncio.Event | None = None
        self.base_url = ""
        self.thread = threading.Thread(
            target=self.loop.run_until_complete, args=(self._serve(),), daemon=True
        )

    async def _serve(self) -> None:
        self.stop = asyncio.Event()
        # Limits high enough that the run explores bodies rather than 429s (429s are tested elsewhere).
        async with panic_api(self.tmp_path, per_app=100_000, per_phone=100_000) as api:
            self.base_url = str(api.client.base_url).rstrip("/")
            self.ready.set()
            await self.stop.wait()

    def __enter__(self) -> ServerThread:
        self.thread.start()
        assert self.ready.wait(20), "server did not start"
        return self

    def __exit__(self, *_exc: object) -> None:
        assert self.stop is not None
        self.loop.call_soon_threadsafe(self.stop.set)
        self.thread.join(20)
        self.loop.close()


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with ServerThread(tmp_path_factory.mktemp("openapi")) as server:
        yield server.base_url


def test_the_served_document_is_the_one_checked(base_url: str) -> None:
    served = httpx.get(f"{base_url}/api/v1/openapi.json", timeout=10).json()
    assert served == document()
    assert served["openapi"] == "3.1.0"
    assert "500" not in served["paths"]["/panic"]["post"]["responses"]


@SCHEMA.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_the_endpoint_keeps_to_its_document(case: schemathesis.Case, base_url: str) -> None:
    # A body the schema allows may still be refused with 422: the schema cannot tell whether a string
    # of 6 to 32 characters is a phone number (the document says so), hence no positive_data_acceptance.
    response = case.call_and_validate(base_url=f"{base_url}/api/v1", headers={"Authorization": f"Bearer {TOKEN_A}"},
                                      excluded_checks=[positive_data_acceptance])  # fmt: skip
    if case.method.upper() != "POST":  # schemathesis also probes methods the path does not have
        assert response.status_code == 405
        return
    assert response.status_code in (202, 401, 413, 422, 429, 503)
    STATUSES.add(response.status_code)


def test_the_run_saw_both_acceptance_and_refusal() -> None:
    """The property run above must not pass by only ever meeting one branch (runs after it: same module)."""
    assert {202, 401, 422} <= STATUSES, STATUSES
