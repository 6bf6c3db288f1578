"""The chaos run at a size a CI machine finishes in a few minutes (tests/reliability/chaos.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import _create_database
from tests.reliability.chaos import ChaosConfig, run_chaos

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


async def test_chaos_run_loses_and_duplicates_nothing(pg_server: str, tmp_path: Path) -> None:
    # given: 3 worker processes, bexio failing 20 % of calls, workers killed every few seconds
    config = ChaosConfig(orders=40, seed=20261123, workers=3, fault_rate=0.2, timeout=600)

    # when
    report = await run_chaos(config, await _create_database(pg_server), tmp_path)

    # then: one contact per e-mail, one invoice per order with the order's total and VAT,
    # each ticked action once at bexio, each paid invoice once in Saleor, nothing stuck
    print(report.render())
    assert report.failures == [], report.render()
