"""The dashboard API: one shop's settings, bexio connection, VAT mapping and error log.

Authentication happens before execution (api/context.py); every resolver works on the shop of
the verified token. Expected failures of writes are typed results, never GraphQL errors.
"""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors
from strawberry.scalars import JSON

from saleor_bexio_app.api.context import Context
from saleor_bexio_app.api.master_data import (
    BexioMasterDataResult,
    BexioNumberingResult,
    read_master_data,
    read_numbering,
)
from saleor_bexio_app.api.products import (
    ProductMatchingResult,
    ProductSyncOptionsResult,
    StartProductSyncResult,
    read_product_matching,
    read_product_sync_options,
    request_product_sync,
)
from saleor_bexio_app.api.types import (
    BexioConnection,
    BexioNotConfigured,
    ConnectUrl,
    DisconnectBexioResult,
    Disconnected,
    DismissErrorsResult,
    ErrorsDismissed,
    ErrorsRetried,
    Forbidden,
    OrderActionMatrix,
    ResumeSyncResult,
    RetryErrorsResult,
    SaveSettingsResult,
    SaveVatMappingResult,
    SettingsInvalid,
    SettingsProblem,
    SettingsSaved,
    Shop,
    ShopSettings,
    StartBexioConnectResult,
    SyncError,
    SyncPause,
    SyncResumed,
    VatMapping,
    VatMappingInvalid,
    VatMappingSaved,
)
from saleor_bexio_app.api.vat_orders import (
    Backfill,
    OrderDocuments,
    SyncOrderNowResult,
    VatOverviewResult,
    read_backfills,
    read_order_documents,
    read_vat_overview,
    request_order_sync,
)
from saleor_bexio_app.errors import ConfigError
from saleor_bexio_app.ids import SaleorId
from saleor_bexio_app.store.error_log import DEFAULT_PAGE_SIZE, OPEN
from saleor_bexio_app.store.settings_codec import (
    shop_settings_from_json,
    shop_settings_to_json,
    tax_mapping_from_json,
    tax_mapping_to_json,
)
from saleor_bexio_app.sync.model import SettingsProblem as DomainProblem
from saleor_bexio_app.sync.model import Severity, validate_settings
from saleor_bexio_app.web.connect import (
    CHANGE_PERMISSION,
    NOT_CONFIGURED,
    disconnect_shop,
    read_connection,
    start_connect,
)

Info = strawberry.Info[Context, None]

MAX_PAGE_SIZE = 200


def _forbidden() -> Forbidden:
    return Forbidden(
        permission=CHANGE_PERMISSION,
        message=f"You need the {CHANGE_PERMISSION} permission to change this app's settings.",
    )


def _document_problem(message: str) -> SettingsProblem:
    return SettingsProblem.of(DomainProblem("", message))


@strawberry.type
class Query:
    @strawberry.field
    def shop(self, info: Info) -> Shop:
        installation = info.context.installation
        return Shop(saleor_api_url=installation.saleor_api_url, shop_name=installation.shop_name)

    @strawberry.field
    async def bexio_connection(self, info: Info) -> BexioConnection:
        return BexioConnection.of(await read_connection(info.context.services, info.context.shop))

    @strawberry.field
    async def settings(self, info: Info) -> ShopSettings:
        settings = await info.context.services.sync_repo.shop_settings(info.context.shop)
        return ShopSettings(
            json=JSON(shop_settings_to_json(settings)),
            problems=[SettingsProblem.of(problem) for problem in validate_settings(settings)],
        )

    @strawberry.field
    async def order_action_matrix(self, info: Info) -> OrderActionMatrix:
        settings = await info.context.services.sync_repo.shop_settings(info.context.shop)
        return OrderActionMatrix.of(settings.order_actions)

    @strawberry.field
    async def vat_mapping(self, info: Info) -> VatMapping:
        mapping = await info.context.services.sync_repo.tax_mapping(info.context.shop)
        return VatMapping(json=JSON(tax_mapping_to_json(mapping)))

    @strawberry.field
    async def vat_overview(self, info: Info) -> VatOverviewResult:
        """Shop rates beside bexio's taxes with every mapping problem (reads Saleor and bexio)."""
        return await read_vat_overview(info.context.services, info.context.shop)

    @strawberry.field
    async def bexio_master_data(self, info: Info, refresh: bool = False) -> BexioMasterDataResult:
        """bexio's users, bank accounts, payment types, languages and revenue accounts."""
        return await read_master_data(info.context.services, info.context.shop, refresh=refresh)

    @strawberry.field
    async def bexio_numbering(self, info: Info) -> BexioNumberingResult:
        """bexio's automatic invoice numbering beside the app's setting (read afresh)."""
        return await read_numbering(info.context.services, info.context.shop)

    @strawberry.field
    async def product_sync_options(self, info: Info) -> ProductSyncOptionsResult:
        """The shop's channels and warehouses, for the product settings."""
        return await read_product_sync_options(info.context.services, info.context.shop)

    @strawberry.field
    async def product_matching(self, info: Info) -> ProductMatchingResult:
        """Variants paired with bexio articles by SKU, and what could not be paired."""
        return await read_product_matching(info.context.services, info.context.shop)

    @strawberry.field
    async def order_documents(self, info: Info, order_id: str) -> OrderDocuments:
        """The order's bexio documents (invoice details read live from bexio)."""
        return await read_order_documents(
            info.context.services, info.context.shop, SaleorId(order_id.strip())
        )

    @strawberry.field
    async def backfills(self, info: Info) -> list[Backfill]:
        """The shop's backfills with their progress, newest first."""
        return await read_backfills(info.context.services, info.context.shop)

    @strawberry.field
    async def errors(
        self,
        info: Info,
        status: str | None = OPEN,
        kind: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
        offset: int = 0,
        reason: str | None = None,
    ) -> list[SyncError]:
        entries = await info.context.services.error_log.list_errors(
            info.context.shop,
            status=status,
            kind=kind,
            reason=reason,
            limit=min(max(limit, 0), MAX_PAGE_SIZE),
            offset=max(offset, 0),
        )
        return [SyncError.of(entry) for entry in entries]

    @strawberry.field
    async def sync_pause(self, info: Info) -> SyncPause | None:
        pause = await info.context.services.error_log.pause_state(info.context.shop)
        return None if pause is None else SyncPause.of(pause)


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def start_bexio_connect(self, info: Info) -> StartBexioConnectResult:
        if not info.context.can_change:
            return _forbidden()
        url = await start_connect(info.context.services, info.context.shop)
        if url is None:
            return BexioNotConfigured(message=NOT_CONFIGURED)
        return ConnectUrl(url=url)

    @strawberry.mutation
    async def disconnect_bexio(self, info: Info) -> DisconnectBexioResult:
        if not info.context.can_change:
            return _forbidden()
        revoked = await disconnect_shop(info.context.services, info.context.shop)
        return Disconnected(revoked_at_bexio=revoked)

    @strawberry.mutation
    async def save_settings(self, info: Info, json: JSON) -> SaveSettingsResult:
        if not info.context.can_change:
            return _forbidden()
        if not isinstance(json, dict):
            return SettingsInvalid(problems=[_document_problem("The settings must be an object.")])
        try:
            settings = shop_settings_from_json(json)
        except ConfigError as exc:
            return SettingsInvalid(problems=[_document_problem(exc.user_message)])
        problems = validate_settings(settings)
        if any(problem.severity == Severity.ERROR for problem in problems):
            return SettingsInvalid(problems=[SettingsProblem.of(problem) for problem in problems])
        try:
            warnings = await info.context.services.sync_repo.save_shop_settings(
                info.context.shop, settings
            )
        except ConfigError as exc:
            return SettingsInvalid(problems=[_document_problem(exc.user_message)])
        return SettingsSaved(
            json=JSON(shop_settings_to_json(settings)),
            warnings=[SettingsProblem.of(problem) for problem in warnings],
        )

    @strawberry.mutation
    async def save_vat_mapping(self, info: Info, json: JSON) -> SaveVatMappingResult:
        if not info.context.can_change:
            return _forbidden()
        if not isinstance(json, dict):
            return VatMappingInvalid(message="The VAT mapping must be an object.")
        try:
            mapping = tax_mapping_from_json(json)
            await info.context.services.sync_repo.save_tax_mapping(info.context.shop, mapping)
        except ConfigError as exc:
            return VatMappingInvalid(message=exc.user_message)
        return VatMappingSaved(json=JSON(tax_mapping_to_json(mapping)))

    @strawberry.mutation
    async def sync_order_now(self, info: Info, order_id: str) -> SyncOrderNowResult:
        """Queue a manual sync of one order (MANAGE_ORDERS suffices: no setting changes)."""
        return await request_order_sync(info.context.services, info.context.shop, order_id)

    @strawberry.mutation
    async def retry_errors(self, info: Info, ids: list[int]) -> RetryErrorsResult:
        if not info.context.can_change:
            return _forbidden()
        count = await info.context.services.error_log.retry(info.context.shop, ids)
        return ErrorsRetried(count=count)

    @strawberry.mutation
    async def dismiss_errors(self, info: Info, ids: list[int]) -> DismissErrorsResult:
        if not info.context.can_change:
            return _forbidden()
        count = await info.context.services.error_log.dismiss(info.context.shop, ids)
        return ErrorsDismissed(count=count)

    @strawberry.mutation
    async def resume_sync(self, info: Info) -> ResumeSyncResult:
        if not info.context.can_change:
            return _forbidden()
        resumed = await info.context.services.error_log.resume(info.context.shop)
        return SyncResumed(resumed=resumed)

    @strawberry.mutation
    async def start_product_sync(self, info: Info, dry_run: bool) -> StartProductSyncResult:
        """Sync every product (both directions as configured), or only report what would change."""
        if not info.context.can_change:
            return _forbidden()
        return await request_product_sync(info.context.services, info.context.shop, dry_run=dry_run)


def _is_unexpected(error: GraphQLError) -> bool:
    """Mask resolver crashes (their text may hold internals); keep query and argument errors."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


def _mask_errors() -> MaskErrors:
    return MaskErrors(should_mask_error=_is_unexpected)


schema = strawberry.Schema(query=Query, mutation=Mutation, extensions=[_mask_errors])
