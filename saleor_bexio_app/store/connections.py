"""bexio connections and OAuth states; tokens encrypted, the row doubles as refresh lock."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import and_, delete, or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from saleor_bexio_app.ids import InstallationId
from saleor_bexio_app.store.secrets import SecretBox
from saleor_bexio_app.store.tables import BexioConnectionRow, OAuthStateRow

STATE_TTL = timedelta(minutes=10)


class ConnectionStatus(StrEnum):
    CONNECTED = "connected"
    BROKEN = "broken"
    DISCONNECTED = "disconnected"


class StateError(Exception):
    """An OAuth state that is unknown, already used or expired."""


@dataclass(frozen=True, slots=True)
class BexioConnection:
    """What the dashboard shows about a shop's bexio connection (no secrets)."""

    installation_id: InstallationId
    status: ConnectionStatus
    company_id: str
    company_name: str
    user_id: int | None
    user_name: str
    broken_reason: str | None
    connected_at: datetime | None


@dataclass(frozen=True, slots=True)
class StoredTokens:
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: datetime
    version: int
    status: ConnectionStatus


@dataclass(frozen=True, slots=True)
class ConnectedAccount:
    """Who connected: bexio company and user, as read right after the login."""

    company_id: str
    company_name: str
    user_id: int | None
    user_name: str


def _hash_state(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def _to_connection(row: BexioConnectionRow) -> BexioConnection:
    return BexioConnection(
        installation_id=InstallationId(row.installation_id),
        status=ConnectionStatus(row.status),
        company_id=row.company_id,
        company_name=row.company_name,
        user_id=row.user_id,
        user_name=row.user_name,
        broken_reason=row.broken_reason,
        connected_at=row.connected_at,
    )


class ConnectionRepo:
    """Per-shop bexio tokens and pending logins."""

    def __init__(self, box: SecretBox) -> None:
        self._box = box

    async def create_state(
        self,
        session: AsyncSession,
        installation_id: InstallationId,
        code_verifier: str,
        now: datetime,
    ) -> str:
        """A new single-use state for this shop; only its hash is stored."""
        state = secrets.token_urlsafe(32)
        await session.execute(delete(OAuthStateRow).where(OAuthStateRow.expires_at < now))
        session.add(
            OAuthStateRow(
                state_hash=_hash_state(state),
                installation_id=installation_id,
                code_verifier_encrypted=self._box.encrypt(code_verifier),
                created_at=now,
                expires_at=now + STATE_TTL,
            )
        )
        return state

    async def consume_state(
        self, session: AsyncSession, state: str, now: datetime
    ) -> tuple[InstallationId, str]:
        """The shop and PKCE verifier of a state, marking it used; StateError if it cannot be."""
        state_hash = _hash_state(state)
        result = await session.execute(
            update(OAuthStateRow)
            .where(
                OAuthStateRow.state_hash == state_hash,
                OAuthStateRow.used_at.is_(None),
                OAuthStateRow.expires_at > now,
            )
            .values(used_at=now)
        )
        row = await session.get(OAuthStateRow, state_hash)
        if row is None:
            raise StateError("unknown state")
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise StateError("state already used" if row.used_at else "state expired")
        return InstallationId(row.installation_id), self._box.decrypt(row.code_verifier_encrypted)

    async def get(
        self, session: AsyncSession, installation_id: InstallationId
    ) -> BexioConnection | None:
        row = await session.get(BexioConnectionRow, installation_id, populate_existing=True)
        return None if row is None else _to_connection(row)

    async def tokens(
        self, session: AsyncSession, installation_id: InstallationId
    ) -> StoredTokens | None:
        """The decrypted tokens, or None if the shop never connected or disconnected."""
        row = await session.get(BexioConnectionRow, installation_id, populate_existing=True)
        if row is None or row.access_token_encrypted is None or row.refresh_token_encrypted is None:
            return None
        return StoredTokens(
            access_token=self._box.decrypt(row.access_token_encrypted),
            refresh_token=self._box.decrypt(row.refresh_token_encrypted),
            expires_at=row.access_expires_at or row.updated_at,
            version=row.token_version,
            status=ConnectionStatus(row.status),
        )

    async def connect(
        self,
        session: AsyncSession,
        installation_id: InstallationId,
        *,
        access_token: str,
        refresh_token: str,
        expires_at: datetime,
        account: ConnectedAccount,
        now: datetime,
    ) -> None:
        """Store a fresh connection (new login), replacing whatever was there."""
        row = await session.get(BexioConnectionRow, installation_id)
        if row is None:
            row = BexioConnectionRow(installation_id=installation_id, token_version=0)
            session.add(row)
        row.status = ConnectionStatus.CONNECTED
        row.access_token_encrypted = self._box.encrypt(access_token)
        row.refresh_token_encrypted = self._box.encrypt(refresh_token)
        row.access_expires_at = expires_at
        row.token_version = (row.token_version or 0) + 1
        row.refreshing_by = None
        row.refreshing_until = None
        row.company_id = account.company_id[:100]
        row.company_name = account.company_name[:200]
        row.user_id = account.user_id
        row.user_name = account.user_name[:200]
        row.broken_reason = None
        row.connected_at = now
        row.updated_at = now
        await session.flush()

    async def take_refresh_lease(
        self,
        session: AsyncSession,
        installation_id: InstallationId,
        *,
        seen_version: int,
        holder: str,
        until: datetime,
        now: datetime,
    ) -> bool:
        """Become the one refresher of this connection, if nobody refreshed or holds the lease."""
        result = await session.execute(
            update(BexioConnectionRow)
            .where(
                BexioConnectionRow.installation_id == installation_id,
                BexioConnectionRow.status == ConnectionStatus.CONNECTED,
                BexioConnectionRow.token_version == seen_version,
                or_(
                    BexioConnectionRow.refreshing_until.is_(None),
                    BexioConnectionRow.refreshing_until < now,
                ),
            )
            .values(refreshing_by=holder, refreshing_until=until)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def store_refreshed(
        self,
        session: AsyncSession,
        installation_id: InstallationId,
        *,
        holder: str,
        access_token: str,
        refresh_token: str,
        expires_at: datetime,
        now: datetime,
    ) -> bool:
        """Save rotated tokens if this holder still has the lease."""
        result = await session.execute(
            update(BexioConnectionRow)
            .where(
                BexioConnectionRow.installation_id == installation_id,
                BexioConnectionRow.refreshing_by == holder,
            )
            .values(
                access_token_encrypted=self._box.encrypt(access_token),
                refresh_token_encrypted=self._box.encrypt(refresh_token),
                access_expires_at=expires_at,
                token_version=BexioConnectionRow.token_version + 1,
                refreshing_by=None,
                refreshing_until=None,
                updated_at=now,
            )
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def release_refresh_lease(
        self, session: AsyncSession, installation_id: InstallationId, holder: str
    ) -> None:
        await session.execute(
            update(BexioConnectionRow)
            .where(
                BexioConnectionRow.installation_id == installation_id,
                BexioConnectionRow.refreshing_by == holder,
            )
            .values(refreshing_by=None, refreshing_until=None)
        )

    async def mark_broken(
        self,
        session: AsyncSession,
        installation_id: InstallationId,
        reason: str,
        now: datetime,
        *,
        holder: str | None = None,
    ) -> None:
        """The connection no longer works; the merchant has to reconnect."""
        guard = BexioConnectionRow.installation_id == installation_id
        if holder is not None:
            guard = and_(guard, BexioConnectionRow.refreshing_by == holder)
        await session.execute(
            update(BexioConnectionRow)
            .where(guard)
            .values(
                status=ConnectionStatus.BROKEN,
                broken_reason=reason,
                refreshing_by=None,
                refreshing_until=None,
                updated_at=now,
            )
        )

    async def disconnect(
        self, session: AsyncSession, installation_id: InstallationId, now: datetime
    ) -> str | None:
        """Delete the tokens; return the refresh token so it can be revoked at bexio."""
        tokens = await self.tokens(session, installation_id)
        await session.execute(
            update(BexioConnectionRow)
            .where(BexioConnectionRow.installation_id == installation_id)
            .values(
                status=ConnectionStatus.DISCONNECTED,
                access_token_encrypted=None,
                refresh_token_encrypted=None,
                access_expires_at=None,
                refreshing_by=None,
                refreshing_until=None,
                updated_at=now,
            )
        )
        return None if tokens is None else tokens.refresh_token
