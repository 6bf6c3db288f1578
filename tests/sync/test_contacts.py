"""bexio contacts: street splitting, company or person, create/update/skip by fingerprint."""

from __future__ import annotations

from typing import Any

import pytest

from saleor_bexio_app.errors import ConfigError, RejectedError
from saleor_bexio_app.ids import BexioContactId, BexioCountryId, BexioLanguageId
from saleor_bexio_app.sync.contacts import (
    BexioContactSnapshot,
    ContactDraft,
    ContactPlan,
    ContactType,
    customer_from_order,
    plan_contact,
    split_street,
)
from saleor_bexio_app.sync.model import Customer
from tests.builders import make_address, make_customer, make_order, make_settings

COUNTRIES = {"CH": BexioCountryId(1), "DE": BexioCountryId(2), "LI": BexioCountryId(9)}
LANGUAGES = {"de": BexioLanguageId(1), "fr": BexioLanguageId(2), "en": BexioLanguageId(3)}
CONTACT = BexioContactId(77)


@pytest.mark.parametrize(
    ("line", "street", "number"),
    [
        ("Bahnhofstrasse 12a", "Bahnhofstrasse", "12a"),
        ("Bahnhofstrasse 12", "Bahnhofstrasse", "12"),
        ("12 Main St", "Main St", "12"),
        ("221B Baker Street", "Baker Street", "221B"),
        ("Rue du Lac", "Rue du Lac", None),
        ("Via Roma 3/5", "Via Roma", "3/5"),
        ("Hauptstr. 5-7", "Hauptstr.", "5-7"),
        ("Im Feld 12 B", "Im Feld", "12 B"),
        ("Strasse des 17. Juni 5", "Strasse des 17. Juni", "5"),
        ("Chemin des Vignes, 4", "Chemin des Vignes", "4"),
        ("  Seestrasse   4  ", "Seestrasse", "4"),
        ("1st Avenue", "1st Avenue", None),
        ("Bahnhofstrasse 12a, 3. OG", "Bahnhofstrasse 12a, 3. OG", None),
    ],
)
def test_street_line_splits_into_street_and_house_number(
    line: str, street: str, number: str | None
) -> None:
    assert split_street(line) == (street, number)


def plan(customer: Customer, existing: BexioContactSnapshot | None = None) -> ContactPlan:
    return plan_contact(
        customer, existing, settings=make_settings(), countries=COUNTRIES, languages=LANGUAGES
    )


def draft(**overrides: Any) -> ContactDraft:
    values: dict[str, Any] = {
        "contact_type_id": ContactType.PERSON,
        "name_1": "Muster",
        "name_2": "Anna",
        "street_name": "Bahnhofstrasse",
        "house_number": "12a",
        "address_addition": None,
        "postcode": "8001",
        "city": "Zürich",
        "country_id": 1,
        "mail": "anna@example.ch",
        "phone_fixed": "+41441234567",
        "language_id": 1,
        "user_id": 1,
        "owner_id": 1,
    }
    return ContactDraft(**{**values, **overrides})


@pytest.mark.parametrize(
    ("customer", "expected"),
    [
        pytest.param(make_customer(), draft(), id="person"),
        pytest.param(
            make_customer(billing_address=make_address(company_name="Muster AG")),
            draft(contact_type_id=ContactType.COMPANY, name_1="Muster AG", name_2="Anna Muster"),
            id="company-with-attention-line",
        ),
        pytest.param(
            make_customer(last_name="", billing_address=make_address(last_name="")),
            draft(name_1="Anna", name_2=None),
            id="first-name-only",
        ),
        pytest.param(
            make_customer(
                first_name="",
                last_name="",
                billing_address=make_address(first_name="", last_name=""),
            ),
            draft(name_1="anna@example.ch", name_2=None),
            id="no-name-uses-e-mail",
        ),
        pytest.param(
            make_customer(
                billing_address=make_address(
                    street_address_1="Dorfstrasse 1", street_address_2="Postfach 12"
                )
            ),
            draft(street_name="Dorfstrasse", house_number="1", address_addition="Postfach 12"),
            id="second-street-line-is-addition",
        ),
        pytest.param(
            make_customer(
                billing_address=make_address(street_address_1="", street_address_2="Postfach 12")
            ),
            draft(street_name="Postfach 12", house_number=None),
            id="addition-needs-a-street",
        ),
        pytest.param(
            make_customer(billing_address=None, phone="+41791234567"),
            draft(
                street_name=None,
                house_number=None,
                postcode=None,
                city=None,
                country_id=None,
                phone_fixed="+41791234567",
            ),
            id="no-address",
        ),
        pytest.param(
            make_customer(language_code="FR_CH"), draft(language_id=2), id="customer-language"
        ),
        pytest.param(
            make_customer(language_code="JA_JP"), draft(language_id=4), id="unknown-language"
        ),
        pytest.param(
            make_customer(email="  Anna@Example.ch "),
            draft(mail="Anna@Example.ch"),
            id="e-mail-trimmed",
        ),
    ],
)
def test_new_customer_creates_a_contact_with_bexio_fields(
    customer: Customer, expected: ContactDraft
) -> None:
    result = plan(customer)

    assert result.action == "create"
    assert result.draft == expected
    assert result.fingerprint == expected.fingerprint()
    assert result.contact_id is None


def test_guest_order_becomes_a_contact_from_its_billing_address() -> None:
    order = make_order(
        user_email="guest@example.ch",
        billing_address=make_address(
            first_name="Luca",
            last_name="Rossi",
            street_address_1="Via Nassa 5",
            postal_code="6900",
            city="Lugano",
        ),
        language_code="IT_CH",
    )

    result = plan(customer_from_order(order))

    assert result.draft == draft(
        name_1="Rossi",
        name_2="Luca",
        street_name="Via Nassa",
        house_number="5",
        postcode="6900",
        city="Lugano",
        mail="guest@example.ch",
        language_id=4,
    )


@pytest.mark.parametrize(
    ("existing", "action", "reason"),
    [
        (None, "create", "No bexio contact has this e-mail address yet."),
        (
            BexioContactSnapshot(CONTACT, "anna@example.ch", draft().fingerprint()),
            "skip",
            "Nothing changed since the last sync.",
        ),
        (
            BexioContactSnapshot(CONTACT, "anna@example.ch", None),
            "update",
            "Found in bexio by e-mail address; filled in from the shop.",
        ),
        (
            BexioContactSnapshot(CONTACT, "anna@example.ch", draft(city="Bern").fingerprint()),
            "update",
            "The customer's details changed.",
        ),
        (
            BexioContactSnapshot(CONTACT, "anna@old.ch", draft(mail="anna@old.ch").fingerprint()),
            "update",
            "The customer's e-mail address changed; the linked contact is updated.",
        ),
        (
            BexioContactSnapshot(CONTACT, "ANNA@example.ch", "stale"),
            "update",
            "The customer's details changed.",
        ),
    ],
)
def test_existing_contact_is_updated_only_when_its_fingerprint_changed(
    existing: BexioContactSnapshot | None, action: str, reason: str
) -> None:
    result = plan(make_customer(), existing)

    assert (result.action, result.reason) == (action, reason)
    assert result.contact_id == (existing.id if existing else None)


def test_fingerprint_ignores_nothing_the_app_sends() -> None:
    assert draft().fingerprint() == draft().fingerprint()
    assert draft().fingerprint() != draft(house_number="12b").fingerprint()
    assert draft().fingerprint() != draft(owner_id=2).fingerprint()


def test_owner_defaults_to_the_user_and_can_differ() -> None:
    settings = make_settings(bexio_owner_id=5)

    result = plan_contact(make_customer(), None, settings=settings, countries=COUNTRIES)

    assert (result.draft.user_id, result.draft.owner_id) == (1, 5)
    assert result.draft.language_id == 4


@pytest.mark.parametrize(
    ("customer", "settings", "error", "message"),
    [
        (
            make_customer(email=" "),
            make_settings(),
            RejectedError,
            "The customer has no e-mail address",
        ),
        (
            make_customer(billing_address=make_address(country_code="AT")),
            make_settings(),
            ConfigError,
            r"The country AT is not set up in bexio",
        ),
        (make_customer(), make_settings(bexio_user_id=None), ConfigError, "Set the bexio user"),
    ],
)
def test_contact_that_cannot_be_made_raises_a_readable_error(
    customer: Customer, settings: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        plan_contact(customer, None, settings=settings, countries=COUNTRIES)
