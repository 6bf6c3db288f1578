"""The manifest and its subscription documents, checked against Saleor 3.24's real schema."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from graphql import (
    FieldNode,
    GraphQLEnumType,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    parse,
    validate,
)

from saleor_bexio_app import __version__
from saleor_bexio_app.jobs.model import JobKind
from saleor_bexio_app.saleor.events import (
    WEBHOOK_EVENTS,
    WebhookEvent,
    event_by_header,
    event_by_slug,
)
from saleor_bexio_app.saleor.manifest import (
    APP_PERMISSIONS,
    MANIFEST_DIR,
    build_manifest,
    subscription_document,
)
from saleor_bexio_app.saleor.schema import saleor_schema
from saleor_bexio_app.settings import Settings

DOCUMENTS = sorted(MANIFEST_DIR.glob("*.graphql"))
LOGO = Path(__file__).parents[2] / "saleor_bexio_app" / "static" / "logo.png"

# PROTOCOL.md §a: what the current dashboard accepts (app-extension-manifest-available-mounts.ts).
DASHBOARD_TARGETS = {"POPUP", "APP_PAGE", "NEW_TAB", "WIDGET"}
WIDGET_MOUNTS = {
    "ORDER_DETAILS_WIDGETS",
    "PRODUCT_DETAILS_WIDGETS",
    "VOUCHER_DETAILS_WIDGETS",
    "DRAFT_ORDER_DETAILS_WIDGETS",
    "GIFT_CARD_DETAILS_WIDGETS",
    "CUSTOMER_DETAILS_WIDGETS",
    "COLLECTION_DETAILS_WIDGETS",
    "HOMEPAGE_WIDGETS",
}
NAVIGATION_MOUNTS = {
    "NAVIGATION_CATALOG",
    "NAVIGATION_ORDERS",
    "NAVIGATION_CUSTOMERS",
    "NAVIGATION_DISCOUNTS",
    "NAVIGATION_TRANSLATIONS",
    "NAVIGATION_PAGES",
}
ORDER_MOUNTS = {
    "ORDER_DETAILS_MORE_ACTIONS",
    "ORDER_OVERVIEW_CREATE",
    "ORDER_OVERVIEW_MORE_ACTIONS",
    "ORDER_DETAILS_WIDGETS",
}
DASHBOARD_MOUNTS = WIDGET_MOUNTS | NAVIGATION_MOUNTS | ORDER_MOUNTS


def subscription_errors(text: str) -> list[str]:
    """What Saleor would refuse in a webhook `query`: schema errors or not one top-level field."""
    try:
        document = parse(text)
    except GraphQLError as exc:
        return [exc.message]
    errors = [error.message for error in validate(saleor_schema(), document)]
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1 or operations[0].operation != OperationType.SUBSCRIPTION:
        errors.append("the document must hold exactly one subscription")
    elif len(operations[0].selection_set.selections) != 1:
        errors.append("the subscription must have exactly one top-level field")
    return errors


def _field_paths(
    selection_set: SelectionSetNode, prefix: tuple[str, ...] = ()
) -> set[tuple[str, ...]]:
    paths: set[tuple[str, ...]] = set()
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            path = (*prefix, selection.name.value)
            paths.add(path)
            if selection.selection_set is not None:
                paths |= _field_paths(selection.selection_set, path)
    return paths


def _event_fragment(text: str) -> InlineFragmentNode:
    [operation] = parse(text).definitions
    assert isinstance(operation, OperationDefinitionNode)
    [event_field] = operation.selection_set.selections
    assert isinstance(event_field, FieldNode) and event_field.name.value == "event"
    assert event_field.selection_set is not None
    [fragment] = event_field.selection_set.selections
    assert isinstance(fragment, InlineFragmentNode) and fragment.type_condition is not None
    return fragment


def _settings(app_url: str) -> Settings:
    return Settings(secret_key="s" * 40, app_url=app_url)


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: path.name)
def test_every_manifest_document_is_a_valid_saleor_subscription(path: Path) -> None:
    assert subscription_errors(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "text",
    [
        "subscription { event { ... on OrderCreated { recipient { id } order { id nope } } } }",
        "subscription { event { ... on OrderCreated { order { id } } } orderCreated { issuedAt } }",
        "subscription { event { ... on NoSuchEvent { recipient { id } } } }",
        "query { event { ... on OrderCreated { order { id } } } }",
        "subscription { event { ... on OrderCreated { order { id } }",
    ],
    ids=["unknown-field", "two-top-level-fields", "unknown-type", "not-a-subscription", "syntax"],
)
def test_subscription_check_rejects_broken_documents(text: str) -> None:
    assert subscription_errors(text) != []


@pytest.mark.parametrize("event", WEBHOOK_EVENTS, ids=lambda event: event.name)
def test_document_selects_recipient_and_the_object_id_the_route_reads(event: WebhookEvent) -> None:
    fragment = _event_fragment(subscription_document(event))
    type_name = "".join(part.capitalize() for part in event.name.split("_"))
    assert fragment.type_condition is not None
    assert fragment.type_condition.name.value == type_name
    paths = _field_paths(fragment.selection_set)
    assert ("recipient", "id") in paths
    assert event.object_path in paths
    assert ("__typename",) in paths and ("issuedAt",) in paths and ("version",) in paths


def test_every_event_has_a_document_and_every_document_an_event() -> None:
    assert {path.name for path in DOCUMENTS} == {event.document_file for event in WEBHOOK_EVENTS}
    assert len({event.name for event in WEBHOOK_EVENTS}) == len(WEBHOOK_EVENTS)


def test_event_names_are_saleor_async_webhook_events() -> None:
    async_events = saleor_schema().get_type("WebhookEventTypeAsyncEnum")
    assert isinstance(async_events, GraphQLEnumType)
    for event in WEBHOOK_EVENTS:
        assert event.name in async_events.values, event.name
        assert async_events.values[event.name].deprecation_reason is None, event.name


@pytest.mark.parametrize(
    ("name", "kind", "object_path"),
    [
        ("ORDER_FULLY_PAID", JobKind.SYNC_ORDER, ("order", "id")),
        ("CUSTOMER_UPDATED", JobKind.SYNC_CUSTOMER, ("user", "id")),
        ("PRODUCT_DELETED", JobKind.SYNC_PRODUCT, ("product", "id")),
        (
            "PRODUCT_VARIANT_STOCK_UPDATED",
            JobKind.SYNC_PRODUCT,
            ("productVariant", "product", "id"),
        ),
        ("APP_DELETED", JobKind.APP_UNINSTALLED, ("app", "id")),
    ],
)
def test_events_are_found_by_url_slug_and_saleor_event_header(
    name: str, kind: JobKind, object_path: tuple[str, ...]
) -> None:
    event = event_by_slug(name.lower().replace("_", "-"))
    assert event is not None
    assert (event.name, event.job_kind, event.object_path) == (name, kind, object_path)
    assert event_by_header(name.lower()) is event
    assert event_by_header(name) is event


def test_unknown_slugs_and_headers_find_no_event() -> None:
    assert event_by_slug("order_created") is None
    assert event_by_slug("checkout-created") is None
    assert event_by_header("checkout_created") is None


def test_manifest_identifies_the_app_with_its_version() -> None:
    manifest = build_manifest(_settings("https://bexio.example.com"))
    assert manifest["id"] == "ch.saleor-bexio-app"
    assert manifest["version"] == __version__
    assert manifest["name"] == "bexio"
    assert manifest["about"] and manifest["author"]
    assert manifest["requiredSaleorVersion"].startswith(">=3.")


@pytest.mark.parametrize(
    "app_url", ["https://bexio.example.com", "http://localhost:9000/apps/bexio"]
)
def test_manifest_urls_follow_app_url(app_url: str) -> None:
    manifest = build_manifest(_settings(app_url))
    assert manifest["appUrl"] == f"{app_url}/app"
    assert manifest["tokenTargetUrl"] == f"{app_url}/api/register"
    assert manifest["brand"] == {"logo": {"default": f"{app_url}/static/logo.png"}}
    for key in ("homepageUrl", "supportUrl", "dataPrivacyUrl"):
        assert manifest[key].startswith(f"{app_url}/")
    for hook, event in zip(manifest["webhooks"], WEBHOOK_EVENTS, strict=True):
        assert hook["targetUrl"] == f"{app_url}/api/webhooks/{event.path_slug}"


def test_manifest_webhooks_carry_their_document_and_one_async_event() -> None:
    manifest = build_manifest(_settings("https://bexio.example.com"))
    assert [hook["asyncEvents"] for hook in manifest["webhooks"]] == [
        [event.name] for event in WEBHOOK_EVENTS
    ]
    for hook, event in zip(manifest["webhooks"], WEBHOOK_EVENTS, strict=True):
        assert hook["query"] == (MANIFEST_DIR / event.document_file).read_text(encoding="utf-8")
        assert hook["isActive"] is True
        assert hook["name"]
        assert "syncEvents" not in hook
    identifiers = [hook["identifier"] for hook in manifest["webhooks"]]
    assert len(set(identifiers)) == len(identifiers)
    assert all(0 < len(identifier) <= 256 for identifier in identifiers)


def test_manifest_permissions_are_saleor_permissions_without_manage_apps() -> None:
    manifest = build_manifest(_settings("https://bexio.example.com"))
    permission_enum = saleor_schema().get_type("PermissionEnum")
    assert isinstance(permission_enum, GraphQLEnumType)
    assert set(manifest["permissions"]) <= set(permission_enum.values)
    assert "MANAGE_APPS" not in manifest["permissions"]
    assert set(manifest["permissions"]) == {"MANAGE_ORDERS", "MANAGE_USERS", "MANAGE_PRODUCTS"}
    assert tuple(manifest["permissions"]) == APP_PERMISSIONS


def test_extensions_use_mounts_and_targets_the_dashboard_accepts() -> None:
    manifest = build_manifest(_settings("https://bexio.example.com"))
    extensions = manifest["extensions"]
    assert {(e["mount"], e["target"], e["url"]) for e in extensions} == {
        ("NAVIGATION_ORDERS", "APP_PAGE", "/app/errors"),
        ("ORDER_DETAILS_WIDGETS", "WIDGET", "/app/order-widget"),
        ("ORDER_DETAILS_MORE_ACTIONS", "POPUP", "/app/order-sync"),
    }
    for extension in extensions:
        assert extension["label"]
        assert extension["mount"] in DASHBOARD_MOUNTS
        assert extension["target"] in DASHBOARD_TARGETS
        if extension["target"] == "WIDGET":
            assert extension["mount"] in WIDGET_MOUNTS
        # Relative URLs need appUrl; the dashboard insists on relative ones for APP_PAGE.
        assert extension["url"].startswith("/")
        assert set(extension["permissions"]) <= set(manifest["permissions"])
        options = extension.get("options", {})
        assert not ({"newTabTarget", "widgetTarget"} <= set(options))
        if "widgetTarget" in options:
            assert extension["target"] == "WIDGET"
    identifiers = [extension["identifier"] for extension in extensions]
    assert len(set(identifiers)) == len(identifiers)


def test_logo_is_a_square_png_of_at_least_256_pixels() -> None:
    data = LOGO.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert width == height >= 256
    assert len(data) <= 10 * 1024 * 1024
