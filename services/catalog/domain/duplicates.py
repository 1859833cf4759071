"""The same data collected by several units (重复采集, seed 003 §6.2.6): candidate pairs for the bureau.

Two department resources of different units are candidates when they describe the same data: most of their
information items are the same (by name), their names are alike (character bigrams), or their tables sit in the
same source system. The bureau confirms a pair, naming the authoritative source (一数一源: the unit that first
collects the data), or dismisses it; a decided pair is not proposed again. Only pairs sharing a name bigram, an
item or a system are compared, so the work grows with the overlaps, not with the square of the catalog.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations

from catalog.domain.resources import Resource

ITEMS_ALIKE = 0.5  # weighted share of item names in common from which the items say "the same data"
NAME_ALIKE = 0.75  # weighted share of name bigrams in common from which the names say so
MIN_ITEMS = 2  # fewer common items say nothing
# How much specific evidence a signal needs in common: a token found in k resources supports each of their pairs
# by 1/(k-1), so what many units have in common (each one's 行政许可信息, everyone's credit-code item) adds up to
# little, while a few items or a name only two resources share are enough.
MIN_EVIDENCE = 1.5
# A name bigram or item found in more resources than this is too common to propose pairs by itself.
COMMON = 200
# Words that only say which unit or what kind of record: left out of name comparison.
NOISE = ("广西壮族自治区", "自治区", "信息", "数据", "名录", "目录")


@dataclass(frozen=True)
class Candidate:
    a: str  # the lower code of the pair
    b: str
    score: float  # 0..1, the strongest of the signals
    reasons: tuple[str, ...]


def pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def _core(name: str) -> str:
    for word in NOISE:
        name = name.replace(word, "")
    return name


def _bigrams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)} or ({text} if text else set())


def _items(r: Resource) -> set[str]:
    return {i.name.strip() for i in r.metadata.items if i.name.strip()}


def _system(r: Resource) -> str | None:
    if r.mount_kind == "table" and r.mount_access and r.mount_access.get("system"):
        return str(r.mount_access["system"]).strip()
    return None


def _tokens(r: Resource, names: dict[str, set[str]]) -> set[str]:
    tokens = {f"n:{g}" for g in names[r.code]} | {f"i:{i}" for i in _items(r)}
    if (system := _system(r)) is not None:
        tokens.add(f"s:{system}")
    return tokens


def _weighted(x: set[str], y: set[str], weight: dict[str, float], df: dict[str, int]) -> tuple[float, float]:
    """(weighted Jaccard, evidence): what is common to nearly every resource weighs almost nothing in the
    similarity, what is rare weighs much (inverse document frequency); see MIN_EVIDENCE for the evidence."""
    union = sum(weight[t] for t in x | y)
    alike = sum(weight[t] for t in x & y) / union if union else 0.0
    return alike, sum(1 / (df[t] - 1) for t in x & y)


def compare(x: Resource, y: Resource, tokens: dict[str, set[str]], weight: dict[str, float],
            df: dict[str, int]) -> Candidate | None:
    reasons, scores = [], []
    items_x = {t for t in tokens[x.code] if t.startswith("i:")}
    items_y = {t for t in tokens[y.code] if t.startswith("i:")}
    common = items_x & items_y
    alike, evidence = _weighted(items_x, items_y, weight, df)
    if len(common) >= MIN_ITEMS and alike >= ITEMS_ALIKE and evidence >= MIN_EVIDENCE:
        named = "、".join(sorted(t[2:] for t in common)[:5])
        reasons.append(f"items: {len(common)} of {len(items_x | items_y)} the same ({named}), weighted {alike:.2f}")
        scores.append(alike)
    names_x = {t for t in tokens[x.code] if t.startswith("n:")}
    names_y = {t for t in tokens[y.code] if t.startswith("n:")}
    alike, evidence = _weighted(names_x, names_y, weight, df)
    if alike >= NAME_ALIKE and evidence >= MIN_EVIDENCE:
        reasons.append(f"name: {x.metadata.name} ~ {y.metadata.name}, weighted {alike:.2f}")
        scores.append(alike)
    system = _system(x)
    if system is not None and system == _system(y) and reasons:
        # The same source system alone is common (a shared front-end database); it strengthens other signals.
        reasons.append(f"system: both tables sit in {system}")
        scores.append(min(1.0, max(scores) + 0.1))
    if not reasons:
        return None
    a, b = pair(x.code, y.code)
    return Candidate(a, b, round(max(scores), 3), tuple(reasons))


def candidates(resources: list[Resource], decided: set[tuple[str, str]],
               unit_names: dict[str, str] | None = None) -> list[Candidate]:
    """Pairs of department resources of different units that look like the same data, strongest first; pairs
    the bureau decided are left out. `unit_names`: a provider's name is left out of its resources' names."""
    pool = [r for r in resources if r.catalog_kind == "department"]
    by_code = {r.code: r for r in pool}
    units = unit_names or {}
    names = {r.code: _bigrams(_core(_without(r.metadata.name, units.get(r.provider)))) for r in pool}
    tokens = {r.code: _tokens(r, names) for r in pool}
    index: dict[str, list[str]] = defaultdict(list)
    for code, found_tokens in tokens.items():
        for token in found_tokens:
            index[token].append(code)
    df = {t: len(codes) for t, codes in index.items()}
    # Smoothed inverse document frequency: in a small catalog a token of one resource does not outweigh all else.
    weight = {t: math.log((len(pool) + 1) / (n + 1)) + 1 for t, n in df.items()}
    seen: set[tuple[str, str]] = set()
    found = []
    for codes in index.values():
        if len(codes) > COMMON:
            continue
        for x, y in combinations(codes, 2):
            key = pair(x, y)
            if key in seen or key in decided or by_code[x].provider == by_code[y].provider:
                continue
            seen.add(key)
            if (c := compare(by_code[key[0]], by_code[key[1]], tokens, weight, df)) is not None:
                found.append(c)
    return sorted(found, key=lambda c: (-c.score, c.a, c.b))


def _without(name: str, unit_name: str | None) -> str:
    if not unit_name:
        return name
    for variant in (unit_name, unit_name.removeprefix("广西壮族自治区")):
        name = name.replace(variant, "")
    return name
