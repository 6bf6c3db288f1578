"""Products: per-field sync between Saleor variants and bexio articles (issue 5, docs/products.md).

Decisions:
- One variant is one article: SKU == `intern_code` (exact, after trimming). Nothing else matches.
- Each field has one master or is disabled; a disabled field is never read or written, and a field
  is only ever written towards the non-master side.
- Every field is compared in its *bexio form* (title text, plain-text description, integer grams,
  integer stock, 2-dp price as bexio holds it). The fingerprint of the value both sides last
  agreed on is stored per field; an unchanged value is skipped, which also swallows the echo of
  the app's own write coming back as a webhook or a changed article.
- Weight: bexio holds integer grams (API.md "Corrections" 9); Saleor units convert exactly and
  grams are rounded half-up to whole grams.
- Prices: converted gross↔net only when the channel and bexio's `sale_price` differ, with the
  variant's VAT rate (a fraction, 0.081 for 8.1 %), rounded half-up to cents.
- Stock: the physical quantity (Saleor `Stock.quantity`, bexio `stock_nr`), negatives as 0.
  bexio takes `stock_nr` only before the first stock booking; a plan that writes it says so.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any, Literal

from saleor_bexio_app.errors import MessageCode, RejectedError
from saleor_bexio_app.ids import BexioArticleId, SaleorId
from saleor_bexio_app.sync.model import (
    CENT,
    FieldMode,
    ProductField,
    ProductSettings,
)
from saleor_bexio_app.sync.richtext import (
    normalize_text,
    plain_or_html_to_text,
    richtext_to_text,
    text_to_richtext,
)

_ONE = Decimal(1)
_GRAM_PLACES = Decimal("0.000001")
ARTICLE_TYPE_PHYSICAL = 1


class WeightUnit(StrEnum):
    """Saleor's `WeightUnitsEnum`."""

    G = "G"
    KG = "KG"
    LB = "LB"
    OZ = "OZ"
    TONNE = "TONNE"


_GRAMS_PER_UNIT: Mapping[WeightUnit, Decimal] = {
    WeightUnit.G: _ONE,
    WeightUnit.KG: Decimal(1000),
    WeightUnit.LB: Decimal("453.59237"),
    WeightUnit.OZ: Decimal("28.349523125"),
    WeightUnit.TONNE: Decimal(1_000_000),
}

FieldFingerprints = Mapping[ProductField, str]


@dataclass(frozen=True, slots=True)
class Weight:
    """A Saleor weight: value in one of Saleor's units."""

    value: Decimal
    unit: WeightUnit


@dataclass(frozen=True, slots=True)
class ChannelPrice:
    """A variant's price in one channel, gross or net as the channel enters prices."""

    amount: Decimal
    gross: bool
    currency: str = "CHF"


@dataclass(frozen=True, slots=True)
class Variant:
    """A Saleor product variant with the product fields the sync needs."""

    id: SaleorId
    product_id: SaleorId
    sku: str | None
    product_name: str
    variant_name: str = ""
    # Saleor's Product.description: EditorJS JSON (string or parsed), None when empty.
    description: str | Mapping[str, object] | None = None
    weight: Weight | None = None
    prices: Mapping[str, ChannelPrice] = field(default_factory=dict)
    # Stock.quantity by warehouse id.
    stocks: Mapping[SaleorId, int] = field(default_factory=dict)
    # The VAT rate of the product's tax class as a fraction; needed only to convert gross↔net.
    vat_rate: Decimal | None = None
    variant_count: int = 1

    @property
    def title(self) -> str:
        """The article title: "product — variant" for multi-variant products, else the product."""
        return to_title(self.product_name, self.variant_name, self.variant_count)


@dataclass(frozen=True, slots=True)
class Article:
    """A bexio article (`/2.0/article`) with the fields the sync reads."""

    id: BexioArticleId
    intern_code: str
    intern_name: str
    intern_description: str | None = None
    # Grams, an integer in bexio.
    weight: int | None = None
    sale_price: Decimal | None = None
    stock_nr: int = 0
    is_stock: bool = False
    # bexio's article has no change timestamp in the spec; None when unknown.
    updated_at: datetime | None = None


def to_title(product_name: str, variant_name: str, variant_count: int) -> str:
    """The article title for a variant; the variant name only when the product has several."""
    product, variant = product_name.strip(), variant_name.strip()
    if variant_count <= 1 or not variant or variant == product:
        return product
    return f"{product} — {variant}"


def to_grams(value: Decimal, unit: WeightUnit) -> Decimal:
    """A Saleor weight in grams, exact."""
    return value * _GRAMS_PER_UNIT[WeightUnit(unit)]


def to_bexio_weight(weight: Weight) -> int:
    """A Saleor weight as bexio's integer grams, rounded half-up."""
    return int(to_grams(weight.value, weight.unit).quantize(_ONE, rounding=ROUND_HALF_UP))


def from_grams(grams: Decimal | int, unit: WeightUnit) -> Decimal:
    """Grams in a Saleor unit, rounded half-up to 6 decimals, trailing zeros dropped."""
    value = (Decimal(grams) / _GRAMS_PER_UNIT[WeightUnit(unit)]).quantize(
        _GRAM_PLACES, rounding=ROUND_HALF_UP
    )
    return value.quantize(_ONE) if value == value.to_integral_value() else value.normalize()


def _check_rate(vat_rate: Decimal) -> None:
    if not Decimal(0) <= vat_rate < _ONE:
        raise ValueError(f"VAT rate must be a fraction (0.081 for 8.1 %), got {vat_rate}")


def gross_to_net(gross: Decimal, vat_rate: Decimal) -> Decimal:
    """The net price of a gross price at a VAT rate (fraction), rounded half-up to cents."""
    _check_rate(vat_rate)
    return (gross / (_ONE + vat_rate)).quantize(CENT, rounding=ROUND_HALF_UP)


def net_to_gross(net: Decimal, vat_rate: Decimal) -> Decimal:
    """The gross price of a net price at a VAT rate (fraction), rounded half-up to cents."""
    _check_rate(vat_rate)
    return (net * (_ONE + vat_rate)).quantize(CENT, rounding=ROUND_HALF_UP)


def convert_price(
    amount: Decimal, *, from_gross: bool, to_gross: bool, vat_rate: Decimal | None
) -> Decimal | None:
    """A price moved between gross and net; None when a conversion needs an unknown rate."""
    if from_gross == to_gross:
        return amount.quantize(CENT, rounding=ROUND_HALF_UP)
    if vat_rate is None:
        return None
    return gross_to_net(amount, vat_rate) if from_gross else net_to_gross(amount, vat_rate)


def to_stock(quantity: int | None) -> int:
    """A stock count both systems accept: an integer, negatives (oversold) as 0."""
    return max(0, quantity or 0)


def _canonical(product_field: ProductField, value: str | int | Decimal) -> str:
    if product_field is ProductField.PRICE:
        return str(Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP))
    if product_field in (ProductField.WEIGHT, ProductField.STOCK):
        return str(int(value))
    return normalize_text(str(value))


def fingerprint(product_field: ProductField, value: str | int | Decimal) -> str:
    """A stable hash of a field's value in bexio form; stored per field after each sync."""
    payload = f"{product_field.value}\x1f{_canonical(product_field, value)}"
    return hashlib.sha256(payload.encode()).hexdigest()


# --- Matching ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MatchedItem:
    """A variant and the article with its SKU as `intern_code`."""

    variant: Variant
    article: Article


@dataclass(frozen=True, slots=True)
class Matching:
    """Variants paired with articles by SKU, and everything that could not be paired."""

    matched: tuple[MatchedItem, ...] = ()
    # Variants with a unique SKU that no article has.
    unmatched_variants: tuple[Variant, ...] = ()
    variants_without_sku: tuple[Variant, ...] = ()
    duplicate_skus: Mapping[str, tuple[Variant, ...]] = field(default_factory=dict)
    duplicate_codes: Mapping[str, tuple[Article, ...]] = field(default_factory=dict)
    # Articles no variant matches, including those without an intern_code.
    unmatched_articles: tuple[Article, ...] = ()


def code_key(code: str | None) -> str:
    """A SKU or bexio article number as the matching compares them: trimmed, else exact."""
    return (code or "").strip()


def match_variants(variants: Iterable[Variant], articles: Iterable[Article]) -> Matching:
    """Pair variants and articles by SKU == `intern_code`; list the rest instead of guessing.

    Duplicate SKUs (Saleor) and duplicate codes (bexio) pair with nothing: the merchant must
    make them unique first. Input order is kept in every list.
    """
    variants, articles = list(variants), list(articles)
    without_sku = tuple(v for v in variants if not code_key(v.sku))
    by_sku: dict[str, list[Variant]] = defaultdict(list)
    for variant in variants:
        if code_key(variant.sku):
            by_sku[code_key(variant.sku)].append(variant)
    by_code: dict[str, list[Article]] = defaultdict(list)
    for article in articles:
        if code_key(article.intern_code):
            by_code[code_key(article.intern_code)].append(article)
    duplicate_skus = {sku: tuple(vs) for sku, vs in by_sku.items() if len(vs) > 1}
    duplicate_codes = {code: tuple(arts) for code, arts in by_code.items() if len(arts) > 1}

    matched: list[MatchedItem] = []
    unmatched_variants: list[Variant] = []
    for sku, group in by_sku.items():
        if sku in duplicate_skus:
            continue
        found = by_code.get(sku)
        if found is None:
            unmatched_variants.append(group[0])
        elif sku not in duplicate_codes:
            matched.append(MatchedItem(group[0], found[0]))
    matched_ids = {item.article.id for item in matched}
    unmatched_articles = tuple(
        a
        for a in articles
        if a.id not in matched_ids
        and code_key(a.intern_code) not in duplicate_codes
        and code_key(a.intern_code) not in duplicate_skus
    )
    return Matching(
        matched=tuple(matched),
        unmatched_variants=tuple(unmatched_variants),
        variants_without_sku=without_sku,
        duplicate_skus=duplicate_skus,
        duplicate_codes=duplicate_codes,
        unmatched_articles=unmatched_articles,
    )


# --- Field values in bexio form ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Missing:
    note: str


_Value = str | int | Decimal


def _shop_value(
    product_field: ProductField, variant: Variant, settings: ProductSettings
) -> _Value | _Missing:
    if product_field is ProductField.TITLE:
        return variant.title
    if product_field is ProductField.DESCRIPTION:
        return richtext_to_text(variant.description)
    if product_field is ProductField.WEIGHT:
        if variant.weight is None:
            return _Missing("the variant has no weight")
        return to_bexio_weight(variant.weight)
    if product_field is ProductField.STOCK:
        warehouse = settings.stock_warehouse_id
        if warehouse is None or warehouse not in variant.stocks:
            return _Missing("the variant has no stock in the chosen warehouse")
        return to_stock(variant.stocks[warehouse])
    slug = settings.price_channel_slug
    price = variant.prices.get(slug) if slug else None
    if price is None:
        return _Missing(f"the variant is not available in channel {slug!r}")
    converted = convert_price(
        price.amount,
        from_gross=price.gross,
        to_gross=settings.bexio_price_is_gross,
        vat_rate=variant.vat_rate,
    )
    if converted is None:
        return _Missing("the product has no VAT rate to convert its price between gross and net")
    return converted


def _article_value(product_field: ProductField, article: Article) -> _Value | _Missing:
    if product_field is ProductField.TITLE:
        return article.intern_name.strip()
    if product_field is ProductField.DESCRIPTION:
        return plain_or_html_to_text(article.intern_description or "")
    if product_field is ProductField.WEIGHT:
        return _Missing("the article has no weight") if article.weight is None else article.weight
    if product_field is ProductField.STOCK:
        return to_stock(article.stock_nr)
    if article.sale_price is None:
        return _Missing("the article has no sale price")
    return article.sale_price.quantize(CENT, rounding=ROUND_HALF_UP)


def _same(product_field: ProductField, a: _Value, b: _Value) -> bool:
    return _canonical(product_field, a) == _canonical(product_field, b)


# --- Shop → bexio ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ArticleDraft:
    """The article fields to send; None means "leave as it is" (not sent)."""

    intern_code: str | None = None
    intern_name: str | None = None
    intern_description: str | None = None
    weight: int | None = None
    sale_price: Decimal | None = None
    stock_nr: int | None = None
    is_stock: bool | None = None
    article_type_id: int | None = None

    def as_fields(self) -> dict[str, str | int | bool]:
        """The bexio request fields: only those set; `sale_price` as a decimal string."""
        body: dict[str, str | int | bool] = {}
        for draft_field in fields(self):
            value = getattr(self, draft_field.name)
            if value is not None:
                body[draft_field.name] = f"{value:.2f}" if isinstance(value, Decimal) else value
        return body


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field write in a plan, old and new in bexio form (old None when unknown)."""

    field: ProductField
    old: str | None
    new: str


@dataclass(frozen=True, slots=True)
class ArticlePlan:
    """Create, update or skip a bexio article for a variant.

    After a successful apply (skips included) the flow stores `fingerprints` merged over the old
    ones. When `writes_stock` is set and bexio refuses, the flow raises `stock_refused_error(...)`
    and may first apply `without_stock()` so the other fields still arrive.
    """

    action: Literal["create", "update", "skip"]
    reason: str
    sku: str | None
    article_id: BexioArticleId | None = None
    draft: ArticleDraft = ArticleDraft()
    changes: tuple[FieldChange, ...] = ()
    fingerprints: Mapping[ProductField, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def writes_stock(self) -> bool:
        """Whether the plan sets `stock_nr`, which bexio refuses once the article has bookings."""
        return self.draft.stock_nr is not None

    def without_stock(self) -> ArticlePlan:
        """The same plan minus its stock write (a skip if nothing else is left to write)."""
        if not self.writes_stock:
            return self
        changes = tuple(c for c in self.changes if c.field is not ProductField.STOCK)
        prints: dict[ProductField, str] = {
            f: p for f, p in self.fingerprints.items() if f is not ProductField.STOCK
        }
        draft = replace(self.draft, stock_nr=None, is_stock=None)
        if self.action == "update" and not changes:
            return replace(
                self,
                action="skip",
                reason="Only the stock changed.",
                draft=ArticleDraft(),
                changes=(),
                fingerprints=prints,
            )
        return replace(self, draft=draft, changes=changes, fingerprints=prints)


_DRAFT_FIELD = {
    ProductField.TITLE: "intern_name",
    ProductField.DESCRIPTION: "intern_description",
    ProductField.WEIGHT: "weight",
    ProductField.STOCK: "stock_nr",
    ProductField.PRICE: "sale_price",
}


def _draft_value(product_field: ProductField, value: _Value) -> str | int | Decimal:
    if product_field in (ProductField.WEIGHT, ProductField.STOCK):
        return int(value)
    if product_field is ProductField.PRICE:
        return Decimal(value)
    return _canonical(product_field, value)


def _display(product_field: ProductField, value: _Value | _Missing | None) -> str | None:
    return (
        None if value is None or isinstance(value, _Missing) else _canonical(product_field, value)
    )


def plan_push(
    variant: Variant,
    article: Article | None,
    settings: ProductSettings,
    last_synced: FieldFingerprints,
) -> ArticlePlan:
    """Shop → bexio for the shop-master fields: create (if allowed), update what changed, or skip.

    A value whose fingerprint equals the last synced one is skipped even if bexio differs: the
    shop has not changed it since (and it may be the echo of a bexio → shop write).
    """
    sku = code_key(variant.sku) or None
    if sku is None:
        return ArticlePlan("skip", "The variant has no SKU, so it has no bexio article.", None)
    shop_fields = settings.fields(FieldMode.SHOP_MASTER)
    if article is None and not settings.create_missing_articles:
        return ArticlePlan(
            "skip", f"No bexio article has the number {sku} and creating articles is off.", sku
        )
    if article is None:
        return _plan_create(variant, sku, shop_fields, settings)

    values: dict[str, Any] = {}
    changes: list[FieldChange] = []
    prints: dict[ProductField, str] = {}
    notes: list[str] = []
    for product_field in shop_fields:
        value = _shop_value(product_field, variant, settings)
        if isinstance(value, _Missing):
            notes.append(f"{product_field.value}: not sent, {value.note}.")
            continue
        new_print = fingerprint(product_field, value)
        if last_synced.get(product_field) == new_print:
            continue
        current = _article_value(product_field, article)
        prints[product_field] = new_print
        if not isinstance(current, _Missing) and _same(product_field, current, value):
            continue
        values[_DRAFT_FIELD[product_field]] = _draft_value(product_field, value)
        changes.append(
            FieldChange(
                product_field, _display(product_field, current), _canonical(product_field, value)
            )
        )
    if "stock_nr" in values and not article.is_stock:
        values["is_stock"] = True
    if not changes:
        return ArticlePlan(
            "skip",
            "No shop-master field changed since the last sync.",
            sku,
            article.id,
            fingerprints=prints,
            notes=tuple(notes),
        )
    return ArticlePlan(
        "update",
        "Changed: " + ", ".join(c.field.value for c in changes) + ".",
        sku,
        article.id,
        replace(ArticleDraft(), **values),
        tuple(changes),
        prints,
        tuple(notes),
    )


def _plan_create(
    variant: Variant, sku: str, shop_fields: Sequence[ProductField], settings: ProductSettings
) -> ArticlePlan:
    # bexio requires intern_name; when the shop is not master of the title it is not read, so the
    # SKU stands in until the merchant names the article in bexio.
    values: dict[str, Any] = {
        "intern_code": sku,
        "intern_name": sku,
        "article_type_id": ARTICLE_TYPE_PHYSICAL,
    }
    changes: list[FieldChange] = []
    prints: dict[ProductField, str] = {}
    notes: list[str] = []
    for product_field in shop_fields:
        value = _shop_value(product_field, variant, settings)
        if isinstance(value, _Missing):
            notes.append(f"{product_field.value}: not sent, {value.note}.")
            continue
        values[_DRAFT_FIELD[product_field]] = _draft_value(product_field, value)
        changes.append(FieldChange(product_field, None, _canonical(product_field, value)))
        prints[product_field] = fingerprint(product_field, value)
    if "stock_nr" in values:
        values["is_stock"] = True
    return ArticlePlan(
        "create",
        f"No bexio article has the number {sku}; creating it.",
        sku,
        None,
        replace(ArticleDraft(), **values),
        tuple(changes),
        prints,
        tuple(notes),
    )


def stock_refused_error(sku: str, quantity: int, *, detail: str = "") -> RejectedError:
    """The merchant-facing error when bexio refuses a `stock_nr` write (bookings exist)."""
    return RejectedError(
        f"bexio did not accept the stock of article {sku} ({quantity}): bexio lets apps set an "
        "article's stock only until its first stock booking (an order, delivery or stock "
        "correction), and this article already has bookings. Correct the stock in bexio "
        "itself, or in the app's product settings make bexio the master of stock (or turn "
        "stock sync off) so the shop stops sending it.",
        detail=detail,
        code=MessageCode.STOCK_REFUSED,
        params={"sku": sku, "quantity": quantity},
    )


def duplicate_article_error(number: str) -> RejectedError:
    """The merchant-facing error when several bexio articles share one article number (SKU)."""
    return RejectedError(
        f"Several bexio articles have the article number {number}, so the app cannot "
        "tell which one belongs to the shop's variant with that SKU. Give each "
        "article in bexio its own number (or delete the extra ones).",
        code=MessageCode.DUPLICATE_ARTICLE_NUMBER,
        params={"number": number},
    )


# --- bexio → shop ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChannelPriceUpdate:
    """Set the variant's price in a channel (gross or net as that channel enters prices)."""

    channel_slug: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class StockUpdate:
    """Set the variant's quantity in a warehouse."""

    warehouse_id: SaleorId
    quantity: int


@dataclass(frozen=True, slots=True)
class VariantPlan:
    """Saleor updates for the bexio-master fields of one variant; None means "leave as it is".

    `product_name` and `description` (EditorJS JSON) go to the product, the rest to the variant.
    After a successful apply the flow stores `fingerprints` (merged over the old ones).
    """

    action: Literal["update", "skip"]
    reason: str
    variant_id: SaleorId | None = None
    product_id: SaleorId | None = None
    product_name: str | None = None
    variant_name: str | None = None
    description: str | None = None
    weight: Weight | None = None
    channel_price: ChannelPriceUpdate | None = None
    stock: StockUpdate | None = None
    changes: tuple[FieldChange, ...] = ()
    fingerprints: Mapping[ProductField, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


@dataclass(slots=True)
class _PullUpdates:
    product_name: str | None = None
    variant_name: str | None = None
    description: str | None = None
    weight: Weight | None = None
    channel_price: ChannelPriceUpdate | None = None
    stock: StockUpdate | None = None


def _pull_field(
    product_field: ProductField,
    value: _Value,
    variant: Variant,
    settings: ProductSettings,
    updates: _PullUpdates,
) -> str | None:
    """Fill `updates` for one field; a note when the value cannot be written into Saleor."""
    if product_field is ProductField.TITLE:
        title = str(value)
        if variant.variant_count <= 1:
            updates.product_name = title
            return None
        prefix = f"{variant.product_name.strip()} — "
        if not title.startswith(prefix) or not title[len(prefix) :].strip():
            return (
                f'not taken, a variant title must read "{prefix}<variant name>": the product '
                "name is shared by all variants"
            )
        updates.variant_name = title[len(prefix) :].strip()
        return None
    if product_field is ProductField.DESCRIPTION:
        if variant.variant_count > 1:
            return "not taken, the product has several variants whose articles could disagree"
        updates.description = text_to_richtext(str(value))
        return None
    if product_field is ProductField.WEIGHT:
        unit = variant.weight.unit if variant.weight is not None else WeightUnit.G
        updates.weight = Weight(from_grams(int(value), unit), unit)
        return None
    if product_field is ProductField.STOCK:
        if settings.stock_warehouse_id is None:
            return "not taken, no warehouse is chosen"
        updates.stock = StockUpdate(settings.stock_warehouse_id, int(value))
        return None
    slug = settings.price_channel_slug
    price = variant.prices.get(slug) if slug else None
    if slug is None or price is None:
        return f"not taken, the variant is not available in channel {slug!r}"
    amount = convert_price(
        Decimal(value),
        from_gross=settings.bexio_price_is_gross,
        to_gross=price.gross,
        vat_rate=variant.vat_rate,
    )
    if amount is None:
        return "not taken, the product has no VAT rate to convert between gross and net"
    updates.channel_price = ChannelPriceUpdate(slug, amount)
    return None


def plan_pull(
    article: Article,
    variant: Variant | None,
    settings: ProductSettings,
    last_synced: FieldFingerprints,
) -> VariantPlan:
    """bexio → shop for the bexio-master fields: the Saleor updates to make, or skip.

    A value whose fingerprint equals the last synced one is skipped (unchanged in bexio, or the
    echo of a shop → bexio write). Articles without a variant create nothing in Saleor.
    """
    if variant is None:
        return VariantPlan(
            "skip", f"No Saleor variant has the SKU {article.intern_code}; nothing to update."
        )
    updates = _PullUpdates()
    changes: list[FieldChange] = []
    prints: dict[ProductField, str] = {}
    notes: list[str] = []
    for product_field in settings.fields(FieldMode.BEXIO_MASTER):
        value = _article_value(product_field, article)
        if isinstance(value, _Missing):
            notes.append(f"{product_field.value}: not taken, {value.note}.")
            continue
        new_print = fingerprint(product_field, value)
        if last_synced.get(product_field) == new_print:
            continue
        current = _shop_value(product_field, variant, settings)
        if not isinstance(current, _Missing) and _same(product_field, current, value):
            prints[product_field] = new_print
            continue
        note = _pull_field(product_field, value, variant, settings, updates)
        if note is not None:
            notes.append(f"{product_field.value}: {note}.")
            continue
        prints[product_field] = new_print
        changes.append(
            FieldChange(
                product_field, _display(product_field, current), _canonical(product_field, value)
            )
        )
    if not changes:
        return VariantPlan(
            "skip",
            "No bexio-master field changed since the last sync.",
            variant.id,
            variant.product_id,
            fingerprints=prints,
            notes=tuple(notes),
        )
    return VariantPlan(
        "update",
        "Changed: " + ", ".join(c.field.value for c in changes) + ".",
        variant.id,
        variant.product_id,
        updates.product_name,
        updates.variant_name,
        updates.description,
        updates.weight,
        updates.channel_price,
        updates.stock,
        tuple(changes),
        prints,
        tuple(notes),
    )


def article_print(article: Article, settings: ProductSettings) -> str:
    """A hash of the article's bexio-master values (and of which fields those are).

    Stored after an article was handled; when it is unchanged at the next periodic read, the
    article's values have not changed in bexio and the shop need not be asked about it.
    """
    parts = [article.intern_code.strip()]
    for product_field in settings.fields(FieldMode.BEXIO_MASTER):
        value = _article_value(product_field, article)
        shown = "-" if isinstance(value, _Missing) else _canonical(product_field, value)
        parts.append(f"{product_field.value}={shown}")
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


# --- Bulk ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BulkCounts:
    """What an initial sync would do, in numbers (the dry-run summary)."""

    articles_to_create: int
    articles_to_update: int
    variants_to_update: int
    unchanged: int
    not_created: int
    unmatched_articles: int
    variants_without_sku: int
    duplicate_skus: int
    duplicate_codes: int
    # How many writes per field and direction, e.g. push[ProductField.PRICE].
    push_fields: Mapping[ProductField, int] = field(default_factory=dict)
    pull_fields: Mapping[ProductField, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class BulkPlan:
    """Every push and pull of an initial sync (shop → bexio first), plus what stays unmatched."""

    matching: Matching
    pushes: tuple[ArticlePlan, ...]
    pulls: tuple[VariantPlan, ...]

    @property
    def counts(self) -> BulkCounts:
        """The dry-run numbers."""
        pulls_done = [p for p in self.pulls if p.action == "update"]
        pushed = {p.sku for p in self.pushes if p.action != "skip"}
        pulled = {p.variant_id for p in pulls_done}
        matched = self.matching.matched
        unchanged = sum(
            1
            for m in matched
            if code_key(m.variant.sku) not in pushed and m.variant.id not in pulled
        )
        return BulkCounts(
            articles_to_create=sum(1 for p in self.pushes if p.action == "create"),
            articles_to_update=sum(1 for p in self.pushes if p.action == "update"),
            variants_to_update=len(pulls_done),
            unchanged=unchanged,
            not_created=sum(1 for p in self.pushes if p.article_id is None and p.action == "skip"),
            unmatched_articles=len(self.matching.unmatched_articles),
            variants_without_sku=len(self.matching.variants_without_sku),
            duplicate_skus=len(self.matching.duplicate_skus),
            duplicate_codes=len(self.matching.duplicate_codes),
            push_fields=dict(Counter(c.field for p in self.pushes for c in p.changes)),
            pull_fields=dict(Counter(c.field for p in self.pulls for c in p.changes)),
        )


def plan_initial_sync(
    variants: Iterable[Variant],
    articles: Iterable[Article],
    settings: ProductSettings,
    last_synced_by_sku: Mapping[str, FieldFingerprints],
) -> BulkPlan:
    """Plan the sync of every product in both configured directions; the dry-run reports it."""
    matching = match_variants(variants, articles)
    pushes: list[ArticlePlan] = []
    pulls: list[VariantPlan] = []
    for item in matching.matched:
        last = last_synced_by_sku.get(code_key(item.variant.sku), {})
        pushes.append(plan_push(item.variant, item.article, settings, last))
        pulls.append(plan_pull(item.article, item.variant, settings, last))
    for variant in matching.unmatched_variants:
        pushes.append(plan_push(variant, None, settings, {}))
    return BulkPlan(matching, tuple(pushes), tuple(pulls))
