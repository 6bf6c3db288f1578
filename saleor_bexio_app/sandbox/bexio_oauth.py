"""bexio's identity provider as the emulator plays it: a Keycloak realm `bexio` (API.md §a).

Authorization code flow with optional PKCE (S256 only), confidential client (HTTP Basic or
form fields), refresh-token rotation with reuse detection, RFC 7009 revocation and OIDC
userinfo, and RS256 ID tokens with their key at `.../certs`. Error bodies follow Keycloak:
`{"error": ..., "error_description": ...}`.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import html
import secrets
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from saleor_bexio_app.sandbox import bexio_seed as seed

REALM_PATH = "/realms/bexio/protocol/openid-connect"
# API.md §a: the scopes bexio documents; one unknown scope fails the whole request.
KNOWN_SCOPES = frozenset(
    {
        "openid", "profile", "email", "offline_access", "company_profile", "accounting",
        "article_show", "article_edit", "bank_account_show", "bank_payment_show",
        "bank_payment_edit", "contact_show", "contact_edit", "file", "kb_invoice_show",
        "kb_invoice_edit", "kb_offer_show", "kb_offer_edit", "kb_order_show", "kb_order_edit",
        "kb_delivery_show", "kb_delivery_edit", "monitoring_show", "monitoring_edit",
        "note_show", "note_edit", "kb_article_order_show", "kb_article_order_edit",
        "project_show", "project_edit", "stock_edit", "task_show", "task_edit", "kb_bill_show",
        "kb_expense_show", "kb_credit_voucher_show", "kb_credit_voucher_edit",
    }
)  # fmt: skip
ALL_API_SCOPES = " ".join(sorted(KNOWN_SCOPES))
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@dataclass(slots=True)
class _Code:
    client_id: str
    redirect_uri: str
    scope: str
    challenge: str | None
    nonce: str | None
    expires_at: float


@dataclass(slots=True)
class _Session:
    session_id: str
    client_id: str
    scope: str
    active: bool = True
    code: str | None = None


@dataclass(slots=True)
class _Refresh:
    session_id: str
    expires_at: float | None
    used: bool = False


@dataclass(slots=True)
class AccessGrant:
    """What an access token allows: its session, scopes and expiry."""

    session_id: str
    scope: frozenset[str]
    expires_at: float
    revoked: bool = False
    user_id: int = 1


@dataclass(slots=True)
class _Registry:
    codes: dict[str, _Code] = field(default_factory=dict)
    sessions: dict[str, _Session] = field(default_factory=dict)
    refresh: dict[str, _Refresh] = field(default_factory=dict)
    access: dict[str, AccessGrant] = field(default_factory=dict)


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse(
        {"error": error, "error_description": description}, status_code=status, headers=_NO_STORE
    )


async def _form(request: Request) -> dict[str, str]:
    # Parsed here: Starlette's form parser needs python-multipart, which the app does not use.
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return {}
    return dict(parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True))


def _with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


@cache
def _signing_key() -> tuple[rsa.RSAPrivateKey, dict[str, Any]]:
    # One RS256 key per process, made on first use: key generation is the slow part.
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk: dict[str, Any] = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    jwk.update(kid=secrets.token_hex(8), alg="RS256", use="sig")
    return key, jwk


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of a verifier (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class OAuthServer:
    """The `bexio` realm: one confidential client, one user (id 1) of one company."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        access_token_ttl: int,
        clock: Callable[[], float],
        company_name: str,
        redirect_uris: Collection[str] | None = None,
        code_ttl: int = 60,
        refresh_token_ttl: int = 1800,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.access_token_ttl = access_token_ttl
        self.code_ttl = code_ttl
        self.refresh_token_ttl = refresh_token_ttl
        self.redirect_uris = set(redirect_uris) if redirect_uris is not None else None
        self.company_name = company_name
        self._clock = clock
        self._reg = _Registry()
        self.token_requests: list[str] = []
        self.issued_access_tokens: list[str] = []
        self.issued_refresh_tokens: list[str] = []
        self.revoked_tokens: list[str] = []
        self._refreshes = 0

    @property
    def refresh_count(self) -> int:
        """How many refresh-token grants succeeded."""
        return self._refreshes

    def routes(self) -> list[Route]:
        """The realm's endpoints under /realms/bexio/protocol/openid-connect."""
        return [
            Route(f"{REALM_PATH}/auth", self._authorize, methods=["GET", "POST"]),
            Route(f"{REALM_PATH}/token", self._token, methods=["POST"]),
            Route(f"{REALM_PATH}/revoke", self._revoke, methods=["POST"]),
            Route(f"{REALM_PATH}/userinfo", self._userinfo, methods=["GET", "POST"]),
            Route(f"{REALM_PATH}/certs", self._certs, methods=["GET"]),
        ]

    # --- hooks for tests ----------------------------------------------------------------------

    def issue_tokens(self, scope: str = ALL_API_SCOPES) -> dict[str, Any]:
        """Tokens as after a completed consent, without the browser step."""
        session = self._new_session(scope)
        return self._token_response(session, issuer="http://bexio.test/realms/bexio", nonce=None)

    def revoke_all(self) -> None:
        """The user revoked the app's access in bexio: every session and token dies."""
        for session in self._reg.sessions.values():
            session.active = False

    def expire_access_tokens(self) -> None:
        """Every access token issued so far is expired from now on."""
        now = self._clock()
        for grant in self._reg.access.values():
            grant.expires_at = min(grant.expires_at, now - 1)

    def check_access_token(self, token: str) -> AccessGrant | None:
        """The grant of a live access token, else None."""
        grant = self._reg.access.get(token)
        if grant is None or grant.revoked or grant.expires_at <= self._clock():
            return None
        session = self._reg.sessions.get(grant.session_id)
        return grant if session is not None and session.active else None

    # --- endpoints ----------------------------------------------------------------------------

    async def _authorize(self, request: Request) -> Response:
        params = dict(request.query_params)
        if request.method == "POST":
            params.update(await _form(request))
        if params.get("client_id") != self.client_id:
            return self._error_page("Client not found.")
        redirect_uri = params.get("redirect_uri", "")
        if not self._redirect_allowed(redirect_uri):
            return self._error_page("Invalid parameter: redirect_uri")
        state = params.get("state")

        def back(**values: str) -> Response:
            if state is not None:
                values["state"] = state
            values["iss"] = f"{str(request.base_url).rstrip('/')}/realms/bexio"
            return RedirectResponse(_with_query(redirect_uri, values), status_code=302)

        if params.get("response_type") != "code":
            return back(
                error="unsupported_response_type",
                error_description="Client is not allowed to initiate browser login with given "
                "response_type. Standard flow is disabled for the client.",
            )
        challenge = params.get("code_challenge") or None
        method = params.get("code_challenge_method") or ("plain" if challenge else None)
        if method is not None and (method != "S256" or not challenge):
            return back(
                error="invalid_request",
                error_description="Invalid parameter: code challenge method is not matching "
                "the configured one",
            )
        scopes = params.get("scope", "").split()
        if any(scope not in KNOWN_SCOPES for scope in scopes):
            return back(
                error="invalid_scope", error_description="Invalid scopes: " + " ".join(scopes)
            )
        if request.method == "GET":
            return self._consent_page(request, params, scopes)
        if params.get("decision") != "allow":
            return back(error="access_denied", error_description="User denied consent")
        code = secrets.token_urlsafe(32)
        self._reg.codes[code] = _Code(
            client_id=self.client_id,
            redirect_uri=redirect_uri,
            scope=" ".join(dict.fromkeys(scopes)),
            challenge=challenge,
            nonce=params.get("nonce"),
            expires_at=self._clock() + self.code_ttl,
        )
        return back(code=code, session_state=secrets.token_hex(16))

    def _redirect_allowed(self, uri: str) -> bool:
        parts = urlsplit(uri)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
            return False
        return self.redirect_uris is None or uri in self.redirect_uris

    def _error_page(self, message: str) -> HTMLResponse:
        body = (
            "<!DOCTYPE html><html><head><title>Sign in to bexio</title></head><body>"
            f'<div id="kc-error-message"><p class="instruction">{html.escape(message)}</p>'
            "</div></body></html>"
        )
        return HTMLResponse(body, status_code=400)

    def _consent_page(
        self, request: Request, params: dict[str, str], scopes: list[str]
    ) -> Response:
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in params.items()
            if k != "decision"
        )
        items = "".join(f"<li>{html.escape(scope)}</li>" for scope in scopes)
        company = html.escape(self.company_name)
        body = (
            '<!DOCTYPE html><html lang="de"><head><meta charset="utf-8">'
            "<title>bexio - Zugriff erlauben</title></head><body>"
            f"<h1>{company}</h1><p>Die App möchte auf folgende Bereiche zugreifen:</p>"
            f'<ul id="scopes">{items}</ul>'
            f'<form method="post" action="{html.escape(request.url.path)}">{hidden}'
            '<button type="submit" name="decision" value="allow">Allow</button>'
            '<button type="submit" name="decision" value="deny">Deny</button>'
            "</form></body></html>"
        )
        return HTMLResponse(body)

    def _client_authenticated(self, request: Request, form: dict[str, str]) -> bool:
        header = request.headers.get("authorization", "")
        if header.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                return False
            client_id, _, secret = decoded.partition(":")
            # RFC 6749 §2.3.1: Basic credentials are form-urlencoded before base64.
            return (unquote(client_id), unquote(secret)) == (self.client_id, self.client_secret)
        return (form.get("client_id"), form.get("client_secret")) == (
            self.client_id,
            self.client_secret,
        )

    async def _token(self, request: Request) -> Response:
        form = await _form(request)
        grant_type = form.get("grant_type", "")
        self.token_requests.append(grant_type)
        if not self._client_authenticated(request, form):
            return _oauth_error(
                401, "invalid_client", "Invalid client or Invalid client credentials"
            )
        if not grant_type:
            return _oauth_error(400, "invalid_request", "Missing form parameter: grant_type")
        issuer = f"{str(request.base_url).rstrip('/')}/realms/bexio"
        if grant_type == "authorization_code":
            return self._code_grant(form, issuer)
        if grant_type == "refresh_token":
            return self._refresh_grant(form, issuer)
        return _oauth_error(400, "unsupported_grant_type", "Unsupported grant_type")

    def _code_grant(self, form: dict[str, str], issuer: str) -> Response:
        code_value = form.get("code")
        if not code_value:
            return _oauth_error(400, "invalid_request", "Missing parameter: code")
        code = self._reg.codes.get(code_value)
        if code is None:
            # Keycloak kills the session created with a code that is presented twice.
            for session in self._reg.sessions.values():
                if session.code == code_value:
                    session.active = False
            return _oauth_error(400, "invalid_grant", "Code not valid")
        del self._reg.codes[code_value]
        if code.expires_at <= self._clock():
            return _oauth_error(400, "invalid_grant", "Code not valid")
        if form.get("redirect_uri") != code.redirect_uri:
            return _oauth_error(400, "invalid_grant", "Incorrect redirect_uri")
        if code.challenge is not None:
            verifier = form.get("code_verifier")
            if not verifier:
                return _oauth_error(400, "invalid_grant", "PKCE code verifier not specified")
            if not secrets.compare_digest(s256(verifier), code.challenge):
                return _oauth_error(
                    400, "invalid_grant", "PKCE verification failed: Invalid code verifier"
                )
        session = self._new_session(code.scope, code=code_value)
        return JSONResponse(
            self._token_response(session, issuer=issuer, nonce=code.nonce), headers=_NO_STORE
        )

    def _refresh_grant(self, form: dict[str, str], issuer: str) -> Response:
        token = form.get("refresh_token")
        if not token:
            return _oauth_error(400, "invalid_request", "Missing parameter: refresh_token")
        refresh = self._reg.refresh.get(token)
        if refresh is None:
            return _oauth_error(400, "invalid_grant", "Invalid refresh token")
        session = self._reg.sessions[refresh.session_id]
        if not session.active:
            return _oauth_error(400, "invalid_grant", "Offline user session not found")
        if refresh.used:
            # bexio rotates refresh tokens (API.md §a); Keycloak refuses a second use.
            return _oauth_error(
                400, "invalid_grant", "Maximum allowed refresh token reuse exceeded"
            )
        if refresh.expires_at is not None and refresh.expires_at <= self._clock():
            return _oauth_error(400, "invalid_grant", "Token is not active")
        wanted = form.get("scope")
        if wanted and not set(wanted.split()) <= set(session.scope.split()):
            return _oauth_error(400, "invalid_scope", "Invalid scopes: " + wanted)
        refresh.used = True
        self._refreshes += 1
        return JSONResponse(
            self._token_response(session, issuer=issuer, nonce=None), headers=_NO_STORE
        )

    async def _revoke(self, request: Request) -> Response:
        form = await _form(request)
        if not self._client_authenticated(request, form):
            return _oauth_error(
                401, "invalid_client", "Invalid client or Invalid client credentials"
            )
        token = form.get("token")
        if not token:
            return _oauth_error(400, "invalid_request", "Token not provided.")
        self.revoked_tokens.append(token)
        refresh = self._reg.refresh.get(token)
        if refresh is not None:
            # Revoking an offline token ends its session, and so its access tokens too.
            self._reg.sessions[refresh.session_id].active = False
        grant = self._reg.access.get(token)
        if grant is not None:
            grant.revoked = True
        return Response(status_code=200, headers=_NO_STORE)

    async def _userinfo(self, request: Request) -> Response:
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        grant = self.check_access_token(token) if token else None
        if grant is None:
            return JSONResponse(
                {"error": "invalid_token", "error_description": "Token verification failed"},
                status_code=401,
                headers={
                    "WWW-Authenticate": 'Bearer realm="bexio", error="invalid_token", '
                    'error_description="Token verification failed"',
                    **_NO_STORE,
                },
            )
        if "openid" not in grant.scope:
            return _oauth_error(403, "insufficient_scope", "Missing openid scope")
        return JSONResponse(self.claims(), headers={"Cache-Control": "no-cache"})

    async def _certs(self, request: Request) -> Response:
        return JSONResponse({"keys": [_signing_key()[1]]})

    def claims(self) -> dict[str, Any]:
        """The user's OIDC claims as recorded (GET_oidc_userinfo.json), with this company."""
        claims: dict[str, Any] = copy.deepcopy(seed.USERINFO)
        claims["company_name"] = self.company_name
        return claims

    # --- tokens -------------------------------------------------------------------------------

    def _new_session(self, scope: str, *, code: str | None = None) -> _Session:
        session = _Session(
            session_id=secrets.token_hex(16), client_id=self.client_id, scope=scope, code=code
        )
        self._reg.sessions[session.session_id] = session
        return session

    def _token_response(
        self, session: _Session, *, issuer: str, nonce: str | None
    ) -> dict[str, Any]:
        now = self._clock()
        scopes = session.scope.split()
        offline = "offline_access" in scopes
        access = secrets.token_urlsafe(32)
        refresh = secrets.token_urlsafe(48)
        self._reg.access[access] = AccessGrant(
            session_id=session.session_id,
            scope=frozenset(scopes),
            expires_at=now + self.access_token_ttl,
        )
        # An offline token never expires on its own (idle timeout of a year, API.md §a).
        self._reg.refresh[refresh] = _Refresh(
            session_id=session.session_id,
            expires_at=None if offline else now + self.refresh_token_ttl,
        )
        self.issued_access_tokens.append(access)
        self.issued_refresh_tokens.append(refresh)
        body: dict[str, Any] = {
            "access_token": access,
            "expires_in": self.access_token_ttl,
            "refresh_expires_in": 0 if offline else self.refresh_token_ttl,
            "refresh_token": refresh,
            "token_type": "Bearer",
        }
        if "openid" in scopes:
            body["id_token"] = self._id_token(session, issuer=issuer, nonce=nonce, now=now)
        body.update(
            {"not-before-policy": 0, "session_state": session.session_id, "scope": session.scope}
        )
        return body

    def _id_token(self, session: _Session, *, issuer: str, nonce: str | None, now: float) -> str:
        claims = {
            "exp": int(now) + self.access_token_ttl,
            "iat": int(now),
            "auth_time": int(now),
            "jti": secrets.token_hex(16),
            "iss": issuer,
            "aud": self.client_id,
            "typ": "ID",
            "azp": self.client_id,
            "sid": session.session_id,
            **self.claims(),
        }
        if nonce:
            claims["nonce"] = nonce
        key, jwk = _signing_key()
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": jwk["kid"]})
