"""bexio contacts from shop customers and guest orders (shop → bexio only; e-mail is the key).

A billing address with a company name makes a company contact (name_1 = company, name_2 = the
person, printed as the attention line); otherwise a person (name_1 = last name, name_2 = first
name). Street and house number are split from Saleor's single street line.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from enum import IntEnum
from typing import Literal

from saleor_bexio_app.errors import ConfigError, RejectedError
from saleor_bexio_app.ids import BexioContactId, BexioCountryId, BexioLanguageId, BexioUserId
from saleor_bexio_app.sync.model import (
    Address,
    Customer,
    Order,
    ShopSettings,
    setting_missing_error,
)

_NUMBER = r"\d+(?:\s?[a-zA-Z])?(?:\s?[-/]\s?\d+(?:\s?[a-zA-Z])?)?"
# "Bahnhofstrasse 12a", "Via Roma 3/5", "Hauptstr. 5-7", "Im Feld 12 B"
_NUMBER_LAST = re.compile(rf"^(?P<street>.*?\D)[\s,]+(?P<number>{_NUMBER})$")
# "12 Main St", "221B Baker Street"
_NUMBER_FIRST = re.compile(rf"^(?P<number>{_NUMBER}),?\s+(?P<street>\D.*)$")


class ContactType(IntEnum):
    """bexio's contact_type_id."""

    COMPANY = 1
    PERSON = 2


@dataclass(frozen=True, slots=True)
class BexioContactSnapshot:
    """The bexio contact found by link or e-mail, with the fingerprint last sent to it."""

    id: BexioContactId
    mail: str | None = None
    # None when the app has not written this contact yet (found by e-mail only).
    fingerprint: str | None = None


@dataclass(frozen=True, slots=True)
class ContactDraft:
    """The contact fields the app owns in bexio."""

    contact_type_id: ContactType
    name_1: str
    name_2: str | None
    street_name: str | None
    house_number: str | None
    address_addition: str | None
    postcode: str | None
    city: str | None
    country_id: BexioCountryId | None
    mail: str
    phone_fixed: str | None
    language_id: BexioLanguageId | None
    user_id: BexioUserId
    owner_id: BexioUserId

    def fingerprint(self) -> str:
        """A stable hash of the fields, stored with the link to detect changes."""
        payload = json.dumps(asdict(self), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ContactPlan:
    """Create, update or skip a bexio contact; `fingerprint` is stored with the link."""

    action: Literal["create", "update", "skip"]
    reason: str
    draft: ContactDraft
    fingerprint: str
    contact_id: BexioContactId | None = None


def split_street(line: str) -> tuple[str, str | None]:
    """Saleor's street line as (street_name, house_number); no number found: (line, None)."""
    text = " ".join(line.split())
    for pattern in (_NUMBER_LAST, _NUMBER_FIRST):
        match = pattern.match(text)
        if match:
            return match["street"].strip(" ,"), match["number"]
    return text, None


def customer_from_order(order: Order) -> Customer:
    """The customer of an order, guests included: its e-mail and billing address."""
    billing = order.billing_address
    return Customer(
        email=order.user_email or "",
        first_name=billing.first_name if billing else "",
        last_name=billing.last_name if billing else "",
        company_name=billing.company_name if billing else "",
        billing_address=billing,
        phone=billing.phone if billing else None,
        language_code=order.language_code,
        id=order.customer_id,
    )


def _blank_to_none(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def _names(customer: Customer, billing: Address | None) -> tuple[ContactType, str, str | None]:
    first = (customer.first_name or (billing.first_name if billing else "")).strip()
    last = (customer.last_name or (billing.last_name if billing else "")).strip()
    company = (customer.company_name or (billing.company_name if billing else "")).strip()
    if company:
        person = " ".join(part for part in (first, last) if part)
        return ContactType.COMPANY, company, person or None
    if last:
        return ContactType.PERSON, last, first or None
    if first:
        return ContactType.PERSON, first, None
    return ContactType.PERSON, customer.email.strip(), None


def _language(
    customer: Customer,
    settings: ShopSettings,
    languages: Mapping[str, BexioLanguageId],
) -> BexioLanguageId | None:
    if customer.language_code:
        iso = customer.language_code.split("_")[0].lower()
        if iso in languages:
            return languages[iso]
    return settings.language_id


def plan_contact(
    customer: Customer,
    existing: BexioContactSnapshot | None,
    *,
    settings: ShopSettings,
    countries: Mapping[str, BexioCountryId],
    languages: Mapping[str, BexioLanguageId] | None = None,
) -> ContactPlan:
    """Create, update or skip the bexio contact for a customer (or a guest order's billing)."""
    mail = customer.email.strip()
    if not mail:
        raise RejectedError(
            "The customer has no e-mail address; bexio contacts are matched by e-mail."
        )
    user_id = settings.bexio_user_id
    owner_id = settings.owner_id
    if user_id is None or owner_id is None:
        raise setting_missing_error("bexio_user")
    billing = customer.billing_address
    contact_type, name_1, name_2 = _names(customer, billing)

    street: str | None = None
    number: str | None = None
    addition: str | None = None
    country_id: BexioCountryId | None = None
    if billing is not None:
        if billing.street_address_1.strip():
            street, number = split_street(billing.street_address_1)
            addition = _blank_to_none(billing.street_address_2)
        else:
            # bexio accepts a house number or addition only together with a street name.
            street = _blank_to_none(billing.street_address_2)
        code = billing.country_code.strip().upper()
        if code:
            found = countries.get(code)
            if found is None:
                raise ConfigError(
                    f"The country {code} is not set up in bexio. Add it in bexio "
                    "(Settings → Countries) so that contacts from there can be created."
                )
            country_id = found

    draft = ContactDraft(
        contact_type_id=contact_type,
        name_1=name_1,
        name_2=name_2,
        street_name=street,
        house_number=number,
        address_addition=addition,
        postcode=_blank_to_none(billing.postal_code) if billing else None,
        city=_blank_to_none(billing.city) if billing else None,
        country_id=country_id,
        mail=mail,
        phone_fixed=_blank_to_none((billing.phone if billing else None) or customer.phone),
        language_id=_language(customer, settings, languages or {}),
        user_id=user_id,
        owner_id=owner_id,
    )
    fingerprint = draft.fingerprint()
    if existing is None:
        return ContactPlan(
            "create", "No bexio contact has this e-mail address yet.", draft, fingerprint
        )
    if existing.fingerprint == fingerprint:
        return ContactPlan(
            "skip", "Nothing changed since the last sync.", draft, fingerprint, existing.id
        )
    if existing.fingerprint is None:
        reason = "Found in bexio by e-mail address; filled in from the shop."
    elif (existing.mail or "").strip().casefold() != mail.casefold():
        reason = "The customer's e-mail address changed; the linked contact is updated."
    else:
        reason = "The customer's details changed."
    return ContactPlan("update", reason, draft, fingerprint, existing.id)
