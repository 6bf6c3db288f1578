"""Document numbers follow bexio's automatic numbering, or are the Saleor number."""

from __future__ import annotations

import pytest

from saleor_bexio_app.errors import ConfigError
from saleor_bexio_app.sync.numbering import check_numbering, plan_document_nr
from tests.builders import make_order, make_settings


@pytest.mark.parametrize(
    ("app_automatic", "bexio_automatic", "prefix", "expected"),
    [
        (True, True, "", None),
        (True, True, "WEB-", None),
        (False, False, "", "1001"),
        (False, False, "WEB-", "WEB-1001"),
    ],
)
def test_document_nr_is_empty_when_bexio_numbers_else_the_prefixed_saleor_number(
    app_automatic: bool, bexio_automatic: bool, prefix: str, expected: str | None
) -> None:
    settings = make_settings(automatic_numbering=app_automatic, document_nr_prefix=prefix)

    assert plan_document_nr(make_order(), settings, bexio_automatic) == expected
    assert check_numbering(settings, bexio_automatic) is None


@pytest.mark.parametrize(
    ("app_automatic", "bexio_automatic", "message"),
    [
        (False, True, "bexio numbers documents automatically, but “Automatic assignment"),
        (True, False, "bexio expects document numbers from the app"),
    ],
)
def test_numbering_mismatch_is_a_config_error_before_any_document(
    app_automatic: bool, bexio_automatic: bool, message: str
) -> None:
    settings = make_settings(automatic_numbering=app_automatic)

    problem = check_numbering(settings, bexio_automatic)
    with pytest.raises(ConfigError) as caught:
        plan_document_nr(make_order(), settings, bexio_automatic)

    assert problem is not None
    assert problem.setting == "automatic_numbering"
    assert caught.value.user_message == problem.message
    assert caught.value.user_message.startswith(message)
