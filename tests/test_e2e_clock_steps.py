"""Wall clock steps end to end: python run.py with its wall clock moved through the test-only offset file
(bot/testclock.py); the P1 deadline keeps its real length both ways, and the step is logged and audited."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from tests.e2e import DAMKAR, SUPERVISORS_GROUP, World, make_world
from tests.test_e2e_dispatch import ONE_LINE, db_rows

DEADLINES = "[escalation]\nack_p1 = 4\nalert_p1 = 9\n"


async def world_with_offset(tmp_path: Path) -> AsyncIterator[tuple[World, Path]]:
    offset = tmp_path / "wall-offset"
    offset.write_text("0")
    env = {"DISPATCH_TESTONLY_WALL_OFFSET_FILE": str(offset)}
    async for world in make_world(tmp_path, extra=DEADLINES, env=env):
        yield world, offset


async def _step_after_the_card(tmp_path: Path, seconds: float) -> None:
    async for world, offset in world_with_offset(tmp_path):
        api = world.api
        api.send_text(world.call_taker, world.call_taker, ONE_LINE)
        card = await api.wait_message(DAMKAR, "#1")
        offset.write_text(str(seconds))
        repeat = await api.wait_message(DAMKAR, "ULANG", timeout=20)  # 604 s late without the watch
        waited = repeat.accepted_at - card.accepted_at
        assert 3.0 <= waited <= 12.0, waited  # ack_p1 = 4 s of real time, whatever the wall clock did
        alert = await api.wait_message(SUPERVISORS_GROUP, "#1", timeout=20)
        assert alert.accepted_at - card.accepted_at >= 7.0  # alert_p1 = 9 s: not fired with the repeat
        steps = db_rows(world, "SELECT json_extract(data, '$.step') FROM events WHERE kind = 'clock_step'")
        assert len(steps) == 1 and abs(float(steps[0][0]) - seconds) < 2  # type: ignore[arg-type]
        assert "wall clock stepped" in world.bot.output()


async def test_a_step_forward_fires_no_escalation_early(tmp_path: Path) -> None:
    await _step_after_the_card(tmp_path, 3600)


async def test_a_step_back_does_not_stretch_the_p1_deadline(tmp_path: Path) -> None:
    await _step_after_the_card(tmp_path, -600)
