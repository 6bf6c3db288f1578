"""Shop settings validation."""

from __future__ import annotations

from typing import Any

import pytest

from saleor_bexio_app.ids import BexioBankAccountId
from saleor_bexio_app.sync.actions import ActionMatrix, BexioAction, OrderStateRow
from saleor_bexio_app.sync.model import SettingsProblem, Severity, validate_settings
from tests.builders import make_settings

PAYMENT_ONLY = ActionMatrix(frozenset({(OrderStateRow.PAID_IN_FULL, BexioAction.RECORD_PAYMENT)}))
PARTIAL_PAYMENT = ActionMatrix(
    frozenset(
        {
            (OrderStateRow.UNFULFILLED, BexioAction.CREATE_INVOICE),
            (OrderStateRow.UNFULFILLED, BexioAction.ISSUE_INVOICE),
            (OrderStateRow.PARTIALLY_PAID, BexioAction.RECORD_PAYMENT),
        }
    )
)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        pytest.param({}, [], id="complete"),
        pytest.param(
            {"bexio_user_id": None, "revenue_account_id": None},
            [("bexio_user_id", Severity.ERROR), ("revenue_account_id", Severity.ERROR)],
            id="general-settings-missing",
        ),
        pytest.param(
            {"pause_threshold": 0}, [("pause_threshold", Severity.ERROR)], id="pause-threshold"
        ),
        pytest.param(
            {"email_body": "Your invoice is attached."},
            [("email_body", Severity.ERROR)],
            id="e-mail-without-network-link",
        ),
        pytest.param(
            {"email_subject": " "}, [("email_subject", Severity.ERROR)], id="e-mail-subject"
        ),
        pytest.param(
            {"order_actions": PAYMENT_ONLY},
            [("order_actions", Severity.ERROR)],
            id="payment-without-invoice",
        ),
        pytest.param(
            {"order_actions": PARTIAL_PAYMENT, "bank_account_id": None},
            [("payment_bank_account_id", Severity.ERROR), ("order_actions", Severity.WARNING)],
            id="errors-before-warnings",
        ),
        pytest.param(
            {"bank_account_id": None, "payment_bank_account_id": BexioBankAccountId(8)},
            [],
            id="payment-account-alone-is-enough",
        ),
        pytest.param(
            {"order_actions": ActionMatrix(frozenset()), "email_body": "", "bank_account_id": None},
            [],
            id="nothing-ticked-needs-no-texts",
        ),
    ],
)
def test_validate_settings_names_each_setting_to_fix(
    overrides: dict[str, Any], expected: list[tuple[str, Severity]]
) -> None:
    problems = validate_settings(make_settings(**overrides))

    assert [(p.setting, p.severity) for p in problems] == expected
    assert all(isinstance(p, SettingsProblem) and p.message for p in problems)
