"""The OpenAPI 3.1 document of /api/v1, served at /api/v1/openapi.json.

The request schema is generated from the pydantic model the endpoint validates with, so the two cannot
drift; the rest is written by hand, kept minimal."""

from __future__ import annotations

import re
from typing import Any

from web.schema import Accepted, PanicBody, Problem

MAX_BODY = 16 * 1024
"""Bytes: a panic body is a few hundred; anything near this is not one (413)."""
IDEMPOTENCY_HEADER = "Idempotency-Key"
REQUEST_KEY = re.compile(r"[A-Za-z0-9._:-]{1,64}")

REFUSALS = {
    "401": "Token tidak ada atau tidak dikenal (Authorization: Bearer <token>)",
    "413": f"Body lebih dari {MAX_BODY} byte",
    "422": "Body bukan JSON yang sesuai skema PanicRequest (ringkasan kesalahan di detail)",
    "429": "Terlalu sering, per token aplikasi atau per nomor telepon; tunggu Retry-After detik",
    "503": "Penyimpanan sedang tidak bisa dipakai; kirim ulang setelah Retry-After detik",
}


def _schema(model: type[Any]) -> dict[str, Any]:
    schema: dict[str, Any] = model.model_json_schema(ref_template="#/components/schemas/{model}")
    return schema


def document() -> dict[str, Any]:
    problem = {"$ref": "#/components/schemas/Problem"}
    retry_after = {
        "Retry-After": {
            "description": "Detik sebelum mencoba lagi",
            "schema": {"type": "integer", "minimum": 1},
        }
    }
    responses: dict[str, Any] = {
        "202": {
            "description": "Diterima: tersimpan sebelum jawaban ini, dan diteruskan ke petugas 112",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PanicAccepted"}}},
        }
    }
    for status, text in REFUSALS.items():
        responses[status] = {"description": text, "content": {"application/json": {"schema": problem}}}
        if status in ("429", "503"):
            responses[status]["headers"] = retry_after
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "112 Kota Blitar: tombol panik",
            "version": "1.0.0",
            "description": "Tanda panik dari aplikasi warga (mis. Blitar in Hand) ke petugas 112 Kota Blitar.",
        },
        "servers": [{"url": "/api/v1"}],
        "paths": {
            "/panic": {
                "post": {
                    "operationId": "sendPanic",
                    "summary": "Kirim tanda panik",
                    "security": [{"bearer": []}],
                    "parameters": [
                        {
                            "name": IDEMPOTENCY_HEADER,
                            "in": "header",
                            "required": False,
                            "description": "Opsional, satu per tanda panik: kirim ulang dengan kunci yang sama "
                            "(mis. setelah koneksi putus) memberi 202 dengan id yang sama, tanpa tanda kedua",
                            "schema": {"type": "string", "pattern": f"^{REQUEST_KEY.pattern}$"},
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/PanicRequest"}}
                        },
                    },
                    "responses": responses,
                }
            }
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "PanicRequest": _schema(PanicBody),
                "PanicAccepted": _schema(Accepted),
                "Problem": _schema(Problem),
            },
        },
    }
