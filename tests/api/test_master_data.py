"""The dashboard API of bexio's choices for the settings (users, bank accounts, payment types,
languages, revenue accounts) and of bexio's document numbering beside the app's setting."""

from __future__ import annotations

from dataclasses import replace

from saleor_bexio_app.ids import InstallationId
from tests.api.test_graphql import READ_ONLY, _gql, _installed, _post
from tests.web import conftest as web_conftest
from tests.web.conftest import SHOP_A, Harness
from tests.web.shop import ready_shop as _shop

harness = web_conftest.harness

MASTER_DATA = """query($refresh: Boolean! = false) {
  bexioMasterData(refresh: $refresh) {
    __typename
    ... on BexioMasterData {
      users { id name email }
      bankAccounts { id name iban currency }
      paymentTypes { id name }
      languages { id name code }
      revenueAccounts { id accountNo name }
    }
    ... on BexioNotConnected { message }
    ... on BexioUnavailable { message }
  }
}"""
NUMBERING = """{
  bexioNumbering {
    __typename
    ... on BexioNumbering { bexioAutomatic appAutomatic matches problem }
    ... on BexioNotConnected { message }
    ... on BexioUnavailable { message }
  }
}"""


async def _shop_id(harness: Harness) -> InstallationId:
    [installation] = [i for i in await harness.installations() if i.saleor_api_url == SHOP_A]
    return InstallationId(installation.id)


def _master_data_calls(calls: list[tuple[str, str]]) -> list[tuple[str, str]]:
    paths = ("/3.0/users", "/3.0/banking/accounts", "/2.0/payment_type", "/2.0/language")
    return [call for call in calls if call[1].startswith(paths) or "accounts/search" in call[1]]


async def test_master_data_lists_what_bexio_offers(harness: Harness) -> None:
    # given bexio with an inactive revenue account and an expense account besides the seeded ones
    double, app, bexio = await _shop(harness)
    bexio.add_account(account_no="3400", name="Dienstleistungserlös")
    bexio.add_account(account_no="3900", name="Alte Erlöse", is_active=False)
    bexio.add_account(account_no="4400", name="Aufwand Dienstleistungen", account_type=2)
    # when a staff user with MANAGE_ORDERS opens a settings page
    data = (await _gql(harness, double, app, MASTER_DATA, permissions=READ_ONLY))["bexioMasterData"]
    # then every list has bexio's entries, and only active revenue accounts, by number
    assert data["__typename"] == "BexioMasterData"
    assert data["users"] == [
        {"id": 1, "name": "Mustermann Maxmilian", "email": "kmhdqqnlcfoovsjdqy@gonrr.net"}
    ]
    assert data["bankAccounts"] == [
        {"id": 1, "name": "Musterbank", "iban": "CH8781223780488303006", "currency": "CHF"}
    ]
    assert [kind["name"] for kind in data["paymentTypes"]][:4] == [
        "Vorauszahlung",
        "Barzahlung",
        "EC Karte",
        "Rechnung",
    ]
    assert {"id": 1, "name": "Deutsch", "code": "de"} in data["languages"]
    assert {"id": 4, "name": "Englisch", "code": "en"} in data["languages"]
    assert [(a["accountNo"], a["name"]) for a in data["revenueAccounts"]] == [
        ("3200", "Handelserlös"),
        ("3400", "Dienstleistungserlös"),
        ("3800", "Skonti"),
        ("6999", "Währungsgewinne"),
    ]
    assert {a["id"] for a in data["revenueAccounts"]} >= {101}


async def test_master_data_is_cached_until_a_refresh_is_asked_for(harness: Harness) -> None:
    double, app, bexio = await _shop(harness)
    first = await _gql(harness, double, app, MASTER_DATA)
    calls = len(_master_data_calls(bexio.calls))
    assert calls >= 5
    # a payment type added in bexio shows only once the page asks for a refresh
    bexio.company.payment_types[8] = {"id": 8, "name": "TWINT"}
    second = await _gql(harness, double, app, MASTER_DATA)
    assert second == first
    assert len(_master_data_calls(bexio.calls)) == calls
    refreshed = await _gql(harness, double, app, MASTER_DATA, {"refresh": True})
    names = [kind["name"] for kind in refreshed["bexioMasterData"]["paymentTypes"]]
    assert names[-1] == "TWINT"
    assert len(_master_data_calls(bexio.calls)) > calls


async def test_master_data_without_bexio_is_not_connected(harness: Harness) -> None:
    double, app = await _installed(harness, SHOP_A)
    data = (await _gql(harness, double, app, MASTER_DATA))["bexioMasterData"]
    assert data["__typename"] == "BexioNotConnected"
    assert data["message"]


async def test_master_data_after_bexio_revoked_the_app_is_not_connected(harness: Harness) -> None:
    double, app, bexio = await _shop(harness)
    bexio.revoke_refresh_tokens()
    bexio.expire_access_tokens()
    data = (await _gql(harness, double, app, MASTER_DATA))["bexioMasterData"]
    assert data["__typename"] == "BexioNotConnected"
    assert data["message"]


async def test_master_data_while_bexio_is_down_is_unavailable(harness: Harness) -> None:
    double, app, bexio = await _shop(harness)
    bexio.fail_next(1, 503)
    data = (await _gql(harness, double, app, MASTER_DATA))["bexioMasterData"]
    assert data["__typename"] == "BexioUnavailable"
    assert data["message"]
    assert "bexio" in data["message"]
    # and once bexio answers again, the lists come
    again = (await _gql(harness, double, app, MASTER_DATA))["bexioMasterData"]
    assert again["__typename"] == "BexioMasterData"


async def test_master_data_needs_the_apps_read_permission(harness: Harness) -> None:
    double, app, bexio = await _shop(harness)
    headers = harness.dashboard_headers(double, app, ["MANAGE_PRODUCTS"])
    before = len(bexio.calls)
    for query in (MASTER_DATA, NUMBERING):
        response = await _post(harness, headers, query)
        assert response.status_code == 403
        assert "MANAGE_ORDERS" in response.json()["error"]
    assert len(bexio.calls) == before


async def test_numbering_matches_when_both_number_automatically(harness: Harness) -> None:
    double, app, _ = await _shop(harness)
    data = (await _gql(harness, double, app, NUMBERING, permissions=READ_ONLY))["bexioNumbering"]
    assert data == {
        "__typename": "BexioNumbering",
        "bexioAutomatic": True,
        "appAutomatic": True,
        "matches": True,
        "problem": None,
    }


async def test_numbering_reads_bexios_setting_afresh_and_names_the_mismatch(
    harness: Harness,
) -> None:
    double, app, bexio = await _shop(harness)
    assert (await _gql(harness, double, app, NUMBERING))["bexioNumbering"]["matches"] is True
    # when the merchant turns automatic numbering off in bexio
    bexio.set_numbering(False)
    data = (await _gql(harness, double, app, NUMBERING))["bexioNumbering"]
    # then the next look shows the mismatch and what to change
    assert data["bexioAutomatic"] is False
    assert data["appAutomatic"] is True
    assert data["matches"] is False
    assert "automatic numbering" in data["problem"]
    # and once the app's setting follows, they match again
    repo = harness.services.sync_repo
    shop = await _shop_id(harness)
    await repo.save_shop_settings(
        shop, replace(await repo.shop_settings(shop), automatic_numbering=False)
    )
    data = (await _gql(harness, double, app, NUMBERING))["bexioNumbering"]
    assert (data["bexioAutomatic"], data["appAutomatic"], data["matches"]) == (False, False, True)
    assert data["problem"] is None


async def test_numbering_without_bexio_is_not_connected(harness: Harness) -> None:
    double, app = await _installed(harness, SHOP_A)
    data = (await _gql(harness, double, app, NUMBERING))["bexioNumbering"]
    assert data["__typename"] == "BexioNotConnected"


async def test_numbering_while_bexio_is_down_is_unavailable(harness: Harness) -> None:
    double, app, bexio = await _shop(harness)
    bexio.fail_next(1, 500)
    data = (await _gql(harness, double, app, NUMBERING))["bexioNumbering"]
    assert data["__typename"] == "BexioUnavailable"
