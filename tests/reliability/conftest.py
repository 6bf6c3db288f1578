"""The web harness (app + Saleor double + bexio emulator over a fake network), reused here."""

from tests.web.conftest import harness

__all__ = ["harness"]
