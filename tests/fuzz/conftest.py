"""Fuzz tests run the app with the Saleor double and bexio emulator of tests/web/conftest.py."""

from __future__ import annotations

import pytest

from tests.fuzz.observed import PROFILE, TALLY
from tests.web import conftest as web_conftest

harness = web_conftest.harness


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not TALLY.statuses:
        return
    terminalreporter.section(f"fuzz answers (hypothesis profile {PROFILE})")
    for line in TALLY.lines():
        terminalreporter.write_line(line)
