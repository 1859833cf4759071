"""The shape of the code, checked on its import graph and sizes (#15): the platform imports nothing above
it, domains are pure, routers reach storage only through the service layer, modules stay small."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("catalog", "exchange", "elicense", "scoring")
# What a pure domain must not reach: I/O libraries and the layers around it.
IMPURE = ("asyncpg", "aiokafka", "fastapi", "starlette", "httpx", "faststream", "hubkit.db", "hubkit.kafka",
          "hubkit.outbox", "hubkit.uow")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _modules(*parts: str) -> list[Path]:
    return sorted(ROOT.joinpath(*parts).rglob("*.py"))


def _reaches(imports: set[str], prefixes: tuple[str, ...]) -> list[str]:
    return sorted(i for i in imports if any(i == p or i.startswith(p + ".") for p in prefixes))


@pytest.mark.parametrize("path", _modules("libs", "hubkit", "hubkit"), ids=lambda p: p.name)
def test_the_platform_imports_no_service(path: Path) -> None:
    assert _reaches(_imports(path), (*SERVICES, "hubdemo")) == []


@pytest.mark.parametrize("path", _modules("libs", "contracts", "contracts"), ids=lambda p: p.name)
def test_contracts_import_neither_platform_nor_service(path: Path) -> None:
    assert _reaches(_imports(path), (*SERVICES, "hubdemo", "hubkit")) == []


@pytest.mark.parametrize("path", [p for s in SERVICES for p in _modules("services", s, "domain")],
                         ids=lambda p: f"{p.parts[-3]}/{p.name}" if p.parent.name != "domain" else p.name)
def test_domains_are_pure(path: Path) -> None:
    service = path.relative_to(ROOT / "services").parts[0]
    layers = tuple(f"{service}.{layer}" for layer in ("api", "storage", "messaging", "service", "adapters"))
    assert _reaches(_imports(path), (*IMPURE, *layers)) == []


@pytest.mark.parametrize("path", [p for s in SERVICES for p in _modules("services", s, "api")], ids=lambda p: p.name)
def test_routers_reach_storage_only_through_the_service_layer(path: Path) -> None:
    """The one piece of storage the HTTP layer names is the unit of work it binds for the handlers
    (the composition root, api/deps.py or api/common.py); reads go through service/queries.py."""
    service = path.relative_to(ROOT / "services").parts[0]
    uow = f"{service}.storage.uow"
    found = [i for i in _reaches(_imports(path), (f"{service}.storage", "asyncpg", "hubkit.outbox"))
             if not (i == uow or i.startswith(uow + "."))]
    assert found == []


def test_no_module_is_much_above_300_lines() -> None:
    sizes = {p.relative_to(ROOT).as_posix(): len(p.read_text(encoding="utf-8").splitlines())
             for p in [*_modules("libs"), *_modules("services"), *_modules("benchmarks")]}
    assert {path: n for path, n in sizes.items() if n > 330} == {}
