"""Document numbers: follow bexio's "automatic numbering" setting, or send the Saleor number.

bexio refuses `document_nr` when it numbers documents itself and requires it otherwise
(API.md §e), so the app's setting must match bexio's `kb_item_setting` before anything is created.
"""

from __future__ import annotations

from saleor_bexio_app.errors import ConfigError
from saleor_bexio_app.sync.model import Order, SettingsProblem, ShopSettings


def check_numbering(settings: ShopSettings, bexio_automatic: bool) -> SettingsProblem | None:
    """A problem when the app's numbering setting differs from bexio's, else None."""
    if settings.automatic_numbering == bexio_automatic:
        return None
    if bexio_automatic:
        message = (
            "bexio numbers documents automatically, but “Automatic assignment of order "
            "numbers” is off in the app. Turn it on in the app, or turn automatic numbering "
            "off in bexio (Settings → Documents)."
        )
    else:
        message = (
            "bexio expects document numbers from the app (its automatic numbering is off), "
            "but “Automatic assignment of order numbers” is on in the app. Turn it off in the "
            "app, or turn automatic numbering on in bexio (Settings → Documents)."
        )
    return SettingsProblem("automatic_numbering", message)


def plan_document_nr(order: Order, settings: ShopSettings, bexio_automatic: bool) -> str | None:
    """None when bexio numbers the document, else prefix + Saleor number; mismatch: ConfigError."""
    problem = check_numbering(settings, bexio_automatic)
    if problem is not None:
        raise ConfigError(problem.message)
    if bexio_automatic:
        return None
    return f"{settings.document_nr_prefix}{order.number}"
