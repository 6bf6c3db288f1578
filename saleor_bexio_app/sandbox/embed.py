"""The sandbox's stand-in for the Saleor dashboard: a page that embeds an app page in an iframe.

It speaks AppBridge (PROTOCOL.md §d) as the dashboard does: the iframe `src` carries `domain`,
`saleorApiUrl`, `id` and `theme`; on the iframe's `load` and in reply to `notifyReady` it posts
a `handshake` with a real RS256 dashboard JWT (fetched from `/sandbox/token`, minted by the Saleor
double); it answers every app action with `{type: "response", payload: {actionId, ok: true}}`
and records it in `window.__appActions`; `window.sandbox.setTheme(...)`,
`window.sandbox.setLocale(...)` and `window.sandbox.refreshToken()` send `theme`,
`localeChanged` and `tokenRefresh` (also as buttons); like the dashboard, the page also sends
`tokenRefresh` by itself 30 s before the current token expires. Two more buttons place a sample
order in the Saleor double and deliver its signed webhook (`POST /sandbox/order`), one of them
with a VAT rate the shop has not mapped, so the errors page has something to show.

Query parameters of the page: `path` (the app page, default `/app/errors`), `theme`
(`light`/`dark`) and `locale` (sent as `localeChanged` after the first handshake, like the
dashboard does when its language is not English); any other parameter (e.g. `orderId` for the
order widget and the "Sync to bexio" popup) is passed on in the iframe URL.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from html import escape
from typing import Any
from urllib.parse import urlencode

import httpx
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

SALEOR_VERSION = "3.24.0"
DASHBOARD_VERSION = "3.23.27"
DEFAULT_PATH = "/app/errors"

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Saleor dashboard (sandbox)</title>
<style>
body{{margin:0;font-family:system-ui,sans-serif;display:flex;flex-direction:column;height:100vh}}
header{{display:flex;gap:.5rem;align-items:center;padding:.5rem 1rem;background:#f4f4f5;
border-bottom:1px solid #ddd;flex-wrap:wrap}}
header strong{{margin-right:1rem}}
iframe{{flex:1;border:0;width:100%}}
</style></head>
<body>
<header><strong>Saleor dashboard (sandbox)</strong>
<button type="button" id="theme-light">Light</button>
<button type="button" id="theme-dark">Dark</button>
<button type="button" id="locale-en">English</button>
<button type="button" id="locale-de">Deutsch</button>
<button type="button" id="token-refresh">Refresh token</button>
<button type="button" id="order-ok">Place an order</button>
<button type="button" id="order-unmapped">Place an order with unmapped VAT (3.8 %)</button>
<span id="sandbox-status"></span>
</header>
<iframe id="app-frame" title="bexio app"
 sandbox="allow-same-origin allow-forms allow-scripts allow-downloads allow-popups"
 src="{src}"></iframe>
<script>
(function () {{
  const config = {config};
  const frame = document.getElementById("app-frame");
  const status = document.getElementById("sandbox-status");
  window.__appActions = [];
  window.__handshakes = 0;
  let locale = config.locale;

  async function token() {{
    const answer = await fetch("/sandbox/token", {{cache: "no-store"}});
    if (!answer.ok) throw new Error("token endpoint answered " + answer.status);
    return (await answer.json()).token;
  }}
  function post(type, payload) {{
    frame.contentWindow.postMessage({{type: type, payload: payload}}, config.appOrigin);
  }}
  // Like the dashboard: a new token 30 s before the current one expires (at least 30 s apart).
  let refreshTimer = null;
  function scheduleRefresh(jwt) {{
    const part = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const expires = JSON.parse(atob(part)).exp * 1000;
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refreshToken, Math.max(30000, expires - Date.now() - 30000));
  }}
  async function refreshToken() {{
    const fresh = await token();
    post("tokenRefresh", {{token: fresh}});
    scheduleRefresh(fresh);
  }}
  async function handshake() {{
    const fresh = await token();
    scheduleRefresh(fresh);
    post("handshake", {{
      token: fresh, version: 1,
      saleorVersion: config.saleorVersion, dashboardVersion: config.dashboardVersion,
    }});
    window.__handshakes += 1;
    status.textContent = "handshakes sent: " + window.__handshakes;
  }}
  let loaded = false;
  frame.addEventListener("load", async function () {{
    await handshake();
    if (!loaded && locale && locale !== "en") post("localeChanged", {{locale: locale}});
    loaded = true;
  }});
  window.addEventListener("message", async function (event) {{
    if (event.origin !== config.appOrigin) return;
    const data = event.data;
    if (!data || typeof data !== "object" || !data.payload || !data.payload.actionId) return;
    window.__appActions.push(data);
    post("response", {{actionId: data.payload.actionId, ok: true}});
    if (data.type === "notifyReady") await handshake();
  }});
  window.sandbox = {{
    setTheme: function (theme) {{ post("theme", {{theme: theme}}); }},
    setLocale: function (value) {{ locale = value; post("localeChanged", {{locale: value}}); }},
    refreshToken: refreshToken,
    handshake: handshake,
    placeOrder: async function (unmappedVat) {{
      const answer = await fetch("/sandbox/order", {{
        method: "POST", headers: {{"content-type": "application/json"}},
        body: JSON.stringify({{unmappedVat: Boolean(unmappedVat)}}),
      }});
      const body = await answer.json();
      status.textContent = answer.ok ? "order " + body.orderId + " placed" : body.error;
      return body;
    }},
  }};
  const clicks = {{
    "theme-light": () => window.sandbox.setTheme("light"),
    "theme-dark": () => window.sandbox.setTheme("dark"),
    "locale-en": () => window.sandbox.setLocale("en"),
    "locale-de": () => window.sandbox.setLocale("de"),
    "token-refresh": () => window.sandbox.refreshToken(),
    "order-ok": () => window.sandbox.placeOrder(false),
    "order-unmapped": () => window.sandbox.placeOrder(true),
  }};
  for (const [id, action] of Object.entries(clicks)) {{
    document.getElementById(id).addEventListener("click", action);
  }}
}})();
</script>
</body></html>"""


_OWN_PARAMS = frozenset({"path", "theme", "locale", "domain", "saleorApiUrl", "id"})


def embed_routes(
    *,
    app_url: str,
    api_url: str,
    app_id: Callable[[], str],
    token: Callable[[], str],
    place_order: Callable[[bool], Awaitable[str]],
) -> list[BaseRoute]:
    """`/sandbox/` (the embedding page), `/sandbox/token` (a fresh dashboard JWT) and
    `/sandbox/order` (place a sample order: `{"unmappedVat": bool}` → `{"orderId"}`)."""
    app_origin = app_url.rstrip("/")

    async def page(request: Request) -> Response:
        path = request.query_params.get("path", DEFAULT_PATH)
        if not path.startswith("/app"):
            path = DEFAULT_PATH
        theme = "dark" if request.query_params.get("theme") == "dark" else "light"
        locale = request.query_params.get("locale", "en")
        domain = api_url.split("://", 1)[1].split("/", 1)[0]
        # Any other parameter (e.g. `orderId` for the order widget) goes to the app page too,
        # as the dashboard passes an extension's context in its URL.
        extra = {
            name: value for name, value in request.query_params.items() if name not in _OWN_PARAMS
        }
        src = f"{app_origin}{path}?" + urlencode(
            {**extra, "domain": domain, "saleorApiUrl": api_url, "id": app_id(), "theme": theme}
        )
        config = {
            "appOrigin": app_origin,
            "saleorVersion": SALEOR_VERSION,
            "dashboardVersion": DASHBOARD_VERSION,
            "locale": locale,
        }
        # `</` cannot end the script early: JSON escapes nothing of it by default.
        script_config = json.dumps(config).replace("</", "<\\/")
        return HTMLResponse(
            _PAGE.format(src=escape(src), config=script_config),
            headers={"Cache-Control": "no-store"},
        )

    async def fresh_token(request: Request) -> Response:
        return JSONResponse({"token": token()}, headers={"Cache-Control": "no-store"})

    async def order(request: Request) -> Response:
        try:
            body: Any = await request.json()
        except ValueError:
            body = {}
        unmapped = isinstance(body, dict) and body.get("unmappedVat") is True
        try:
            order_id = await place_order(unmapped)
        except httpx.HTTPError as exc:
            return JSONResponse({"error": f"the app refused the webhook: {exc}"}, status_code=502)
        return JSONResponse({"orderId": order_id})

    return [
        Route("/sandbox/", page, methods=["GET"]),
        Route("/sandbox/token", fresh_token, methods=["GET"]),
        Route("/sandbox/order", order, methods=["POST"]),
    ]
