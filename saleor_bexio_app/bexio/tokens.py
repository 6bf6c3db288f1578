"""Access tokens of one shop's bexio connection, refreshed once for all worker processes.

bexio rotates refresh tokens: two processes refreshing with the same refresh token would
break the connection. So the refresh is guarded by the connection row itself: a process takes
a short lease with compare-and-set on (token_version, lease expired), refreshes, stores the
rotated tokens and bumps the version; everyone else waits for the new version and uses it.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saleor_bexio_app.bexio import messages
from saleor_bexio_app.bexio.oauth import BexioOAuth
from saleor_bexio_app.errors import AuthError, MessageCode, TransientError
from saleor_bexio_app.ids import InstallationId
from saleor_bexio_app.store.connections import ConnectionRepo, ConnectionStatus, StoredTokens

REFRESH_MARGIN = timedelta(seconds=60)
LEASE = timedelta(seconds=30)
NOT_CONNECTED = "bexio is not connected. Connect bexio on the app's settings page."
# A broken connection's stored reason is the refusal's merchant text; these have codes.
_BROKEN_CODES = {
    messages.REVOKED: MessageCode.BEXIO_CONNECTION_REVOKED,
    messages.UNAUTHORIZED: MessageCode.BEXIO_UNAUTHORIZED,
}


def broken_reason_code(broken_reason: str | None) -> MessageCode | None:
    """The message code of a stored broken-connection reason, when it has one."""
    return _BROKEN_CODES.get(broken_reason) if broken_reason else None


def disconnected_error(broken_reason: str | None = None, *, detail: str = "") -> AuthError:
    """The error for work that needs bexio while the shop is not (or no longer) connected."""
    if not broken_reason:
        return AuthError(NOT_CONNECTED, detail=detail, code=MessageCode.BEXIO_NOT_CONNECTED)
    return AuthError(broken_reason, detail=detail, code=broken_reason_code(broken_reason))


class ConnectionTokens:
    """The bexio client's AccessTokens: a current token, refreshed before expiry or on 401."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        connections: ConnectionRepo,
        oauth: BexioOAuth,
        installation_id: InstallationId,
        *,
        clock: Callable[[], datetime],
        poll_seconds: float = 0.05,
    ) -> None:
        self._sessions = sessions
        self._connections = connections
        self._oauth = oauth
        self._installation_id = installation_id
        self._clock = clock
        self._poll = poll_seconds
        self._holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"

    async def access_token(self) -> str:
        """A token valid for at least REFRESH_MARGIN, refreshing first if needed."""
        tokens = await self._read()
        if tokens.expires_at - REFRESH_MARGIN > self._clock():
            return tokens.access_token
        return await self._refresh(tokens.version)

    async def refreshed_after(self, rejected: str) -> str:
        """A token newer than `rejected` (bexio answered 401 to it)."""
        tokens = await self._read()
        if tokens.access_token != rejected and tokens.expires_at - REFRESH_MARGIN > self._clock():
            return tokens.access_token
        return await self._refresh(tokens.version)

    async def _read(self) -> StoredTokens:
        async with self._sessions() as session:
            tokens = await self._connections.tokens(session, self._installation_id)
            connection = await self._connections.get(session, self._installation_id)
        if tokens is None or connection is None:
            raise disconnected_error()
        if tokens.status != ConnectionStatus.CONNECTED:
            raise disconnected_error(connection.broken_reason, detail=f"connection {tokens.status}")
        return tokens

    async def _refresh(self, seen_version: int) -> str:
        deadline = self._clock() + LEASE + timedelta(seconds=5)
        while True:
            now = self._clock()
            async with self._sessions.begin() as session:
                leased = await self._connections.take_refresh_lease(
                    session,
                    self._installation_id,
                    seen_version=seen_version,
                    holder=self._holder,
                    until=now + LEASE,
                    now=now,
                )
            if leased:
                return await self._refresh_as_holder()
            tokens = await self._read()
            if tokens.version != seen_version:
                return tokens.access_token
            if self._clock() > deadline:
                raise TransientError(
                    "bexio's connection is being renewed; the work will be retried.",
                    detail="refresh lease not released in time",
                )
            await asyncio.sleep(self._poll)

    async def _refresh_as_holder(self) -> str:
        async with self._sessions() as session:
            tokens = await self._connections.tokens(session, self._installation_id)
        if tokens is None:
            raise disconnected_error()
        try:
            fresh = await self._oauth.refresh(tokens.refresh_token, now=self._clock())
        except AuthError as exc:
            async with self._sessions.begin() as session:
                await self._connections.mark_broken(
                    session,
                    self._installation_id,
                    exc.user_message,
                    self._clock(),
                    holder=self._holder,
                )
            raise
        except BaseException:
            async with self._sessions.begin() as session:
                await self._connections.release_refresh_lease(
                    session, self._installation_id, self._holder
                )
            raise
        async with self._sessions.begin() as session:
            stored = await self._connections.store_refreshed(
                session,
                self._installation_id,
                holder=self._holder,
                access_token=fresh.access_token,
                refresh_token=fresh.refresh_token,
                expires_at=fresh.expires_at,
                now=self._clock(),
            )
        if not stored:
            # Our lease ran out while bexio answered; whoever holds the row now decides.
            raise TransientError(
                "bexio's connection is being renewed; the work will be retried.",
                detail="refresh lease lost",
            )
        return fresh.access_token
