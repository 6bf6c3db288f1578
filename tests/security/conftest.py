"""Security tests run the app with the Saleor doubles and bexio emulator of tests/web."""

from __future__ import annotations

from tests.web import conftest as web_conftest

harness = web_conftest.harness
