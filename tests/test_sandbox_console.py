"""The sandbox console in a real headless browser (Debian's chromium driven by Playwright), against
`python run.py` started without a token: the bot, the fake Telegram and murmurd all real."""

from __future__ import annotations

import asyncio
import json
import os
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.async_api import Locator, Page, Request, Route, async_playwright, expect

from tests.sandbox_support import ROOT, running_sandbox

pytestmark = [pytest.mark.e2e, pytest.mark.radio]
CHROMIUM = "/usr/bin/chromium"
RINA, CALL_TAKERS, SUPERVISORS = 1001, -1001000000001, -1001000000002
ONE_LINE = "/baru kebakaran | Sentul | Jl. Kenari 17 | 081234567890 | Rumah terbakar"


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read()  # type: ignore[no-any-return]


def read_json(path: Path) -> dict:  # type: ignore[type-arg]
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def state(url: str) -> dict:  # type: ignore[type-arg]
    return json.loads(fetch(f"{url}/api/state"))  # type: ignore[no-any-return]


def pane(page: Page, chat_id: int):  # type: ignore[no-untyped-def]
    return page.locator(f'.pane[data-pane="{chat_id}"]')


async def say(page: Page, chat_id: int, text: str) -> None:
    box = pane(page, chat_id).locator("input[name=text]")
    await box.fill(text)
    await box.press("Enter")


HAS_CHROMIUM = Path(CHROMIUM).exists()


async def posts_in_order(page: Page) -> list[str]:
    """Each POST the console makes, as "start tap" when sent and "end tap" when answered."""
    seen: list[str] = []

    def note(edge: str) -> Callable[[Request], None]:
        def add(request: Request) -> None:
            if request.method == "POST" and "/api/" in request.url:
                seen.append(f"{edge} {request.url.rsplit('/', 1)[-1]}")

        return add

    page.on("request", note("start"))
    page.on("requestfinished", note("end"))
    return seen


async def held(route: Route) -> None:
    await asyncio.sleep(0.3)  # a slow network, not a wait for the bot
    await route.continue_()


def post(url: str, body: dict) -> dict:  # type: ignore[type-arg]
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


async def click_across_a_render(page: Page, target: Locator, url: str, by: int, chat_id: int) -> None:
    """Press on `target`, let a new message from `by` in `chat_id` re-render the console, then release: a
    trainee's click takes about 100 ms, and events come faster than that in a busy sandbox (a CI run lost
    a click on the chat list so)."""
    box = await target.bounding_box()
    assert box is not None
    await page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    await page.mouse.down()
    text = f"pantau {chat_id}"
    post(f"{url}/api/send", {"user_id": by, "chat_id": chat_id, "text": text})
    shown = "([id, t]) => S.chats.find((c) => c.id === id).messages.some((m) => m.html.includes(t))"
    await page.wait_for_function(shown, arg=[chat_id, text])  # load() renders as soon as it has the state
    await page.mouse.up()


async def test_console_dispatch_tap_location_audio_and_outage(tmp_path: Path) -> None:
    if not HAS_CHROMIUM:
        pytest.fail("chromium not installed: make sysdeps (apt-get install chromium)")
    async with running_sandbox() as sandbox, async_playwright() as p:
        assert sandbox.ready_after < 30
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = await browser.new_page(viewport={"width": 1500, "height": 900})
        await page.goto(sandbox.url + "/")
        await expect(page.locator(".badge")).to_have_text("LATIHAN")

        # The call taker sends a one-line /baru in her private chat.
        await page.select_option("#actor", str(RINA))
        await expect(pane(page, RINA)).to_be_visible()
        await say(page, RINA, ONE_LINE)
        await expect(pane(page, RINA)).to_contain_text("Kebakaran tercatat", timeout=15_000)

        # The card in the damkar group, marked LATIHAN; act as a damkar member and tap Terima.
        damkar = next(c for c in state(sandbox.url)["chats"] if c["agency"] == "damkar")
        item = page.locator(f'.chat-item[data-chat="{damkar["id"]}"]')
        await expect(item.locator(".unread")).to_have_text("1")
        sari = next(p["id"] for p in state(sandbox.url)["people"] if p["role"] == "supervisor")
        await click_across_a_render(page, item, sandbox.url, sari, SUPERVISORS)  # the list re-rendered
        card = pane(page, damkar["id"]).locator(".msg").last
        await expect(card).to_contain_text("KEBAKARAN")
        card = pane(page, damkar["id"]).locator(f'.msg[data-id="{await card.get_attribute("data-id")}"]')
        await expect(card).to_contain_text("LATIHAN")
        assert await page.locator("#actor").input_value() == str(damkar["members"][0])
        # The tap, while a colleague's message arrives in the same chat (its pane re-rendered).
        terima = card.get_by_role("button", name="Terima")
        await click_across_a_render(page, terima, sandbox.url, damkar["members"][1], damkar["id"])
        await expect(card).to_contain_text("Diterima", timeout=15_000)
        await expect(card.locator(".meta")).to_contain_text("diubah")
        await expect(card.get_by_role("button", name="Terima")).to_have_count(0)

        # The call taker is told (in the call takers' group, where the call takers work).
        await page.locator(f'.chat-item[data-chat="{CALL_TAKERS}"]').click()
        await expect(pane(page, CALL_TAKERS)).to_contain_text("Damkar menerima #1", timeout=15_000)

        # A Polres member taps Tolak: the bot's force-reply prompt sets the reply; the reason is typed.
        polres = next(c for c in state(sandbox.url)["chats"] if c["agency"] == "polres")
        await page.locator(f'.chat-item[data-chat="{polres["id"]}"]').click()
        polres_card = pane(page, polres["id"]).locator(".msg").first
        await polres_card.get_by_role("button", name="Tolak").click()
        await expect(pane(page, polres["id"]).locator(".msg .force")).to_have_count(1, timeout=15_000)
        await expect(pane(page, polres["id"]).locator(".replying")).to_be_visible()
        await say(page, polres["id"], "Semua unit sedang di lokasi lain")
        await expect(polres_card).to_contain_text("Ditolak", timeout=15_000)
        await expect(polres_card).to_contain_text("Semua unit sedang di lokasi lain")
        await expect(pane(page, CALL_TAKERS)).to_contain_text("Polres menolak #1", timeout=15_000)
        # The README's picture: rewritten only when asked (UPDATE_DOCS=1), so a test run leaves the tree clean.
        shot = ROOT / "docs" / "console.png" if os.environ.get("UPDATE_DOCS") else tmp_path / "console.png"
        await page.screenshot(path=str(shot))
        assert shot.stat().st_size > 10_000

        # A supervisor asks for the day's report: the chart arrives as a photo.
        await page.locator(f'.chat-item[data-chat="{SUPERVISORS}"]').click()
        await say(page, SUPERVISORS, "/laporan hari")
        chart = pane(page, SUPERVISORS).locator(".msg img")
        await expect(chart).to_have_count(1, timeout=30_000)
        assert (
            await chart.evaluate(
                "img => img.complete ? img.naturalWidth : new Promise(r => img.onload = () => r(img.naturalWidth))"
            )
            > 100
        )

        # The guided form, with the pin shared by picking a kelurahan from the list.
        await page.locator(f'.chat-item[data-chat="{RINA}"]').click()
        await page.select_option("#actor", str(RINA))
        rina = pane(page, RINA)
        await say(page, RINA, "/baru")
        # Typed ahead, as a quick call taker does, with each tap held 0.3 s on its way: the address
        # must still reach the bot after the tap on the kelurahan (the console sends one at a time).
        posts = await posts_in_order(page)
        await page.route("**/api/tap", held)
        for choice in ("Pohon Tumbang", "Sukorejo", "Tlumpu"):
            await rina.locator(".msg").last.get_by_role("button", name=choice, exact=True).click()
        for answer in ("Jl. Mastrip 5", "-", "Pohon tumbang menutup jalan"):
            await say(page, RINA, answer)
        await expect(rina.locator(".msg").last).to_contain_text("lokasi (pin)", timeout=15_000)
        await page.unroute("**/api/tap", held)
        assert posts[-12:] == [
            f"{edge} {path}" for path in ["tap"] * 3 + ["send"] * 3 for edge in ("start", "end")
        ]
        await rina.locator("details.loc summary").click()
        await rina.locator("select[name=kel]").select_option(label="Tlumpu (Sukorejo)")
        await rina.get_by_role("button", name="Kirim lokasi").click()
        await expect(rina.locator(".msg").last).to_contain_text("Pin lokasi: ", timeout=15_000)
        await expect(rina.locator(".msg").last).not_to_contain_text("Pin lokasi: -")
        await expect(rina.locator(".msg").last.locator(".body")).to_contain_text("Tlumpu")

        # The spoken announcement of #1 is playable: a WAV source of non-zero duration.
        await page.locator('[data-radio-tab="Dispatch"]').click()
        audio = page.locator("#radio-feed audio").first
        await expect(audio).to_have_count(1, timeout=40_000)
        duration = await audio.evaluate(
            "a => a.readyState >= 1 ? a.duration : new Promise(r => a.addEventListener('loadedmetadata', () => r(a.duration)))"
        )
        assert duration > 1.0

        # Bot API outage: the bot's polls are refused and the command waits; once it ends, it is answered.
        await page.get_by_role("button", name="Bot API mati").click()
        await expect(page.get_by_role("button", name="Bot API pulihkan")).to_be_visible()
        refused_before = state(sandbox.url)["faults"]["refused"]
        await say(page, RINA, "/aktif")
        await expect(rina.locator(".msg").last).to_contain_text("/aktif")
        shown = "Number((document.querySelector('#refused').textContent.match(/(\\d+)$/) || [0, 0])[1])"
        await page.wait_for_function(f"() => {shown} >= {refused_before + 2}", timeout=30_000)
        await expect(rina.locator(".msg").last).to_contain_text("/aktif")  # still unanswered
        await page.get_by_role("button", name="Bot API pulihkan").click()
        await expect(rina.locator(".msg").last).not_to_contain_text("/aktif", timeout=30_000)
        await expect(rina.locator(".msg").last).to_contain_text("#1")
        await browser.close()

        # The session's transcript, for a trainer's debrief.
        markdown = fetch(f"{sandbox.url}/api/transcript.md").decode()
        assert markdown.startswith("# Transkrip latihan") and "LATIHAN" in markdown
        assert "Damkar menerima #1" in markdown and "Semua unit sedang di lokasi lain" in markdown
        assert "## Radio (Mumble)" in markdown and "Bot API mati" in markdown
        transcript = json.loads(fetch(f"{sandbox.url}/api/transcript.json"))
        assert transcript["latihan"] is True and any(p.get("audio_seconds") for p in transcript["radio"])


def write_scenario(path: Path) -> Path:
    path.write_text(
        '[scenario]\ntitle = "Uji prank"\nends_after = 1\n'
        '[[call]]\nid = "p"\nat = 1\nphone = "085645001122"\ncaller = "anak-anak"\n'
        'says = "Halo pak polisi... hahaha"\nkind = "prank"\n',
        encoding="utf-8",
    )
    return path


async def test_a_trainee_answers_a_scenario_call_in_the_console_and_sees_the_score(tmp_path: Path) -> None:
    scenario = write_scenario(tmp_path / "latihan.toml")
    async with running_sandbox("--scenario", str(scenario)) as sandbox, async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = await browser.new_page(viewport={"width": 1500, "height": 900})
        await page.goto(sandbox.url + "/")
        call = page.locator('#scenario [data-call="p"]')
        await expect(call).to_contain_text("085645001122", timeout=15_000)
        await expect(call).to_contain_text("Halo pak polisi")
        await say(page, RINA, "/prank 085645001122")
        await expect(call).to_contain_text("Nilai: 100/100", timeout=20_000)
        await expect(page.locator("#scenario")).to_contain_text("Total: 100/100")
        await browser.close()
        score = read_json(sandbox.workdir / "var" / "sandbox-skor-latihan.json")
        assert score["total"]["points"] == 100 and score["calls"][0]["outcome"]["logged_as"] == "prank"


async def test_the_fault_buttons_show_what_breaks() -> None:
    async with running_sandbox() as sandbox, async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = await browser.new_page(viewport={"width": 1500, "height": 900})
        await page.goto(sandbox.url + "/")
        chats = state(sandbox.url)["chats"]
        damkar = next(c["id"] for c in chats if c["agency"] == "damkar")
        polres = next(c["id"] for c in chats if c["agency"] == "polres")

        # Damkar's group becomes a supergroup: the service message, and the new chat in the list.
        await page.locator(f'.chat-item[data-chat="{damkar}"]').click()
        await page.get_by_role("button", name="Grup jadi supergrup").click()
        await expect(pane(page, damkar)).to_contain_text("ditingkatkan menjadi supergrup", timeout=10_000)
        new_id = state(sandbox.url)["faults"]["migrated"][str(damkar)]
        await expect(page.locator(f'.chat-item[data-chat="{new_id}"]')).to_have_count(1)

        # The bot is removed from Polres's group: crossed out in the list.
        await page.locator(f'.chat-item[data-chat="{polres}"]').click()
        await page.get_by_role("button", name="Keluarkan bot dari grup").click()
        await expect(page.locator(f'.chat-item.left[data-chat="{polres}"]')).to_have_count(1, timeout=10_000)

        # The radio server stops: the call takers are told, and again when it is back.
        await page.get_by_role("button", name="Radio mati").click()
        await expect(page.get_by_role("button", name="Radio hidupkan")).to_be_visible(timeout=15_000)
        await page.locator(f'.chat-item[data-chat="{CALL_TAKERS}"]').click()
        await expect(pane(page, CALL_TAKERS)).to_contain_text("Radio (Mumble) terputus", timeout=20_000)

        # A dispatch now: the bot followed Damkar's group to its new supergroup id, so the card arrives
        # there; Polres's group is unreachable, so the confirmation says to phone Polres.
        await page.locator(f'.chat-item[data-chat="{RINA}"]').click()
        await page.select_option("#actor", str(RINA))
        await say(page, RINA, ONE_LINE)
        await expect(pane(page, RINA)).to_contain_text("grup tidak terjangkau", timeout=20_000)
        await page.locator(f'.chat-item[data-chat="{new_id}"]').click()
        await expect(pane(page, new_id)).to_contain_text("KEBAKARAN", timeout=20_000)
        await page.get_by_role("button", name="Radio hidupkan").click()
        await expect(pane(page, CALL_TAKERS)).to_contain_text("Radio tersambung kembali", timeout=30_000)

        # Someone new joins BPBD's group by its invite link, then leaves: what the bot and roster see.
        bpbd = next(c["id"] for c in chats if c["agency"] == "bpbd")
        await page.locator(f'.chat-item[data-chat="{bpbd}"]').click()
        page.once("dialog", lambda dialog: dialog.accept("Wawan (BPBD)"))
        await pane(page, bpbd).get_by_role("button", name="+ orang").click()
        await expect(pane(page, bpbd)).to_contain_text("bergabung: Wawan (BPBD)", timeout=10_000)
        await expect(pane(page, bpbd).locator(".pane-head")).to_contain_text("3 anggota")
        assert await page.locator("#actor option:checked").inner_text() == "Wawan (BPBD)"
        await pane(page, bpbd).get_by_role("button", name="keluar").click()
        await expect(pane(page, bpbd)).to_contain_text("keluar dari grup", timeout=10_000)
        await expect(pane(page, bpbd).locator(".pane-head")).to_contain_text("2 anggota")

        # A burst of 429s is noted, and the bot's sends still arrive afterwards.
        await page.get_by_role("button", name="429 beruntun").click()
        await expect(page.locator("#fault-log")).to_contain_text("429")
        await say(page, RINA, "/aktif")
        await expect(pane(page, RINA).locator(".msg").last).not_to_contain_text("/aktif", timeout=40_000)
        await browser.close()
