"""Job handlers by kind: the only place where ports meet decisions."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saleor_bexio_app.bexio.oauth import BexioOAuth
from saleor_bexio_app.ids import InstallationId, SaleorApiUrl
from saleor_bexio_app.jobs.model import Job
from saleor_bexio_app.saleor.client import SaleorClient
from saleor_bexio_app.store.connections import ConnectionRepo
from saleor_bexio_app.store.repos import InstallationRepo
from saleor_bexio_app.store.tables import JobRow, SyncErrorRow

log = logging.getLogger(__name__)

SaleorFactory = Callable[[SaleorApiUrl, str], SaleorClient]


class InstallFlows:
    """Handlers for the app's own lifecycle: after install, after uninstall."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        installations: InstallationRepo,
        connections: ConnectionRepo,
        oauth: BexioOAuth,
        saleor: SaleorFactory,
        clock: Callable[[], datetime],
    ) -> None:
        self._sessions = sessions
        self._installations = installations
        self._connections = connections
        self._oauth = oauth
        self._saleor = saleor
        self._clock = clock

    async def app_installed(self, job: Job) -> None:
        """Record the shop's name and Saleor version with the freshly installed token."""
        async with self._sessions() as session:
            installation = await self._installations.get(session, job.installation_id)
            token = await self._installations.token(session, job.installation_id)
        if installation is None or token is None or not installation.active:
            return
        info = await self._saleor(installation.saleor_api_url, token).get_shop_info()
        async with self._sessions.begin() as session:
            await self._installations.set_shop_info(
                session,
                job.installation_id,
                name=info.name,
                version=info.version,
                now=self._clock(),
            )

    async def app_uninstalled(self, job: Job) -> None:
        """Drop the uninstalled shop's pending work and its bexio tokens (revoked at bexio)."""
        async with self._sessions.begin() as session:
            installation = await self._installations.get(session, job.installation_id)
            if installation is None or installation.active:
                return  # reinstalled meanwhile: keep everything
            await _drop_pending_work(session, job.installation_id, keep=job)
            refresh_token = await self._connections.disconnect(
                session, job.installation_id, self._clock()
            )
        if refresh_token:
            await self._oauth.revoke(refresh_token)
        log.info("installation %s uninstalled; pending work dropped", job.installation_id)


async def _drop_pending_work(
    session: AsyncSession, installation_id: InstallationId, keep: Job
) -> None:
    await session.execute(
        delete(JobRow).where(
            JobRow.installation_id == installation_id,
            JobRow.id != keep.id,
            JobRow.state.in_(("queued", "parked")),
        )
    )
    await session.execute(
        delete(SyncErrorRow).where(SyncErrorRow.installation_id == installation_id)
    )
