"""bexio wire models parse bexio's real answers, and decimals never pass through float."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from saleor_bexio_app.bexio.wire import (
    BexioAccount,
    BexioAccountType,
    BexioActionResult,
    BexioArticle,
    BexioArticleIn,
    BexioBankAccount,
    BexioCompanyProfile,
    BexioContact,
    BexioContactIn,
    BexioContactType,
    BexioCountry,
    BexioCurrency,
    BexioDelivery,
    BexioDeliveryStatus,
    BexioInvoice,
    BexioInvoiceIn,
    BexioInvoiceSendIn,
    BexioInvoiceStatus,
    BexioItemSetting,
    BexioLanguage,
    BexioOrder,
    BexioOrderStatus,
    BexioPayment,
    BexioPaymentIn,
    BexioPaymentType,
    BexioPosition,
    BexioPositionArticle,
    BexioPositionCustom,
    BexioPositionCustomIn,
    BexioPositionOther,
    BexioPositionRef,
    BexioPositionSubposition,
    BexioPositionText,
    BexioSearch,
    BexioSearchCriteria,
    BexioTax,
    BexioUnit,
    BexioUser,
    dumps,
    loads,
)
from saleor_bexio_app.ids import BexioContactId, BexioUserId

PAYLOADS = Path(__file__).parents[1] / "payloads" / "bexio_client"


def recorded_body(name: str) -> Any:
    """The body of a recorded answer, parsed the way the client parses it (no float)."""
    return loads(json.dumps(json.loads((PAYLOADS / name).read_text())["body"]))


RECORDED: list[tuple[str, type[BaseModel]]] = [
    ("GET_2.0_contact.json", BexioContact),
    ("GET_2.0_contact_ID.json", BexioContact),
    ("POST_2.0_contact.json", BexioContact),
    ("POST_2.0_contact_ID.json", BexioContact),
    ("POST_2.0_contact__for-edit.json", BexioContact),
    ("POST_2.0_contact_search.json", BexioContact),
    ("GET_2.0_article.json", BexioArticle),
    ("GET_2.0_article_ID.json", BexioArticle),
    ("POST_2.0_article.json", BexioArticle),
    ("POST_2.0_article_ID.json", BexioArticle),
    ("POST_2.0_article_search.json", BexioArticle),
    ("POST_2.0_kb_offer_ID_order.json", BexioOrder),
    ("GET_2.0_kb_invoice.json", BexioInvoice),
    ("GET_2.0_kb_invoice_ID.json", BexioInvoice),
    ("GET_2.0_kb_invoice_ID__for-edit.json", BexioInvoice),
    ("POST_2.0_kb_invoice.json", BexioInvoice),
    ("POST_2.0_kb_invoice__for-cancel.json", BexioInvoice),
    ("POST_2.0_kb_invoice__for-copy.json", BexioInvoice),
    ("POST_2.0_kb_invoice__for-delete.json", BexioInvoice),
    ("POST_2.0_kb_invoice__for-edit.json", BexioInvoice),
    ("POST_2.0_kb_invoice__for-payment.json", BexioInvoice),
    ("POST_2.0_kb_invoice_ID.json", BexioInvoice),
    ("POST_2.0_kb_invoice_ID_copy.json", BexioInvoice),
    ("POST_2.0_kb_offer_ID_invoice.json", BexioInvoice),
    ("POST_2.0_kb_invoice_search.json", BexioInvoice),
    ("GET_2.0_kb_invoice_ID_payment.json", BexioPayment),
    ("GET_2.0_kb_invoice_ID_payment__with-payment.json", BexioPayment),
    ("GET_2.0_kb_invoice_ID_payment_ID.json", BexioPayment),
    ("POST_2.0_kb_invoice_ID_payment.json", BexioPayment),
    ("POST_2.0_kb_invoice_ID_issue.json", BexioActionResult),
    ("POST_2.0_kb_invoice_ID_issue__for-payment.json", BexioActionResult),
    ("POST_2.0_kb_invoice_ID_cancel.json", BexioActionResult),
    ("DELETE_2.0_kb_invoice_ID.json", BexioActionResult),
    ("GET_3.0_taxes.json", BexioTax),
    ("GET_3.0_taxes_ID.json", BexioTax),
    ("GET_3.0_taxes__scope-active_types-sales_tax.json", BexioTax),
    ("GET_2.0_accounts.json", BexioAccount),
    ("POST_2.0_accounts_search.json", BexioAccount),
    ("GET_3.0_currencies.json", BexioCurrency),
    ("GET_3.0_currencies_ID.json", BexioCurrency),
    ("GET_2.0_country.json", BexioCountry),
    ("GET_2.0_country_ID.json", BexioCountry),
    ("POST_2.0_country_search.json", BexioCountry),
    ("GET_2.0_language.json", BexioLanguage),
    ("GET_2.0_unit.json", BexioUnit),
    ("GET_2.0_payment_type.json", BexioPaymentType),
    ("GET_3.0_banking_accounts.json", BexioBankAccount),
    ("GET_3.0_banking_accounts_ID.json", BexioBankAccount),
    ("GET_3.0_users.json", BexioUser),
    ("GET_3.0_users_me.json", BexioUser),
    ("GET_2.0_company_profile.json", BexioCompanyProfile),
    ("GET_2.0_company_profile_ID.json", BexioCompanyProfile),
    ("GET_2.0_kb_item_setting.json", BexioItemSetting),
]


def _keys(model: type[BaseModel], name: str) -> list[str]:
    alias = model.model_fields[name].validation_alias
    choices = getattr(alias, "choices", None)
    return [str(choice) for choice in choices] if choices else [name]


def _assert_declared_fields_read(parsed: BaseModel, raw: dict[str, Any]) -> None:
    for name in type(parsed).model_fields:
        present = [key for key in _keys(type(parsed), name) if raw.get(key) not in (None, "", [])]
        if present:
            assert getattr(parsed, name) is not None, f"{type(parsed).__name__}.{name} lost"


@pytest.mark.parametrize(("recording", "model"), RECORDED, ids=[r for r, _ in RECORDED])
def test_model_parses_the_recorded_answer_of_its_endpoint(
    recording: str, model: type[BaseModel]
) -> None:
    body = recorded_body(recording)
    items = body if isinstance(body, list) else [body]

    parsed = [model.model_validate(item) for item in items]

    for item, raw in zip(parsed, items, strict=True):
        _assert_declared_fields_read(item, raw)


@pytest.mark.parametrize(
    "recording",
    [
        "GET_2.0_DOC_ID_kb_position_article.json",
        "POST_2.0_DOC_ID_kb_position_custom.json",
        "POST_2.0_DOC_ID_kb_position_subposition.json",
    ],
)
def test_positions_parse_by_their_type(recording: str) -> None:
    body = recorded_body(recording)
    items = body if isinstance(body, list) else [body]

    parsed = TypeAdapter(list[BexioPosition]).validate_python(items)

    expected = {
        "KbPositionArticle": BexioPositionArticle,
        "KbPositionCustom": BexioPositionCustom,
        "KbPositionSubposition": BexioPositionSubposition,
    }
    for position, raw in zip(parsed, items, strict=True):
        assert type(position) is expected[raw["type"]]
        _assert_declared_fields_read(position, raw)


def test_invoice_reads_status_totals_dates_and_positions() -> None:
    invoice = BexioInvoice.model_validate(recorded_body("GET_2.0_kb_invoice_ID.json"))

    assert invoice.kb_item_status_id is BexioInvoiceStatus.CANCELLED
    assert invoice.total == Decimal("100.000000")
    assert invoice.total_remaining_payments == Decimal("100.0000")
    assert invoice.is_valid_to == date(2026, 6, 23)
    assert invoice.updated_at == datetime(2026, 6, 18, 15, 10, 52)
    text, custom = invoice.positions
    assert isinstance(text, BexioPositionText)
    assert isinstance(custom, BexioPositionCustom)
    assert custom.unit_price == Decimal("100.000000")
    assert custom.tax_value == Decimal("8.10")


def test_create_answer_with_null_amounts_and_short_numbers_parses() -> None:
    invoice = BexioInvoice.model_validate(recorded_body("POST_2.0_kb_invoice.json"))

    custom = invoice.positions[1]
    assert isinstance(custom, BexioPositionCustom)
    assert custom.amount == Decimal("1")
    assert custom.amount_open is None
    assert invoice.total == Decimal("100")
    assert invoice.document_nr == "RE-00002"


def test_search_result_holds_every_recorded_invoice_status() -> None:
    invoices = [
        BexioInvoice.model_validate(raw) for raw in recorded_body("POST_2.0_kb_invoice_search.json")
    ]

    assert {invoice.kb_item_status_id for invoice in invoices} == {
        BexioInvoiceStatus.DRAFT,
        BexioInvoiceStatus.PENDING,
        BexioInvoiceStatus.PAID,
        BexioInvoiceStatus.CANCELLED,
    }


def test_order_from_quote_is_pending() -> None:
    order = BexioOrder.model_validate(recorded_body("POST_2.0_kb_offer_ID_order.json"))

    assert order.kb_item_status_id is BexioOrderStatus.PENDING
    assert order.document_nr == "AU-00011"


def test_delivery_parses_an_order_shaped_answer() -> None:
    # No delivery was ever recorded; the spec gives it the order's fields without payments.
    raw = recorded_body("POST_2.0_kb_offer_ID_order.json")
    raw.update({"id": 3, "document_nr": "LS-00003", "kb_item_status_id": 10})

    delivery = BexioDelivery.model_validate(raw)

    assert delivery.kb_item_status_id is BexioDeliveryStatus.DRAFT
    assert delivery.positions


def test_article_stock_counters_parse_as_strings_and_integers() -> None:
    created = BexioArticle.model_validate(recorded_body("POST_2.0_article.json"))
    fetched = BexioArticle.model_validate(recorded_body("GET_2.0_article_ID.json"))

    assert created.stock_nr == 0 == fetched.stock_nr
    assert created.stock_reserved_nr == 0


def test_country_reads_the_live_and_the_spec_iso_key() -> None:
    live = BexioCountry.model_validate(recorded_body("GET_2.0_country_ID.json"))
    spec = BexioCountry.model_validate({"id": 1, "name": "Schweiz", "iso3166_alpha2": "CH"})

    assert live.iso_3166_alpha2 == "EG"
    assert spec.iso_3166_alpha2 == "CH"


def test_tax_rates_and_rounding_factors_are_exact_decimals() -> None:
    taxes = [BexioTax.model_validate(raw) for raw in recorded_body("GET_3.0_taxes.json")]
    currencies = [
        BexioCurrency.model_validate(raw) for raw in recorded_body("GET_3.0_currencies.json")
    ]

    assert Decimal("8.1") in {tax.value for tax in taxes}
    assert all(isinstance(tax.value, Decimal) for tax in taxes)
    assert currencies[0].round_factor == Decimal("0.05")


def test_accounts_and_contacts_read_their_enums() -> None:
    accounts = [BexioAccount.model_validate(raw) for raw in recorded_body("GET_2.0_accounts.json")]
    contact = BexioContact.model_validate(recorded_body("GET_2.0_contact_ID.json"))

    assert BexioAccountType.EARNINGS in {account.account_type for account in accounts}
    assert contact.contact_type_id in set(BexioContactType)


def test_item_settings_tell_whether_invoices_are_numbered_automatically() -> None:
    settings = [
        BexioItemSetting.model_validate(raw)
        for raw in recorded_body("GET_2.0_kb_item_setting.json")
    ]

    invoice = next(setting for setting in settings if setting.kb_item_class == "KbInvoice")
    assert invoice.use_automatic_enumeration is True


def test_status_ids_bexio_adds_later_still_parse() -> None:
    raw = recorded_body("GET_2.0_kb_invoice_ID.json")
    raw["kb_item_status_id"] = 42

    invoice = BexioInvoice.model_validate(raw)

    assert invoice.kb_item_status_id == 42
    assert invoice.kb_item_status_id.name == "UNKNOWN_42"
    assert invoice.kb_item_status_id is not BexioInvoiceStatus.PAID


def test_unknown_position_types_are_kept_as_other() -> None:
    position = TypeAdapter(BexioPosition).validate_python({"id": 9, "type": "KbPositionFuture"})

    assert isinstance(position, BexioPositionOther)


def test_empty_and_zero_dates_read_as_none() -> None:
    raw = recorded_body("GET_2.0_contact_ID.json")
    raw["birthday"] = "0000-00-00"

    assert BexioContact.model_validate(raw).birthday is None


# --- decimals: exact both ways ------------------------------------------------------------------


def test_json_numbers_parse_to_exact_decimals_so_point_one_plus_point_two_is_point_three() -> None:
    first = BexioPayment.model_validate(loads(b'{"id": 1, "value": 0.1}'))
    second = BexioPayment.model_validate(loads(b'{"id": 2, "value": "0.2"}'))

    assert first.value + second.value == Decimal("0.3")
    assert isinstance(loads(b"[1.10]")[0], Decimal)


def test_request_decimals_are_sent_as_the_exact_strings() -> None:
    payment = BexioPaymentIn(value=Decimal("0.1") + Decimal("0.2"), date=date(2026, 6, 18))

    assert dumps(payment.to_wire()) == b'{"value":"0.3","date":"2026-06-18"}'
    assert dumps(BexioPaymentIn(value="100.00").to_wire()) == b'{"value":"100.00"}'


def test_number_typed_fields_are_sent_as_json_numbers_digit_for_digit() -> None:
    article = BexioArticleIn(
        intern_code="SKU-1", intern_name="Mug", sale_price="12.50", delivery_price="0.30"
    )
    ref = BexioPositionRef(id=4, type="KbPositionCustom", amount=Decimal("2.000"))

    assert dumps(article.to_wire()) == (
        b'{"intern_code":"SKU-1","intern_name":"Mug","sale_price":"12.50","delivery_price":0.3}'
    )
    assert dumps(ref.to_wire()) == b'{"id":4,"type":"KbPositionCustom","amount":2}'


def test_floats_are_refused_in_requests() -> None:
    with pytest.raises(ValidationError):
        BexioPaymentIn(value=0.1)
    with pytest.raises(TypeError):
        dumps({"value": 0.1})


def test_more_than_six_decimal_places_are_refused_but_trailing_zeros_are_trimmed() -> None:
    with pytest.raises(ValidationError):
        BexioPositionCustomIn(amount="1", unit_price="0.1234567")

    line = BexioPositionCustomIn(amount="1.00000000", unit_price="1E+2")

    assert line.to_wire()["amount"] == "1.000000"
    assert line.to_wire()["unit_price"] == "100"


def test_invoice_body_sends_positions_with_their_type_and_only_the_fields_set() -> None:
    invoice = BexioInvoiceIn(
        contact_id=BexioContactId(7),
        user_id=BexioUserId(1),
        api_reference="saleor:T3JkZXI6MQ==",
        is_valid_from=date(2026, 7, 1),
        positions=[BexioPositionCustomIn(amount="2", unit_price="9.95", tax_id=14, text="Mug")],
    )

    assert json.loads(dumps(invoice.to_wire())) == {
        "contact_id": 7,
        "user_id": 1,
        "api_reference": "saleor:T3JkZXI6MQ==",
        "is_valid_from": "2026-07-01",
        "positions": [
            {
                "type": "KbPositionCustom",
                "amount": "2",
                "unit_price": "9.95",
                "tax_id": 14,
                "text": "Mug",
            }
        ],
    }


def test_search_condition_always_carries_field_value_and_criteria() -> None:
    at = datetime(2026, 6, 18, 14, 55, 15)

    assert BexioSearch(field="mail", value="a@b.ch").to_wire() == {
        "field": "mail",
        "value": "a@b.ch",
        "criteria": BexioSearchCriteria.EQUAL,
    }
    assert BexioSearch(field="updated_at", value=at, criteria=">").to_wire()["value"] == (
        "2026-06-18 14:55:15"
    )
    assert BexioSearch(field="account_type", value=1).to_wire()["value"] == "1"


def test_contact_needs_a_street_for_a_house_number() -> None:
    with pytest.raises(ValidationError):
        BexioContactIn(
            contact_type_id=BexioContactType.PERSON,
            name_1="Muster",
            user_id=BexioUserId(1),
            owner_id=BexioUserId(1),
            house_number="12",
        )


def test_send_mail_text_must_contain_the_network_link_placeholder() -> None:
    with pytest.raises(ValidationError):
        BexioInvoiceSendIn(recipient_email="a@b.ch", subject="Invoice", message="Hello")

    mail = BexioInvoiceSendIn(
        recipient_email="a@b.ch", subject="Invoice", message="See [Network Link]"
    )
    assert mail.to_wire() == {
        "recipient_email": "a@b.ch",
        "subject": "Invoice",
        "message": "See [Network Link]",
    }


def test_requests_refuse_unknown_fields() -> None:
    with pytest.raises(ValidationError):
        BexioPaymentIn(value="1", amount="1")  # type: ignore[call-arg]
