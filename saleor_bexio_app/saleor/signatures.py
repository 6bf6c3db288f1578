"""Saleor's webhook signature: a detached JWS with unencoded payload (RFC 7797), RS256."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

import jwt
from jwt.api_jws import PyJWS


class SignatureError(Exception):
    """The signature is missing, malformed, signed by an unknown key or does not match the body."""

    def __init__(self, detail: str, *, unknown_key: bool = False) -> None:
        super().__init__(detail)
        self.unknown_key = unknown_key


def _protected_header(signature: str) -> dict[str, Any]:
    head, sep, rest = signature.partition(".")
    middle, sep2, _sig = rest.partition(".")
    if not sep or not sep2 or middle:
        raise SignatureError("not a detached compact JWS")
    try:
        header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except ValueError:
        raise SignatureError("unreadable JWS header") from None
    if not isinstance(header, dict):
        raise SignatureError("unreadable JWS header")
    return header


def find_key(jwks: Mapping[str, Any], kid: str) -> Any:
    """The public key with this `kid`, or None."""
    for candidate in jwks.get("keys") or []:
        if isinstance(candidate, dict) and candidate.get("kid") == kid:
            try:
                return jwt.PyJWK(candidate, algorithm="RS256").key
            except jwt.PyJWTError:
                return None
    return None


def verify_webhook_signature(signature: str, body: bytes, jwks: Mapping[str, Any]) -> None:
    """Check `Saleor-Signature` against the raw body bytes; raise SignatureError if it fails."""
    header = _protected_header(signature)
    if header.get("alg") != "RS256" or header.get("b64") is not False:
        raise SignatureError("JWS header is not RS256 with an unencoded payload")
    if "b64" not in (header.get("crit") or []):
        raise SignatureError("JWS header does not mark b64 as critical")
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise SignatureError("JWS header has no key id", unknown_key=True)
    key = find_key(jwks, kid)
    if key is None:
        raise SignatureError("JWS key id is not in the shop's JWKS", unknown_key=True)
    try:
        PyJWS().decode_complete(signature, key=key, algorithms=["RS256"], detached_payload=body)
    except jwt.PyJWTError as exc:
        raise SignatureError(f"JWS check failed: {type(exc).__name__}") from None
