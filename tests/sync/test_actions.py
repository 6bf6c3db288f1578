"""The order-action matrix: states, matrix and ledger → the actions to run now."""

from __future__ import annotations

import itertools

import pytest

from saleor_bexio_app.errors import ConfigError
from saleor_bexio_app.sync.actions import (
    ACTION_ORDER,
    ActionMatrix,
    BexioAction,
    OrderStateRow,
    default_matrix,
    order_rows,
    plan_order_actions,
)
from saleor_bexio_app.sync.model import ChargeStatus, Order, OrderStatus, Severity
from tests.builders import d, make_order

A = BexioAction
R = OrderStateRow
S = OrderStatus
C = ChargeStatus

INVOICE_FLOW = (A.CREATE_INVOICE, A.ISSUE_INVOICE, A.SEND_INVOICE)
EVERYTHING = ActionMatrix(frozenset((row, action) for row in R for action in A))


def matrix(**rows: tuple[BexioAction, ...]) -> ActionMatrix:
    return ActionMatrix(
        frozenset((R(row), action) for row, actions in rows.items() for action in actions)
    )


def order(
    status: OrderStatus = S.UNFULFILLED,
    charge: ChargeStatus = C.NONE,
    *,
    charged: str = "0",
    refunded: str = "0",
) -> Order:
    return make_order(
        status=status, charge_status=charge, total_charged=d(charged), total_refunded=d(refunded)
    )


@pytest.mark.parametrize(
    ("status", "charge", "charged", "refunded", "expected"),
    [
        (S.DRAFT, C.FULL, "100", "0", set()),
        (S.UNCONFIRMED, C.NONE, "0", "0", {R.UNCONFIRMED}),
        # Payment rows wait for confirmation: an unconfirmed order's prices can still change.
        (S.UNCONFIRMED, C.FULL, "100", "0", {R.UNCONFIRMED}),
        (S.UNFULFILLED, C.NONE, "0", "0", {R.UNCONFIRMED, R.UNFULFILLED}),
        (S.UNFULFILLED, C.PARTIAL, "40", "0", {R.UNCONFIRMED, R.UNFULFILLED, R.PARTIALLY_PAID}),
        (
            S.FULFILLED,
            C.OVERCHARGED,
            "120",
            "0",
            {R.UNCONFIRMED, R.UNFULFILLED, R.PARTIALLY_FULFILLED, R.FULFILLED, R.PAID_IN_FULL},
        ),
        (
            S.RETURNED,
            C.NONE,
            "0",
            "100",
            {
                R.UNCONFIRMED,
                R.UNFULFILLED,
                R.PARTIALLY_FULFILLED,
                R.FULFILLED,
                R.PARTIALLY_RETURNED,
                R.RETURNED,
                R.REFUNDED,
            },
        ),
        # A partial refund is no matrix row (it becomes a manual credit-note item).
        (S.UNFULFILLED, C.PARTIAL, "60", "40", {R.UNCONFIRMED, R.UNFULFILLED, R.PARTIALLY_PAID}),
        (S.CANCELED, C.FULL, "100", "0", {R.CANCELED}),
        (S.CANCELED, C.NONE, "0", "100", {R.CANCELED, R.REFUNDED}),
        (S.EXPIRED, C.NONE, "0", "0", {R.EXPIRED}),
    ],
)
def test_order_reaches_its_status_the_statuses_before_it_and_its_payment_rows(
    status: OrderStatus,
    charge: ChargeStatus,
    charged: str,
    refunded: str,
    expected: set[OrderStateRow],
) -> None:
    assert order_rows(order(status, charge, charged=charged, refunded=refunded)) == expected


DEFAULT = default_matrix()


@pytest.mark.parametrize(
    ("the_order", "the_matrix", "done", "actions", "pulled_in"),
    [
        pytest.param(order(S.UNCONFIRMED), DEFAULT, set(), (), set(), id="unconfirmed"),
        pytest.param(order(S.UNFULFILLED), DEFAULT, set(), INVOICE_FLOW, set(), id="confirmed"),
        pytest.param(
            order(S.UNFULFILLED, C.FULL, charged="100"),
            DEFAULT,
            set(),
            (*INVOICE_FLOW, A.RECORD_PAYMENT),
            set(),
            id="confirmed-and-paid",
        ),
        pytest.param(
            order(S.FULFILLED, C.FULL, charged="100"),
            DEFAULT,
            set(),
            (*INVOICE_FLOW, A.RECORD_PAYMENT),
            set(),
            id="first-seen-fulfilled-and-paid",
        ),
        pytest.param(
            order(S.FULFILLED, C.FULL, charged="100"),
            DEFAULT,
            set(INVOICE_FLOW),
            (A.RECORD_PAYMENT,),
            set(),
            id="paid-after-invoicing",
        ),
        pytest.param(
            order(S.FULFILLED, C.FULL, charged="100"),
            DEFAULT,
            {*INVOICE_FLOW, A.RECORD_PAYMENT},
            (),
            set(),
            id="all-done",
        ),
        pytest.param(
            order(S.UNCONFIRMED, C.FULL, charged="100"),
            DEFAULT,
            set(),
            (),
            set(),
            id="paid-but-unconfirmed-waits",
        ),
        pytest.param(order(S.CANCELED), DEFAULT, set(), (), set(), id="cancelled-before-invoicing"),
        pytest.param(
            order(S.CANCELED),
            DEFAULT,
            set(INVOICE_FLOW),
            (A.CANCEL_INVOICE,),
            set(),
            id="cancelled-after-invoicing",
        ),
        pytest.param(
            order(S.CANCELED, C.FULL, charged="100"),
            DEFAULT,
            {*INVOICE_FLOW, A.RECORD_PAYMENT},
            (A.CANCEL_INVOICE,),
            set(),
            id="paid-then-cancelled",
        ),
        pytest.param(
            order(S.CANCELED),
            DEFAULT,
            {*INVOICE_FLOW, A.CANCEL_INVOICE},
            (),
            set(),
            id="cancelled-twice",
        ),
        pytest.param(order(S.EXPIRED), DEFAULT, set(), (), set(), id="expired-unpaid"),
        pytest.param(
            order(S.DRAFT, C.FULL, charged="100"), EVERYTHING, set(), (), set(), id="draft"
        ),
        pytest.param(
            order(S.UNFULFILLED, C.FULL, charged="100"),
            matrix(
                unfulfilled=(A.CREATE_INVOICE,),
                fulfilled=(A.ISSUE_INVOICE,),
                paid_in_full=(A.RECORD_PAYMENT,),
            ),
            set(),
            (A.CREATE_INVOICE, A.ISSUE_INVOICE, A.RECORD_PAYMENT),
            {A.ISSUE_INVOICE},
            id="payment-pulls-issue-ticked-elsewhere",
        ),
        pytest.param(
            order(S.UNCONFIRMED),
            matrix(unconfirmed=(A.SEND_INVOICE,), fulfilled=(A.CREATE_INVOICE, A.ISSUE_INVOICE)),
            set(),
            INVOICE_FLOW,
            {A.CREATE_INVOICE, A.ISSUE_INVOICE},
            id="send-pulls-issue-and-create",
        ),
        pytest.param(
            order(S.FULFILLED, C.FULL, charged="100"),
            matrix(
                unconfirmed=(A.CREATE_ORDER,),
                fulfilled=(A.CREATE_DELIVERY,),
                paid_in_full=(A.CREATE_INVOICE, A.ISSUE_INVOICE, A.RECORD_PAYMENT),
            ),
            set(),
            (
                A.CREATE_ORDER,
                A.CREATE_INVOICE,
                A.ISSUE_INVOICE,
                A.RECORD_PAYMENT,
                A.CREATE_DELIVERY,
            ),
            set(),
            id="order-invoice-payment-delivery",
        ),
        pytest.param(
            order(S.PARTIALLY_FULFILLED),
            matrix(unconfirmed=(A.CREATE_ORDER,), unfulfilled=(A.CREATE_INVOICE,)),
            set(),
            (A.CREATE_ORDER, A.CREATE_INVOICE),
            set(),
            id="earlier-rows-apply-when-first-seen-later",
        ),
        pytest.param(
            order(S.RETURNED, C.NONE, refunded="100"),
            matrix(
                unfulfilled=(A.CREATE_INVOICE, A.ISSUE_INVOICE),
                refunded=(A.CANCEL_INVOICE,),
            ),
            {A.CREATE_INVOICE, A.ISSUE_INVOICE},
            (A.CANCEL_INVOICE,),
            set(),
            id="refunded-row",
        ),
        pytest.param(
            order(S.UNFULFILLED, C.PARTIAL, charged="40"),
            matrix(
                unfulfilled=(A.CREATE_INVOICE, A.ISSUE_INVOICE),
                partially_paid=(A.RECORD_PAYMENT,),
            ),
            set(),
            (A.CREATE_INVOICE, A.ISSUE_INVOICE, A.RECORD_PAYMENT),
            set(),
            id="partially-paid-row",
        ),
    ],
)
def test_plan_runs_each_ticked_action_of_the_reached_rows_once_in_dependency_order(
    the_order: Order,
    the_matrix: ActionMatrix,
    done: set[BexioAction],
    actions: tuple[BexioAction, ...],
    pulled_in: set[BexioAction],
) -> None:
    plan = plan_order_actions(the_order, the_matrix, frozenset(done))

    assert plan.actions == actions
    assert plan.pulled_in == pulled_in
    assert plan.problems == ()
    assert plan.error() is None


@pytest.mark.parametrize(
    ("the_matrix", "the_order", "actions", "missing"),
    [
        pytest.param(
            matrix(paid_in_full=(A.RECORD_PAYMENT,)),
            order(S.UNFULFILLED, C.FULL, charged="100"),
            (),
            [(A.RECORD_PAYMENT, A.ISSUE_INVOICE)],
            id="payment-without-issue",
        ),
        pytest.param(
            matrix(unfulfilled=(A.CREATE_INVOICE, A.SEND_INVOICE)),
            order(S.UNFULFILLED),
            (A.CREATE_INVOICE,),
            [(A.SEND_INVOICE, A.ISSUE_INVOICE)],
            id="send-without-issue-still-creates",
        ),
        pytest.param(
            matrix(fulfilled=(A.CREATE_DELIVERY,)),
            order(S.FULFILLED),
            (),
            [(A.CREATE_DELIVERY, A.CREATE_ORDER)],
            id="delivery-without-order",
        ),
        pytest.param(
            matrix(unfulfilled=(A.ISSUE_INVOICE,)),
            order(S.UNFULFILLED),
            (),
            [(A.ISSUE_INVOICE, A.CREATE_INVOICE)],
            id="issue-without-create",
        ),
    ],
)
def test_missing_prerequisite_not_ticked_anywhere_is_a_problem_not_a_guess(
    the_matrix: ActionMatrix,
    the_order: Order,
    actions: tuple[BexioAction, ...],
    missing: list[tuple[BexioAction, BexioAction]],
) -> None:
    plan = plan_order_actions(the_order, the_matrix, frozenset())

    assert plan.actions == actions
    assert [(p.action, p.missing) for p in plan.problems] == missing
    error = plan.error()
    assert isinstance(error, ConfigError)
    assert "is not ticked for any order state" in error.user_message


def test_problem_message_names_both_actions() -> None:
    plan = plan_order_actions(
        order(S.UNFULFILLED, C.FULL, charged="100"),
        matrix(paid_in_full=(A.RECORD_PAYMENT,)),
        frozenset(),
    )

    assert plan.problems[0].message == (
        "“Record payment” needs “Issue invoice”, which is not ticked for any order state: "
        "tick it, or untick “Record payment”."
    )


def test_prerequisite_already_in_ledger_needs_no_tick() -> None:
    plan = plan_order_actions(
        order(S.UNFULFILLED, C.FULL, charged="100"),
        matrix(paid_in_full=(A.RECORD_PAYMENT,)),
        frozenset({A.CREATE_INVOICE, A.ISSUE_INVOICE}),
    )

    assert plan.actions == (A.RECORD_PAYMENT,)
    assert plan.problems == ()


def test_cancelled_invoice_blocks_later_invoice_actions() -> None:
    plan = plan_order_actions(
        order(S.FULFILLED, C.FULL, charged="100"),
        DEFAULT,
        frozenset({A.CREATE_INVOICE, A.ISSUE_INVOICE, A.CANCEL_INVOICE}),
    )

    assert plan.actions == ()
    assert {(s.action, s.reason) for s in plan.skipped} == {
        (A.SEND_INVOICE, "The bexio invoice was cancelled."),
        (A.RECORD_PAYMENT, "The bexio invoice was cancelled."),
    }


def test_cancel_without_invoice_is_skipped_with_a_reason() -> None:
    plan = plan_order_actions(order(S.CANCELED), DEFAULT, frozenset())

    assert [(s.action, s.reason) for s in plan.skipped] == [
        (A.CANCEL_INVOICE, "There is no bexio invoice to cancel.")
    ]


def test_invoice_is_made_from_the_bexio_order_when_both_are_planned() -> None:
    plan = plan_order_actions(
        order(S.UNFULFILLED), matrix(unfulfilled=(A.CREATE_ORDER, A.CREATE_INVOICE)), frozenset()
    )

    assert plan.actions == (A.CREATE_ORDER, A.CREATE_INVOICE)
    assert plan.invoice_from_order


_STATES = [
    (status, charge, refunded) for status, charge, refunded in itertools.product(S, C, ("0", "100"))
]


@pytest.mark.parametrize("the_matrix", [DEFAULT, EVERYTHING], ids=["default", "everything"])
@pytest.mark.parametrize(("status", "charge", "refunded"), _STATES)
def test_running_the_plan_then_planning_again_plans_nothing(
    the_matrix: ActionMatrix, status: OrderStatus, charge: ChargeStatus, refunded: str
) -> None:
    the_order = order(status, charge, charged="0" if refunded != "0" else "100", refunded=refunded)

    first = plan_order_actions(the_order, the_matrix, frozenset())
    second = plan_order_actions(the_order, the_matrix, frozenset(first.actions))

    assert len(set(first.actions)) == len(first.actions)
    assert list(first.actions) == sorted(first.actions, key=ACTION_ORDER.index)
    assert second.actions == ()


@pytest.mark.parametrize(
    "observed",
    [
        pytest.param(
            [order(S.UNFULFILLED), order(S.FULFILLED, C.FULL, charged="100")], id="in-order"
        ),
        pytest.param(
            [order(S.FULFILLED, C.FULL, charged="100"), order(S.FULFILLED, C.FULL, charged="100")],
            id="late-and-twice",
        ),
        pytest.param(
            [
                order(S.UNCONFIRMED),
                order(S.UNFULFILLED, C.FULL, charged="100"),
                order(S.UNFULFILLED, C.FULL, charged="100"),
                order(S.FULFILLED, C.FULL, charged="100"),
            ],
            id="every-step-and-a-duplicate",
        ),
    ],
)
def test_every_delivery_sequence_ends_with_each_action_done_once(observed: list[Order]) -> None:
    done: list[BexioAction] = []
    for seen in observed:
        done.extend(plan_order_actions(seen, DEFAULT, frozenset(done)).actions)

    assert done == [*INVOICE_FLOW, A.RECORD_PAYMENT]


def test_default_matrix_is_the_documented_one() -> None:
    assert default_matrix().to_mapping() == {
        "unconfirmed": [],
        "unfulfilled": ["create_invoice", "issue_invoice", "send_invoice"],
        "partially_fulfilled": [],
        "fulfilled": [],
        "partially_returned": [],
        "returned": [],
        "canceled": ["cancel_invoice"],
        "expired": ["cancel_invoice"],
        "paid_in_full": ["record_payment"],
        "partially_paid": [],
        "refunded": [],
    }
    assert default_matrix().problems() == []


def test_matrix_round_trips_through_its_stored_mapping() -> None:
    assert ActionMatrix.from_mapping(EVERYTHING.to_mapping()) == EVERYTHING
    assert ActionMatrix.from_mapping(DEFAULT.to_mapping()) == DEFAULT


@pytest.mark.parametrize(
    ("stored", "message"),
    [
        ({"shipped": ["create_invoice"]}, "unknown state 'shipped'"),
        ({"unfulfilled": ["print_invoice"]}, "unknown action 'print_invoice'"),
    ],
)
def test_unknown_names_in_a_stored_matrix_are_config_errors(
    stored: dict[str, list[str]], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        ActionMatrix.from_mapping(stored)


@pytest.mark.parametrize(
    ("the_matrix", "expected"),
    [
        (DEFAULT, []),
        (EVERYTHING, [Severity.WARNING]),
        (matrix(paid_in_full=(A.RECORD_PAYMENT,)), [Severity.ERROR]),
        (matrix(fulfilled=(A.CREATE_DELIVERY, A.SEND_INVOICE)), [Severity.ERROR] * 2),
        (matrix(canceled=(A.CANCEL_INVOICE,)), []),
    ],
)
def test_matrix_problems_flag_prerequisites_ticked_nowhere(
    the_matrix: ActionMatrix, expected: list[Severity]
) -> None:
    assert [p.severity for p in the_matrix.problems()] == expected
