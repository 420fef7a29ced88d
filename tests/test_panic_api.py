"""POST /api/v1/panic over real HTTP on loopback, in process: what is stored, sent, refused and audited."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from tests.panic_support import CALL_TAKERS_GROUP, GOOD, TOKEN_B, auth, panic_api


async def test_accepted_is_stored_with_its_event_and_message_before_the_reply(tmp_path: Path) -> None:
    async with panic_api(tmp_path) as api:
        response = await api.client.post("/api/v1/panic", json=GOOD, headers=auth())
        assert response.status_code == 202
        body = response.json()
        assert body["status"] == "accepted" and isinstance(body["id"], int)
        # Committed before the reply: the row, the event and the outbox row are all there already.
        assert api.rows("SELECT app, phone, phone_masked, kelurahan, kecamatan, state FROM panic_alerts") == [
            ("blitar_in_hand", "081234567890", "0812****7890", "Sentul", "Kepanjenkidul", "new")
        ]
        assert api.events("panic_received")[0]["phone"] == "0812****7890"
        ((target, payload),) = api.rows("SELECT target, payload FROM outbox WHERE channel = 'telegram'")
        message = json.loads(payload)
        assert target == str(CALL_TAKERS_GROUP)
        assert "openstreetmap.org/?mlat=-8.08000&amp;mlon=112.16200" in message["html"]
        assert "Kel. Sentul, Kec. Kepanjenkidul" in message["html"]
        assert "0812****7890" in message["html"] and "081234567890" not in message["html"]
        labels = [label for row in message["buttons"] for label, _ in row]
        assert labels == ["✅ Tindak lanjuti", "🤡 Prank", "👻 Ghost"]
        assert not any("081234567890" in json.dumps(e) for e in api.events("panic_received"))


async def test_outside_the_city_suggests_the_kabupaten(tmp_path: Path) -> None:
    async with panic_api(tmp_path) as api:
        far = {**GOOD, "lat": -8.0, "lon": 112.3}  # about 18 km north-east: Kabupaten Blitar
        assert (await api.client.post("/api/v1/panic", json=far, headers=auth())).status_code == 202
        (payload,) = api.rows("SELECT payload FROM outbox")[0]
        assert "Di luar Kota Blitar" in json.loads(payload)["html"]
        assert "Kabupaten Blitar" in json.loads(payload)["html"]
        assert api.rows("SELECT kelurahan FROM panic_alerts") == [(None,)]


async def test_markup_and_sql_in_text_are_kept_literally_and_escaped(tmp_path: Path) -> None:
    async with panic_api(tmp_path) as api:
        hostile = {
            **GOOD,
            "name": "<b>Bos</b>",
            "text": "'); DROP TABLE panic_alerts; -- <script>x</script> & co",
        }
        assert (await api.client.post("/api/v1/panic", json=hostile, headers=auth())).status_code == 202
        assert api.rows("SELECT text, name FROM panic_alerts") == [(hostile["text"], "<b>Bos</b>")]
        html = json.loads(api.rows("SELECT payload FROM outbox")[0][0])["html"]
        assert "&lt;script&gt;x&lt;/script&gt; &amp; co" in html and "<script>" not in html
        assert "&lt;b&gt;Bos&lt;/b&gt;" in html


async def test_refusals_carry_a_reason_are_audited_and_change_nothing(tmp_path: Path) -> None:
    async with panic_api(tmp_path) as api:
        post = api.client.post
        missing = await post("/api/v1/panic", json=GOOD)
        wrong = await post("/api/v1/panic", json=GOOD, headers=auth("not-a-known-token-at-all"))
        basic = await post("/api/v1/panic", json=GOOD, headers={"Authorization": "Basic dXNlcjpwYXNz"})
        for response in (missing, wrong, basic):
            assert response.status_code == 401 and response.json()["error"] == "unauthorized"
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
        north = await post("/api/v1/panic", json={**GOOD, "lat": 91}, headers=auth())
        assert north.status_code == 422 and "lat" in north.json()["detail"]
        east = await post("/api/v1/panic", json={**GOOD, "lon": -180.5}, headers=auth())
        assert east.status_code == 422 and "lon" in east.json()["detail"]
        as_text = await post("/api/v1/panic", json={**GOOD, "lat": "-8.1"}, headers=auth())
        assert as_text.status_code == 422
        bad_phone = await post(
            "/api/v1/panic", json={**GOOD, "phone": "08123456789012345678"}, headers=auth()
        )
        assert bad_phone.status_code == 422 and "0812345678901" not in bad_phone.text
        not_json = await post("/api/v1/panic", content=b"{nope", headers=auth())
        assert not_json.status_code == 422
        huge = await post("/api/v1/panic", content=b'{"text": "' + b"x" * 1_000_000 + b'"}', headers=auth())
        assert huge.status_code == 413 and huge.json()["error"] == "too_large"
        assert api.rows("SELECT COUNT(*) FROM panic_alerts") == [(0,)]
        assert api.rows("SELECT COUNT(*) FROM outbox") == [(0,)]
        reasons = [(e["status"], e["reason"]) for e in api.events("panic_refused")]
        assert reasons == [(401, "missing_token"), (401, "unknown_token"), (401, "unknown_token"),
                           (422, "invalid_body"), (422, "invalid_body"), (422, "invalid_body"),
                           (422, "invalid_body"), (422, "invalid_body"), (413, "too_large")]  # fmt: skip


async def test_a_burst_is_limited_per_phone_and_per_app_and_others_still_served(tmp_path: Path) -> None:
    async with panic_api(tmp_path, per_app=20, per_app_window=60, per_phone=3, per_phone_window=600) as api:

        async def send(i: int) -> int:
            body = {**GOOD, "phone": f"0812{i:08d}"}
            return (await api.client.post("/api/v1/panic", json=body, headers=auth())).status_code

        codes = await asyncio.gather(*(send(i) for i in range(100)))
        assert codes.count(202) == 20 and codes.count(429) == 80
        limited = await api.client.post("/api/v1/panic", json=GOOD, headers=auth())
        assert limited.status_code == 429 and 1 <= int(limited.headers["Retry-After"]) <= 60
        # Another app is not held back by the first one's flood; one phone is held to 3.
        same_phone = [
            await api.client.post("/api/v1/panic", json=GOOD, headers=auth(TOKEN_B)) for _ in range(4)
        ]
        assert [r.status_code for r in same_phone] == [202, 202, 202, 429]
        assert "0812****7890" in same_phone[3].json()["detail"]
        assert int(same_phone[3].headers["Retry-After"]) > 500
        assert api.rows("SELECT COUNT(*) FROM panic_alerts") == [(23,)]
        assert api.rows("SELECT COUNT(*) FROM outbox") == [(23,)]
        # The flood is audited, but not one event per refused request.
        refused = api.events("panic_refused")
        assert 1 <= len(refused) <= 10 and all(e["status"] == 429 for e in refused)


async def test_the_openapi_document_is_served(tmp_path: Path) -> None:
    async with panic_api(tmp_path) as api:
        doc = (await api.client.get("/api/v1/openapi.json")).json()
        assert doc["openapi"].startswith("3.1")
        post = doc["paths"]["/panic"]["post"]
        assert set(post["responses"]) == {"202", "401", "413", "422", "429", "503"}
        assert doc["components"]["schemas"]["PanicRequest"]["required"] == ["phone", "lat", "lon"]


async def test_a_retry_with_the_same_idempotency_key_alerts_once(tmp_path: Path) -> None:
    async with panic_api(tmp_path, per_phone=2) as api:
        keyed = {**auth(), "Idempotency-Key": "app-7f3a:0001"}
        first = await api.client.post("/api/v1/panic", json=GOOD, headers=keyed)
        again = [await api.client.post("/api/v1/panic", json=GOOD, headers=keyed) for _ in range(3)]
        assert first.status_code == 202 and [r.status_code for r in again] == [202, 202, 202]
        assert {r.json()["id"] for r in again} == {first.json()["id"]}
        assert api.rows("SELECT COUNT(*) FROM panic_alerts") == [(1,)]
        assert api.rows("SELECT COUNT(*) FROM outbox") == [(1,)]
        # The retries did not use up the phone's allowance: one more new alert still fits in per_phone=2.
        assert (await api.client.post("/api/v1/panic", json=GOOD, headers=auth())).status_code == 202
        # The same key from another app is another request.
        other = await api.client.post("/api/v1/panic", json={**GOOD, "phone": "081311112222"},
                                      headers={**auth(TOKEN_B), "Idempotency-Key": "app-7f3a:0001"})  # fmt: skip
        assert other.status_code == 202 and other.json()["id"] != first.json()["id"]
        bad = await api.client.post("/api/v1/panic", json=GOOD, headers={**auth(), "Idempotency-Key": "a b"})
        assert bad.status_code == 422 and "Idempotency-Key" in bad.json()["detail"]
        assert api.rows("SELECT COUNT(*) FROM panic_alerts") == [(3,)]
