"""The catalog's code lists as versioned data (`catalog.v<N>.toml` beside this module): the catalog kinds
with their items (the first levels of a resource code, seed 003 §5.3.1) and the domains (所属领域, §5.2(12)).

The highest version shipped is current; each write is checked against it. A list is data, not code: a new
version is a new file, and the old ones stay so what was checked against them can be read again.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

CatalogKind = Literal["base", "theme", "department"]
KINDS: tuple[CatalogKind, ...] = ("base", "theme", "department")


@dataclass(frozen=True)
class Kind:
    key: CatalogKind
    digit: str  # 类
    name: str
    items: dict[str, str]  # 项 -> name


@dataclass(frozen=True)
class CodeLists:
    version: int
    region: str  # 目: 045, Guangxi
    kinds: dict[CatalogKind, Kind]
    domains: tuple[str, ...]

    def kind_of_digit(self, digit: str) -> Kind | None:
        return next((k for k in self.kinds.values() if k.digit == digit), None)

    def check_item(self, kind: CatalogKind, item: str) -> str:
        known = self.kinds[kind].items
        if item not in known:
            listed = ", ".join(f"{code} {name}" for code, name in known.items())
            raise ValueError(f"{item!r} is not an item (项) of the {kind} catalog in code lists v{self.version} "
                             f"({listed})")
        return item

    def check_domain(self, domain: str) -> str:
        if domain not in self.domains:
            raise ValueError(f"{domain!r} is not a domain (所属领域) of code lists v{self.version}; "
                             f"GET /code-lists names them")
        return domain


def _parse(text: str, origin: str) -> CodeLists:
    raw = tomllib.loads(text)
    kinds: dict[CatalogKind, Kind] = {}
    for key in KINDS:
        table = raw["kinds"][key]
        items = {str(code): str(name) for code, name in table["items"].items()}
        if not all(len(code) == 2 and code.isdigit() for code in items):
            raise ValueError(f"{origin}: the items of {key} are two-digit codes")
        kinds[key] = Kind(key, str(table["digit"]), str(table["name"]), items)
    digits = [k.digit for k in kinds.values()]
    if sorted(digits) != ["1", "2", "3"]:
        raise ValueError(f"{origin}: the kinds' digits are 1, 2 and 3 (§5.3.1)")
    domains = tuple(str(d) for d in raw["domains"]["names"])
    if len(set(domains)) != len(domains):
        raise ValueError(f"{origin}: a domain is listed twice")
    return CodeLists(int(raw["version"]), str(raw["region"]), kinds, domains)


@cache
def versions() -> dict[int, CodeLists]:
    found = {}
    for entry in resources.files(__package__).iterdir():
        if entry.name.startswith("catalog.v") and entry.name.endswith(".toml"):
            lists = _parse(entry.read_text(encoding="utf-8"), entry.name)
            if entry.name != f"catalog.v{lists.version}.toml":
                raise ValueError(f"{entry.name} says it is version {lists.version}")
            found[lists.version] = lists
    return dict(sorted(found.items()))


def current() -> CodeLists:
    """The highest version shipped."""
    return list(versions().values())[-1]
