"""A merchant's browser at bexio's login page: read the form, click a button."""

from __future__ import annotations

from html.parser import HTMLParser

import httpx


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.method = "get"
        self.fields: dict[str, str] = {}
        self.buttons: dict[str, tuple[str, str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form" and self.action is None:
            self.action = values.get("action", "")
            self.method = values.get("method", "get").lower()
        elif tag == "input" and values.get("type", "text") in ("hidden", "text"):
            self.fields[values.get("name", "")] = values.get("value", "")
        elif tag in ("button", "input") and values.get("type", "submit") == "submit":
            label = values.get("value", "") or values.get("name", "")
            self.buttons[label.lower()] = (values.get("name", ""), values.get("value", ""))


async def click_at_bexio(browser: httpx.AsyncClient, authorize_url: str, button: str) -> str:
    """Open bexio's consent page, press `button` ("allow"/"deny"); return the redirect target."""
    page = await browser.get(authorize_url)
    assert page.status_code == 200, page.text
    parser = _FormParser()
    parser.feed(page.text)
    matches = [key for key in parser.buttons if button in key]
    assert matches, f"no {button!r} button among {list(parser.buttons)}"
    name, value = parser.buttons[matches[0]]
    form = {**parser.fields, **({name: value} if name else {})}
    target = str(page.url.join(parser.action or ""))
    if parser.method == "post":
        answer = await browser.post(target, data=form)
    else:
        answer = await browser.get(target, params=form)
    assert answer.status_code in (302, 303), answer.text
    return answer.headers["location"]
