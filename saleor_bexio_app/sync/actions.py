"""The order-action matrix: which bexio actions run when a Saleor order reaches which state.

Contract of `plan_order_actions`: every action runs at most once per order (the ledger `done`
is never planned again), in the fixed order of `ACTION_ORDER`, and a missing prerequisite is
added only when the merchant ticked it for some state; otherwise it is a problem, never a guess.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from saleor_bexio_app.errors import ConfigError
from saleor_bexio_app.sync.model import (
    ZERO,
    ChargeStatus,
    Order,
    OrderStatus,
    SettingsProblem,
    Severity,
)


class OrderStateRow(StrEnum):
    """A row of the matrix: an order status or a payment state."""

    UNCONFIRMED = "unconfirmed"
    UNFULFILLED = "unfulfilled"
    PARTIALLY_FULFILLED = "partially_fulfilled"
    FULFILLED = "fulfilled"
    PARTIALLY_RETURNED = "partially_returned"
    RETURNED = "returned"
    CANCELED = "canceled"
    EXPIRED = "expired"
    PAID_IN_FULL = "paid_in_full"
    PARTIALLY_PAID = "partially_paid"
    REFUNDED = "refunded"


class BexioAction(StrEnum):
    """A column of the matrix: something the app does in bexio for an order."""

    CREATE_ORDER = "create_order"
    CREATE_INVOICE = "create_invoice"
    ISSUE_INVOICE = "issue_invoice"
    SEND_INVOICE = "send_invoice"
    RECORD_PAYMENT = "record_payment"
    CREATE_DELIVERY = "create_delivery"
    CANCEL_INVOICE = "cancel_invoice"


ACTION_ORDER: tuple[BexioAction, ...] = tuple(BexioAction)
"""Dependency order: order, invoice, issue, send, payment, delivery (after order), cancel last."""

PREREQUISITES: Mapping[BexioAction, tuple[BexioAction, ...]] = {
    BexioAction.CREATE_ORDER: (),
    BexioAction.CREATE_INVOICE: (),
    BexioAction.ISSUE_INVOICE: (BexioAction.CREATE_INVOICE,),
    # bexio sends and takes payments only for issued invoices (API.md §c).
    BexioAction.SEND_INVOICE: (BexioAction.ISSUE_INVOICE,),
    BexioAction.RECORD_PAYMENT: (BexioAction.ISSUE_INVOICE,),
    # Deliveries can only be made from a bexio order.
    BexioAction.CREATE_DELIVERY: (BexioAction.CREATE_ORDER,),
    # Never created just to be cancelled: without an invoice, cancelling is skipped.
    BexioAction.CANCEL_INVOICE: (BexioAction.CREATE_INVOICE,),
}

ACTION_LABELS: Mapping[BexioAction, str] = {
    BexioAction.CREATE_ORDER: "Create order",
    BexioAction.CREATE_INVOICE: "Create invoice",
    BexioAction.ISSUE_INVOICE: "Issue invoice",
    BexioAction.SEND_INVOICE: "Send invoice by e-mail",
    BexioAction.RECORD_PAYMENT: "Record payment",
    BexioAction.CREATE_DELIVERY: "Create delivery",
    BexioAction.CANCEL_INVOICE: "Cancel invoice",
}

ROW_LABELS: Mapping[OrderStateRow, str] = {
    OrderStateRow.UNCONFIRMED: "Unconfirmed",
    OrderStateRow.UNFULFILLED: "Confirmed (unfulfilled)",
    OrderStateRow.PARTIALLY_FULFILLED: "Partially fulfilled",
    OrderStateRow.FULFILLED: "Fulfilled",
    OrderStateRow.PARTIALLY_RETURNED: "Partially returned",
    OrderStateRow.RETURNED: "Returned",
    OrderStateRow.CANCELED: "Cancelled",
    OrderStateRow.EXPIRED: "Expired",
    OrderStateRow.PAID_IN_FULL: "Paid in full",
    OrderStateRow.PARTIALLY_PAID: "Partially paid",
    OrderStateRow.REFUNDED: "Refunded",
}

_INVOICE_ACTIONS = frozenset(
    {
        BexioAction.CREATE_INVOICE,
        BexioAction.ISSUE_INVOICE,
        BexioAction.SEND_INVOICE,
        BexioAction.RECORD_PAYMENT,
    }
)

# The life of a confirmed order; reaching a state means having reached the ones before it, so
# an order first seen late (webhooks lost or out of order) still gets the earlier rows' actions.
_LIFECYCLE: tuple[OrderStatus, ...] = (
    OrderStatus.UNCONFIRMED,
    OrderStatus.UNFULFILLED,
    OrderStatus.PARTIALLY_FULFILLED,
    OrderStatus.FULFILLED,
    OrderStatus.PARTIALLY_RETURNED,
    OrderStatus.RETURNED,
)
_STATUS_ROWS: Mapping[OrderStatus, OrderStateRow] = {
    OrderStatus.UNCONFIRMED: OrderStateRow.UNCONFIRMED,
    OrderStatus.UNFULFILLED: OrderStateRow.UNFULFILLED,
    OrderStatus.PARTIALLY_FULFILLED: OrderStateRow.PARTIALLY_FULFILLED,
    OrderStatus.FULFILLED: OrderStateRow.FULFILLED,
    OrderStatus.PARTIALLY_RETURNED: OrderStateRow.PARTIALLY_RETURNED,
    OrderStatus.RETURNED: OrderStateRow.RETURNED,
    OrderStatus.CANCELED: OrderStateRow.CANCELED,
    OrderStatus.EXPIRED: OrderStateRow.EXPIRED,
}


@dataclass(frozen=True, slots=True)
class ActionMatrix:
    """The ticked cells of the matrix, as (row, action) pairs."""

    cells: frozenset[tuple[OrderStateRow, BexioAction]]

    @classmethod
    def from_mapping(cls, rows: Mapping[str, Iterable[str]]) -> ActionMatrix:
        """Build from `{row: [action, ...]}` as stored; unknown names raise ConfigError."""
        cells: set[tuple[OrderStateRow, BexioAction]] = set()
        for row_name, action_names in rows.items():
            try:
                row = OrderStateRow(row_name)
            except ValueError:
                raise ConfigError(
                    f"The order-action matrix has an unknown state {row_name!r}."
                ) from None
            for action_name in action_names:
                try:
                    cells.add((row, BexioAction(action_name)))
                except ValueError:
                    raise ConfigError(
                        f"The order-action matrix has an unknown action {action_name!r}."
                    ) from None
        return cls(frozenset(cells))

    def to_mapping(self) -> dict[str, list[str]]:
        """`{row: [action, ...]}` with every row present, actions in dependency order."""
        return {
            row.value: [action.value for action in ACTION_ORDER if (row, action) in self.cells]
            for row in OrderStateRow
        }

    def actions_for(self, row: OrderStateRow) -> frozenset[BexioAction]:
        """The actions ticked in one row."""
        return frozenset(action for cell_row, action in self.cells if cell_row == row)

    def ticked_actions(self) -> frozenset[BexioAction]:
        """Every action ticked in at least one row."""
        return frozenset(action for _, action in self.cells)

    def is_ticked_anywhere(self, action: BexioAction) -> bool:
        """Whether some row ticks the action (only then may it run as a prerequisite)."""
        return any(cell_action == action for _, cell_action in self.cells)

    def problems(self) -> list[SettingsProblem]:
        """Ticked actions whose prerequisites no row ticks, plus risky combinations."""
        ticked = self.ticked_actions()
        problems: list[SettingsProblem] = []
        for action in ACTION_ORDER:
            if action not in ticked or action == BexioAction.CANCEL_INVOICE:
                continue
            for needed in PREREQUISITES[action]:
                if needed not in ticked:
                    problems.append(
                        SettingsProblem(
                            "order_actions",
                            f"“{ACTION_LABELS[action]}” needs “{ACTION_LABELS[needed]}”, "
                            "which is not ticked for any order state.",
                        )
                    )
        if (OrderStateRow.PARTIALLY_PAID, BexioAction.RECORD_PAYMENT) in self.cells:
            problems.append(
                SettingsProblem(
                    "order_actions",
                    "“Record payment” on “Partially paid” records only the first partial "
                    "amount; later payments must be booked in bexio.",
                    Severity.WARNING,
                )
            )
        return problems


def default_matrix() -> ActionMatrix:
    """Confirmed: create, issue, send invoice; paid in full: record payment; cancelled: cancel."""
    return ActionMatrix(
        frozenset(
            {
                (OrderStateRow.UNFULFILLED, BexioAction.CREATE_INVOICE),
                (OrderStateRow.UNFULFILLED, BexioAction.ISSUE_INVOICE),
                (OrderStateRow.UNFULFILLED, BexioAction.SEND_INVOICE),
                (OrderStateRow.PAID_IN_FULL, BexioAction.RECORD_PAYMENT),
                (OrderStateRow.CANCELED, BexioAction.CANCEL_INVOICE),
                (OrderStateRow.EXPIRED, BexioAction.CANCEL_INVOICE),
            }
        )
    )


def is_fully_refunded(order: Order) -> bool:
    """Whether everything charged has been refunded (Saleor lowers totalCharged on refunds)."""
    return order.total_refunded > ZERO and order.total_charged <= ZERO


def order_rows(order: Order) -> frozenset[OrderStateRow]:
    """The matrix rows an order has reached.

    A confirmed order has reached its status and every status before it in the lifecycle, plus
    its payment rows. Payment rows wait for confirmation (an unconfirmed order's prices can
    still change). Cancelled and expired orders reach only their own row (and Refunded).
    """
    rows: set[OrderStateRow] = set()
    if order.status == OrderStatus.DRAFT:
        return frozenset()
    if order.status in _LIFECYCLE:
        reached = _LIFECYCLE[: _LIFECYCLE.index(order.status) + 1]
        rows.update(_STATUS_ROWS[status] for status in reached)
        if order.status != OrderStatus.UNCONFIRMED:
            if order.charge_status in (ChargeStatus.FULL, ChargeStatus.OVERCHARGED):
                rows.add(OrderStateRow.PAID_IN_FULL)
            elif order.charge_status == ChargeStatus.PARTIAL:
                rows.add(OrderStateRow.PARTIALLY_PAID)
    else:
        rows.add(_STATUS_ROWS[order.status])
    if is_fully_refunded(order):
        rows.add(OrderStateRow.REFUNDED)
    return frozenset(rows)


@dataclass(frozen=True, slots=True)
class SkippedAction:
    """A wanted action that will not run, and why (shown in the sync log)."""

    action: BexioAction
    reason: str


@dataclass(frozen=True, slots=True)
class ActionProblem:
    """A wanted action that cannot run because a prerequisite is not ticked anywhere."""

    action: BexioAction
    missing: BexioAction
    message: str


@dataclass(frozen=True, slots=True)
class ActionPlan:
    """The actions to run now, in order, and what was skipped or is misconfigured."""

    rows: frozenset[OrderStateRow]
    actions: tuple[BexioAction, ...] = ()
    pulled_in: frozenset[BexioAction] = frozenset()
    skipped: tuple[SkippedAction, ...] = ()
    problems: tuple[ActionProblem, ...] = ()

    @property
    def invoice_from_order(self) -> bool:
        """Whether a planned invoice is made from the bexio order (when one is also planned)."""
        return BexioAction.CREATE_ORDER in self.actions

    def error(self) -> ConfigError | None:
        """One ConfigError for all problems (raised after the runnable actions ran), or None."""
        if not self.problems:
            return None
        return ConfigError(" ".join(problem.message for problem in self.problems))


def plan_order_actions(
    order: Order, matrix: ActionMatrix, done: frozenset[BexioAction]
) -> ActionPlan:
    """The bexio actions to run now for the order's current state, given the ledger `done`."""
    rows = order_rows(order)
    wanted = frozenset(action for row in rows for action in matrix.actions_for(row))
    planned: set[BexioAction] = set()
    pulled: set[BexioAction] = set()
    skipped: list[SkippedAction] = []
    problems: list[ActionProblem] = []

    def satisfy(action: BexioAction) -> bool:
        if action in done or action in planned:
            return True
        for needed in PREREQUISITES[action]:
            if needed in done or needed in planned:
                continue
            if needed not in wanted and not matrix.is_ticked_anywhere(needed):
                problems.append(
                    ActionProblem(
                        action,
                        needed,
                        f"“{ACTION_LABELS[action]}” needs “{ACTION_LABELS[needed]}”, which is "
                        f"not ticked for any order state: tick it, or untick "
                        f"“{ACTION_LABELS[action]}”.",
                    )
                )
                return False
            if not satisfy(needed):
                return False
            if needed not in wanted:
                pulled.add(needed)
        planned.add(action)
        return True

    for action in ACTION_ORDER:
        if action not in wanted or action in done:
            continue
        if BexioAction.CANCEL_INVOICE in done and action in _INVOICE_ACTIONS:
            skipped.append(SkippedAction(action, "The bexio invoice was cancelled."))
            continue
        if action == BexioAction.CANCEL_INVOICE and not (
            BexioAction.CREATE_INVOICE in done or BexioAction.CREATE_INVOICE in planned
        ):
            skipped.append(SkippedAction(action, "There is no bexio invoice to cancel."))
            continue
        satisfy(action)

    return ActionPlan(
        rows=rows,
        actions=tuple(action for action in ACTION_ORDER if action in planned),
        pulled_in=frozenset(pulled),
        skipped=tuple(skipped),
        problems=tuple(problems),
    )
