"""Training scenarios: a timed TOML script of incoming calls, agency responses and radio traffic,
with the answer the trainee should give. A bad file is refused with the key or line at fault."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from routing.table import RoutingTable

BUNDLED = Path(__file__).resolve().parent / "scenarios"
ACTIONS = ("terima", "berangkat", "tiba", "selesai", "tolak", "diam")


class ScenarioError(Exception):
    """One line in Indonesian naming the file and the key or line at fault."""


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Meta(_Part):
    title: str = Field(min_length=1)
    description: str = ""
    ends_after: float = Field(default=20, ge=0)  # seconds after the last event before the score
    give_up: float = Field(default=300, gt=0)  # a call nobody handled by then scores 0


class Call(_Part):
    id: str = Field(min_length=1, max_length=20, pattern=r"^[a-z0-9_-]+$")
    at: float = Field(ge=0)  # seconds from the start when the phone rings
    phone: str = Field(min_length=6, max_length=20, pattern=r"^\+?[0-9]+$")
    caller: str = ""
    says: str = Field(min_length=1)
    where: str = ""
    # The answer: what the call really is, and for a dispatch, the fields the trainee should enter.
    kind: Literal["dispatch", "prank", "ghost", "info"] = "dispatch"
    category: str | None = None
    kelurahan: str | None = None
    address: str | None = None
    description: str | None = None
    add: list[str] = []  # agencies the trainee should add with /tambah (after a decline)
    answer_after: float = Field(default=6, ge=0)  # --auto: the trainee's typing time

    @model_validator(mode="after")
    def _dispatch_fields(self) -> Call:
        if self.kind == "dispatch":
            for key in ("category", "kelurahan", "address", "description"):
                if not getattr(self, key):
                    raise ValueError(f"panggilan darurat (kind = dispatch) wajib punya {key}")
        return self


class Response(_Part):
    call: str
    agency: str
    after: float = Field(ge=0)  # seconds after the dispatch
    action: Literal["terima", "berangkat", "tiba", "selesai", "tolak", "diam"]
    reason: str | None = None
    via: Literal["telegram", "radio"] = "telegram"

    @model_validator(mode="after")
    def _reason(self) -> Response:
        if self.action == "tolak" and not self.reason:
            raise ValueError("action = tolak wajib punya reason")
        return self


class RadioLine(_Part):
    at: float = Field(ge=0)
    user: str
    channel: str
    text: str = Field(min_length=1)  # {id} becomes the incident number of call id


class Scenario(_Part):
    scenario: Meta
    call: list[Call] = Field(min_length=1)
    response: list[Response] = []
    radio: list[RadioLine] = []
    escalation: dict[str, float] = {}  # overrides [escalation], e.g. ack_p1 = 20 for a short drill
    auto: bool = False
    path: str = ""


def _location(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1] = f"{parts[-1]}[{item + 1}]"
        else:
            parts.append(str(item))
    return ".".join(parts) or "skenario"


def load_scenario(path: str | Path, routing: RoutingTable, mumble_users: dict[str, str], channels: list[str],
                  auto: bool = False) -> Scenario:  # fmt: skip
    file = Path(path)
    if not file.is_file() and (BUNDLED / file.name).is_file():
        file = BUNDLED / file.name
    if not file.is_file():
        raise ScenarioError(f"{path}: berkas skenario tidak ditemukan")
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        where = re.sub(r"\(at line (\d+), column (\d+)\)", r"(baris \1, kolom \2)", str(exc))
        raise ScenarioError(f"{file}: TOML tidak valid: {where}") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{file}: bukan teks UTF-8") from None
    try:
        scenario = Scenario.model_validate(raw | {"auto": auto, "path": str(file)})
    except ValidationError as exc:
        error = exc.errors()[0]
        message = str(error["msg"]).removeprefix("Value error, ")
        raise ScenarioError(f"{file}: {_location(tuple(error['loc']))}: {_indonesian(message)}") from None
    _check_names(scenario, file, routing, mumble_users, channels)
    return scenario


def _indonesian(message: str) -> str:
    known = {"Field required": "wajib diisi", "Extra inputs are not permitted": "kunci tidak dikenal",
             "Input should be a valid number": "harus berupa angka",
             "Input should be a valid string": "harus berupa teks"}  # fmt: skip
    for english, indonesian in known.items():
        if message.startswith(english):
            return indonesian
    if message.startswith("Input should be"):
        return "nilai tidak sesuai (" + message.removeprefix("Input should be ") + ")"
    if message.startswith("String should match pattern"):
        return "format tidak sesuai " + message.removeprefix("String should match pattern ")
    return message


def _check_names(scenario: Scenario, file: Path, routing: RoutingTable, users: dict[str, str],
                 channels: list[str]) -> None:  # fmt: skip
    ids = [c.id for c in scenario.call]
    for i, call in enumerate(scenario.call, 1):
        where = f"{file}: call[{i}]"
        if ids.count(call.id) > 1:
            raise ScenarioError(f"{where}.id: id {call.id!r} dipakai lebih dari sekali")
        if call.category is not None and routing.category(call.category) is None:
            raise ScenarioError(f"{where}.category: kategori tidak dikenal: {call.category}")
        if call.kelurahan is not None and routing.find_kelurahan(call.kelurahan) is None:
            raise ScenarioError(f"{where}.kelurahan: kelurahan tidak dikenal: {call.kelurahan}")
        for code in call.add:
            if code not in routing.agencies:
                raise ScenarioError(f"{where}.add: instansi tidak dikenal: {code}")
    for i, response in enumerate(scenario.response, 1):
        where = f"{file}: response[{i}]"
        if response.call not in ids:
            raise ScenarioError(f"{where}.call: tidak ada panggilan dengan id {response.call!r}")
        if response.agency not in routing.agencies:
            raise ScenarioError(f"{where}.agency: instansi tidak dikenal: {response.agency}")
        if response.via == "radio" and response.agency not in users.values():
            raise ScenarioError(f"{where}.via: {response.agency} tidak punya pengguna Mumble di sandbox")
    for i, line in enumerate(scenario.radio, 1):
        where = f"{file}: radio[{i}]"
        if line.user not in users:
            raise ScenarioError(f"{where}.user: pengguna Mumble tidak dikenal: {line.user}")
        if line.channel not in channels:
            raise ScenarioError(f"{where}.channel: kanal tidak dikenal: {line.channel}")
