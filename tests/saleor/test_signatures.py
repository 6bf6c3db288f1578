"""The app's check of Saleor-Signature, against the real captured Saleor 3.24 delivery."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from saleor_bexio_app.saleor.signatures import SignatureError, verify_webhook_signature

CAPTURED = json.loads(
    (Path(__file__).parents[1] / "payloads" / "webhook_order_created.json").read_text()
)


def _captured() -> tuple[str, bytes, dict[str, Any]]:
    return CAPTURED["headers"]["Saleor-Signature"], CAPTURED["body"].encode(), CAPTURED["jwks"]


def test_real_saleor_delivery_verifies() -> None:
    signature, body, jwks = _captured()
    verify_webhook_signature(signature, body, jwks)


@pytest.mark.parametrize("position", [0, 100, 300, -2])
def test_real_delivery_fails_after_changing_one_byte(position: int) -> None:
    signature, body, jwks = _captured()
    changed = bytearray(body)
    changed[position] = changed[position] ^ 0x01
    with pytest.raises(SignatureError) as caught:
        verify_webhook_signature(signature, bytes(changed), jwks)
    assert not caught.value.unknown_key


def test_reserialized_body_does_not_verify() -> None:
    signature, body, jwks = _captured()
    compact = json.dumps(json.loads(body), separators=(",", ":")).encode()
    with pytest.raises(SignatureError):
        verify_webhook_signature(signature, compact, jwks)


def test_unknown_key_id_is_reported_as_unknown() -> None:
    signature, body, jwks = _captured()
    other = {"keys": [dict(jwks["keys"][0], kid="rotated")]}
    with pytest.raises(SignatureError) as caught:
        verify_webhook_signature(signature, body, other)
    assert caught.value.unknown_key


@pytest.mark.parametrize(
    "signature",
    ["", "abc", "a.b.c", "eyJhbGciOiJub25lIn0..", "!!!..sig"],
)
def test_malformed_signatures_are_refused(signature: str) -> None:
    _, body, jwks = _captured()
    with pytest.raises(SignatureError):
        verify_webhook_signature(signature, body, jwks)


def test_attached_payload_jws_is_refused() -> None:
    signature, body, jwks = _captured()
    head, _, sig = signature.partition("..")
    with pytest.raises(SignatureError):
        verify_webhook_signature(f"{head}.eyJ4IjoxfQ.{sig}", body, jwks)
