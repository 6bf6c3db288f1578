"""The public pages the manifest links to: about, support, data privacy."""

from __future__ import annotations

from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Route

from saleor_bexio_app.web.services import services_of

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem;
line-height:1.5}}code{{background:#f2f2f2;padding:0 .25rem}}</style></head>
<body><h1>{title}</h1>{body}</body></html>"""

_HOME = """<p>This app connects a Saleor shop with bexio, the Swiss cloud accounting system:
customers become bexio contacts, orders become bexio invoices, payments flow back to the order.</p>
<p>To install it, open your Saleor dashboard, go to <em>Apps → Install external app</em> and paste
<code>{manifest}</code>.</p>
<p><a href="/support">Support</a> · <a href="/privacy">Data privacy</a></p>"""

_SUPPORT = """<p>Problems with a single order, customer or product are listed with their reason
on the <em>bexio</em> page in your Saleor dashboard (Orders → bexio); most can be fixed there and
retried.</p>
<p>For anything else, contact the operator of this installation at <code>{host}</code> and
mention your Saleor address. Never send passwords or tokens.</p>"""

_PRIVACY = """<p>The app stores, per shop: the Saleor address and app id, the app token
Saleor issued and the bexio connection tokens (both encrypted), the shop's settings, the links
between Saleor objects and bexio documents (ids only), pending work (which object changed) and an
error log with merchant-readable reasons. It does not keep copies of customers, orders or
products: it reads them from Saleor when it needs them and sends them to bexio.</p>
<p>Uninstalling the app in Saleor disables the shop at once, deletes its tokens and drops
its pending work.</p>"""


def render_page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(title=escape(title), body=body))


async def home(request: Request) -> HTMLResponse:
    services = services_of(request)
    manifest = escape(f"{services.settings.app_url}/api/manifest")
    return render_page("bexio for Saleor", _HOME.format(manifest=manifest))


async def support(request: Request) -> HTMLResponse:
    services = services_of(request)
    return render_page("Support", _SUPPORT.format(host=escape(services.settings.app_url)))


async def privacy(request: Request) -> HTMLResponse:
    return render_page("Data privacy", _PRIVACY)


def page_routes() -> list[BaseRoute]:
    return [
        Route("/", home, methods=["GET"]),
        Route("/support", support, methods=["GET"]),
        Route("/privacy", privacy, methods=["GET"]),
    ]
