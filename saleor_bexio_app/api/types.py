"""GraphQL types of the dashboard API: what the pages read and the typed results of writes."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from saleor_bexio_app.bexio.tokens import broken_reason_code
from saleor_bexio_app.store.connections import BexioConnection as StoredConnection
from saleor_bexio_app.store.connections import ConnectionStatus
from saleor_bexio_app.store.error_log import ErrorEntry, PauseState
from saleor_bexio_app.sync.actions import (
    ACTION_LABELS,
    ACTION_ORDER,
    ROW_LABELS,
    ActionMatrix,
    OrderStateRow,
)
from saleor_bexio_app.sync.model import SettingsProblem as DomainProblem
from saleor_bexio_app.sync.model import Severity


@strawberry.enum
class ProblemSeverity(Enum):
    """ERROR blocks saving; WARNING is saved but deserves a look."""

    ERROR = "error"
    WARNING = "warning"


@strawberry.type
class Shop:
    """The shop whose dashboard token made the request."""

    saleor_api_url: str
    shop_name: str


@strawberry.type
class BexioConnection:
    """The shop's bexio connection; status is `connected`, `broken` or `disconnected`."""

    status: str
    company_name: str | None
    user_name: str | None
    broken_reason: str | None
    broken_reason_code: str | None = strawberry.field(
        description="The broken reason's message code (see SyncError.messageCode), if it has one"
    )
    connected_at: datetime | None

    @classmethod
    def of(cls, connection: StoredConnection | None) -> BexioConnection:
        if connection is None:
            return cls(
                status=ConnectionStatus.DISCONNECTED.value,
                company_name=None,
                user_name=None,
                broken_reason=None,
                broken_reason_code=None,
                connected_at=None,
            )
        code = broken_reason_code(connection.broken_reason)
        return cls(
            status=connection.status.value,
            company_name=connection.company_name or None,
            user_name=connection.user_name or None,
            broken_reason=connection.broken_reason,
            broken_reason_code=None if code is None else code.value,
            connected_at=connection.connected_at,
        )


@strawberry.type
class SettingsProblem:
    """One problem with the settings; `setting` is the JSON key ("" for the whole document)."""

    setting: str
    message: str
    severity: ProblemSeverity

    @classmethod
    def of(cls, problem: DomainProblem) -> SettingsProblem:
        severity = (
            ProblemSeverity.ERROR if problem.severity == Severity.ERROR else ProblemSeverity.WARNING
        )
        return cls(setting=problem.setting, message=problem.message, severity=severity)


@strawberry.type
class ShopSettings:
    """The settings document (see store/settings_codec.py) and what is wrong with it now."""

    json: JSON
    problems: list[SettingsProblem]


@strawberry.type
class MatrixRow:
    """An order state; `actions` are the bexio actions ticked for it, in dependency order."""

    row: str
    label: str
    actions: list[str]


@strawberry.type
class MatrixColumn:
    """A bexio action the matrix can tick."""

    action: str
    label: str


@strawberry.type
class OrderActionMatrix:
    """The matrix of order states and bexio actions, with the shop's ticks."""

    rows: list[MatrixRow]
    columns: list[MatrixColumn]

    @classmethod
    def of(cls, matrix: ActionMatrix) -> OrderActionMatrix:
        ticked = matrix.to_mapping()
        return cls(
            rows=[
                MatrixRow(row=row.value, label=ROW_LABELS[row], actions=ticked[row.value])
                for row in OrderStateRow
            ],
            columns=[
                MatrixColumn(action=action.value, label=ACTION_LABELS[action])
                for action in ACTION_ORDER
            ],
        )


@strawberry.type
class VatMapping:
    """The VAT mapping document (see store/settings_codec.py)."""

    json: JSON


@strawberry.type
class SyncError:
    """One failing sync target in the error log; `detail` is for operators and holds no secrets."""

    id: int
    kind: str
    key: str
    reason: str
    user_message: str
    detail: str
    occurrences: int
    first_seen_at: datetime
    last_seen_at: datetime
    status: str
    bexio_invoice_id: int | None
    message_code: str | None = strawberry.field(
        description="Names `userMessage` for translation (e.g. vat_rate_unmapped); null if none"
    )
    message_params: JSON = strawberry.field(
        description="The values the translated message shows (strings and numbers); {} if none"
    )

    @classmethod
    def of(cls, entry: ErrorEntry) -> SyncError:
        return cls(
            id=entry.id,
            kind=entry.kind,
            key=entry.key,
            reason=entry.reason,
            user_message=entry.user_message,
            detail=entry.detail,
            occurrences=entry.occurrences,
            first_seen_at=entry.first_seen_at,
            last_seen_at=entry.last_seen_at,
            status=entry.status,
            bexio_invoice_id=entry.bexio_invoice_id,
            message_code=entry.message_code,
            message_params=JSON(entry.message_params),
        )


@strawberry.type
class SyncPause:
    """Since when and why the shop's sync is paused."""

    paused_at: datetime
    reason: str
    code: str = strawberry.field(
        description="connection_broken, unresolved_errors or other (then show `reason`)"
    )
    open_errors: int | None = strawberry.field(
        description="For unresolved_errors: how many paused the shop"
    )

    @classmethod
    def of(cls, pause: PauseState) -> SyncPause:
        return cls(
            paused_at=pause.paused_at,
            reason=pause.reason,
            code=pause.code,
            open_errors=pause.open_errors,
        )


# Results of mutations


@strawberry.type
class Forbidden:
    """The staff user lacks `permission` for this change."""

    permission: str
    message: str


@strawberry.type
class ConnectUrl:
    """Open `url` in a new tab: bexio's login, which returns to the app's callback."""

    url: str


@strawberry.type
class BexioNotConfigured:
    """The app's operator has not configured a bexio OAuth client."""

    message: str


@strawberry.type
class Disconnected:
    """The shop's bexio tokens are deleted; `revokedAtBexio` says whether bexio confirmed it."""

    revoked_at_bexio: bool


@strawberry.type
class SettingsSaved:
    """The settings were saved; `warnings` deserve a look but do not block the sync."""

    json: JSON
    warnings: list[SettingsProblem]


@strawberry.type
class SettingsInvalid:
    """Nothing was saved; `problems` lists every error (and warning) found."""

    problems: list[SettingsProblem]


@strawberry.type
class VatMappingSaved:
    """The VAT mapping was saved as `json`."""

    json: JSON


@strawberry.type
class VatMappingInvalid:
    """Nothing was saved."""

    message: str


@strawberry.type
class ErrorsRetried:
    """How many open errors were queued to run again (other shops' or closed ids are ignored)."""

    count: int


@strawberry.type
class ErrorsDismissed:
    """How many open errors were dismissed (other shops' or closed ids are ignored)."""

    count: int


@strawberry.type
class SyncResumed:
    """Whether a pause was lifted (False: the sync was not paused)."""

    resumed: bool


StartBexioConnectResult = Annotated[
    ConnectUrl | BexioNotConfigured | Forbidden, strawberry.union("StartBexioConnectResult")
]
DisconnectBexioResult = Annotated[
    Disconnected | Forbidden, strawberry.union("DisconnectBexioResult")
]
SaveSettingsResult = Annotated[
    SettingsSaved | SettingsInvalid | Forbidden, strawberry.union("SaveSettingsResult")
]
SaveVatMappingResult = Annotated[
    VatMappingSaved | VatMappingInvalid | Forbidden, strawberry.union("SaveVatMappingResult")
]
RetryErrorsResult = Annotated[ErrorsRetried | Forbidden, strawberry.union("RetryErrorsResult")]
DismissErrorsResult = Annotated[
    ErrorsDismissed | Forbidden, strawberry.union("DismissErrorsResult")
]
ResumeSyncResult = Annotated[SyncResumed | Forbidden, strawberry.union("ResumeSyncResult")]
