"""Dependency direction: sync/ is pure; edges don't import the web layer."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parents[1] / "saleor_bexio_app"
IO_LIBRARIES = {"httpx", "gql", "sqlalchemy", "starlette", "strawberry", "uvicorn", "alembic"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _modules(subpackage: str) -> list[Path]:
    return sorted((PACKAGE / subpackage).rglob("*.py"))


def test_sync_imports_only_sync_ids_and_errors() -> None:
    allowed_app = ("saleor_bexio_app.sync", "saleor_bexio_app.ids", "saleor_bexio_app.errors")
    for path in _modules("sync"):
        for name in _imports(path):
            assert name.split(".")[0] not in IO_LIBRARIES, f"{path.name} imports {name}"
            if name.startswith("saleor_bexio_app"):
                assert name.startswith(allowed_app), f"{path.name} imports {name}"


def test_edges_and_store_do_not_import_web_api_or_cli() -> None:
    for subpackage in ("sync", "saleor", "bexio", "store", "jobs"):
        for path in _modules(subpackage):
            for name in _imports(path):
                assert not name.startswith(
                    ("saleor_bexio_app.web", "saleor_bexio_app.api", "saleor_bexio_app.cli")
                ), f"{subpackage}/{path.name} imports {name}"


def test_layer_check_sees_the_modules_it_guards() -> None:
    assert _modules("saleor") and _modules("store") and _modules("jobs")
