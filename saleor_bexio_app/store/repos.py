"""Repositories: take and return plain dataclasses, never ORM rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from saleor_bexio_app.ids import AppId, InstallationId, SaleorApiUrl
from saleor_bexio_app.store.secrets import SecretBox
from saleor_bexio_app.store.tables import InstallationRow, OAuthStateRow, ScheduleRow

ACTIVE = "active"
UNINSTALLED = "uninstalled"
UNINSTALLED_REASON = "The app was uninstalled from this shop."


@dataclass(frozen=True, slots=True)
class Installation:
    """A shop that installed the app (secrets are not part of it; ask the repo for the token)."""

    id: InstallationId
    saleor_api_url: SaleorApiUrl
    app_id: AppId
    status: str
    jwks: Mapping[str, Any]
    shop_name: str
    saleor_version: str

    @property
    def active(self) -> bool:
        return self.status == ACTIVE


def _to_installation(row: InstallationRow) -> Installation:
    return Installation(
        id=InstallationId(row.id),
        saleor_api_url=SaleorApiUrl(row.saleor_api_url),
        app_id=AppId(row.app_id),
        status=row.status,
        jwks=row.jwks,
        shop_name=row.shop_name,
        saleor_version=row.saleor_version,
    )


class InstallationRepo:
    """Installations keyed by Saleor API URL (+ app id); the app token is encrypted at rest."""

    def __init__(self, box: SecretBox) -> None:
        self._box = box

    async def get(
        self, session: AsyncSession, installation_id: InstallationId
    ) -> Installation | None:
        row = await session.get(InstallationRow, installation_id)
        return None if row is None else _to_installation(row)

    async def find(self, session: AsyncSession, api_url: SaleorApiUrl) -> Installation | None:
        """The installation for this Saleor API URL (exact string), active or not."""
        row = await session.scalar(
            select(InstallationRow).where(InstallationRow.saleor_api_url == api_url)
        )
        return None if row is None else _to_installation(row)

    async def upsert(
        self,
        session: AsyncSession,
        *,
        api_url: SaleorApiUrl,
        app_id: AppId,
        token: str,
        jwks: Mapping[str, Any],
        now: datetime,
    ) -> Installation:
        """Install, or take over the shop's row on a reinstall (new app id and token)."""
        row = await session.scalar(
            select(InstallationRow)
            .where(InstallationRow.saleor_api_url == api_url)
            .with_for_update()
        )
        if row is None:
            row = InstallationRow(
                saleor_api_url=api_url,
                app_id=app_id,
                status=ACTIVE,
                token_encrypted=self._box.encrypt(token),
                jwks=dict(jwks),
                jwks_fetched_at=now,
                installed_at=now,
                updated_at=now,
            )
            session.add(row)
        else:
            row.app_id = app_id
            row.status = ACTIVE
            row.token_encrypted = self._box.encrypt(token)
            row.jwks = dict(jwks)
            row.jwks_fetched_at = now
            row.installed_at = now
            row.updated_at = now
            row.uninstalled_at = None
            if row.pause_reason == UNINSTALLED_REASON:
                row.sync_paused_at = None
                row.pause_reason = None
        await session.flush()
        return _to_installation(row)

    async def token(self, session: AsyncSession, installation_id: InstallationId) -> str | None:
        """The decrypted Saleor app token, or None once the app was uninstalled."""
        encrypted = await session.scalar(
            select(InstallationRow.token_encrypted).where(InstallationRow.id == installation_id)
        )
        return None if encrypted is None else self._box.decrypt(encrypted)

    async def set_jwks(
        self,
        session: AsyncSession,
        installation_id: InstallationId,
        jwks: Mapping[str, Any],
        now: datetime,
    ) -> None:
        await session.execute(
            update(InstallationRow)
            .where(InstallationRow.id == installation_id)
            .values(jwks=dict(jwks), jwks_fetched_at=now)
        )

    async def set_shop_info(
        self,
        session: AsyncSession,
        installation_id: InstallationId,
        *,
        name: str,
        version: str,
        now: datetime,
    ) -> None:
        await session.execute(
            update(InstallationRow)
            .where(InstallationRow.id == installation_id)
            .values(shop_name=name[:200], saleor_version=version[:40], updated_at=now)
        )

    async def uninstall(
        self, session: AsyncSession, installation_id: InstallationId, app_id: AppId, now: datetime
    ) -> bool:
        """Disable the shop and delete its secrets, if `app_id` is still the installed app."""
        result = await session.execute(
            update(InstallationRow)
            .where(InstallationRow.id == installation_id, InstallationRow.app_id == app_id)
            .values(
                status=UNINSTALLED,
                token_encrypted=None,
                uninstalled_at=now,
                updated_at=now,
                # Sync work waits (and is then dropped by the uninstall job); see jobs/queue.py.
                sync_paused_at=now,
                pause_reason=UNINSTALLED_REASON,
            )
        )
        if result.rowcount == 0:  # type: ignore[attr-defined]
            return False
        await session.execute(
            delete(ScheduleRow).where(ScheduleRow.installation_id == installation_id)
        )
        # A "Connect to bexio" still open at bexio must not store tokens for an uninstalled shop.
        await session.execute(
            delete(OAuthStateRow).where(OAuthStateRow.installation_id == installation_id)
        )
        return True
