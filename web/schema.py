"""The bodies of the panic API, as pydantic models; the OpenAPI document's request schema comes from here."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from routing.fields import MAX_DESCRIPTION, FieldError, clean_optional, normalise_phone

MAX_NAME = 100


class PanicBody(BaseModel):
    """What a client app sends when its user presses the panic button."""

    # strict: a number given as a string, or true for 1, is a bad body, as the schema says.
    model_config = ConfigDict(strict=True, extra="forbid", title="PanicRequest")

    phone: str = Field(
        min_length=6, max_length=32, description="Nomor telepon pengguna (dinormalkan; disamarkan di luar basis data)",
        examples=["081234567890"],
    )  # fmt: skip
    name: str | None = Field(default=None, max_length=MAX_NAME, description="Nama pengguna, bila ada")
    lat: float = Field(ge=-90, le=90, description="Lintang (WGS84)", examples=[-8.0986])
    lon: float = Field(ge=-180, le=180, description="Bujur (WGS84)", examples=[112.1653])
    accuracy_m: float | None = Field(default=None, ge=0, le=100_000, description="Akurasi lokasi, meter")
    text: str | None = Field(default=None, max_length=MAX_DESCRIPTION, description="Pesan singkat, bila ada")

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        try:
            return normalise_phone(value)
        except FieldError:
            # Not the FieldError's text: it quotes the input, and a near-miss phone is still PII.
            raise ValueError("nomor telepon tidak valid (6-15 angka)") from None

    @field_validator("name", "text")
    @classmethod
    def _clean(cls, value: str | None) -> str | None:
        try:
            return clean_optional(value, "Teks", MAX_DESCRIPTION)
        except FieldError as exc:
            raise ValueError(exc.message) from None


class Accepted(BaseModel):
    model_config = ConfigDict(title="PanicAccepted")

    id: int = Field(description="Nomor tanda panik di 112 Kota Blitar")
    status: str = Field(description="Selalu 'accepted': tersimpan dan diteruskan ke petugas")


class Problem(BaseModel):
    model_config = ConfigDict(title="Problem")

    error: str = Field(description="Kode alasan: unauthorized, invalid_body, too_large, rate_limited")
    detail: str = Field(description="Penjelasan singkat")
