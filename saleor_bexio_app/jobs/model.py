"""What a job is, independent of how it is stored."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from saleor_bexio_app.ids import InstallationId, JobId


class JobKind(StrEnum):
    """Every kind of durable work; handlers are registered per kind."""

    APP_INSTALLED = "app_installed"
    APP_UNINSTALLED = "app_uninstalled"
    SYNC_ORDER = "sync_order"
    SYNC_CUSTOMER = "sync_customer"
    SYNC_PRODUCT = "sync_product"
    POLL_INVOICES = "poll_invoices"
    POLL_ARTICLES = "poll_articles"
    BACKFILL = "backfill"


@dataclass(frozen=True, slots=True)
class Job:
    """A claimed job; jobs sharing a `key` (the object they are about) never run at once."""

    id: JobId
    installation_id: InstallationId
    kind: str
    key: str
    attempts: int
    payload: Mapping[str, Any] = field(default_factory=dict)
    run_at: datetime | None = None


Handler = Callable[[Job], Awaitable[None]]
