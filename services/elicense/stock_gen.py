"""Realistic stock-import lines for benchmarks, the demo and `hub elicense sample`: licenses of the
issuer's types with valid holder ids (citizen ids or USCCs as the type requires), issue dates over
the past years and validity periods, as an issuer's system would export them."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta

import orjson
from contracts.values import make_uscc

from elicense.domain.holders import citizen_id_check_char
from elicense.domain.license_types import LicenseType

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高梁宋郑谢韦覃蒙莫黎"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建文"
FIRMS = ["商贸", "建设工程", "食品", "运输", "医药", "科技", "农业开发", "文化传媒", "物流", "餐饮管理"]
CITIES = {"450100": "南宁", "450200": "柳州", "450300": "桂林", "450400": "梧州", "450500": "北海"}


def _citizen(rng: random.Random, division: str) -> str:
    born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 55))
    first17 = f"{division}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return first17 + citizen_id_check_char(first17)


def stock_number(issuer: str, types: list[LicenseType], i: int) -> str:
    """The number the i-th generated license carries (its file shows it)."""
    return f"{types[i % len(types)].code[-3:]}{issuer[10:16]}{i:08d}"


def lines(issuer: str, types: list[LicenseType], n: int, *, seed: int = 1, prefix: str = "STK",
          authority: str = "广西壮族自治区示例厅") -> Iterator[bytes]:
    rng = random.Random(seed)
    for i in range(n):
        t = types[i % len(types)]
        division = rng.choice(list(CITIES))
        person = t.holder_kind == "person" or (t.holder_kind == "either" and rng.random() < 0.5)
        if person:
            holder_id = _citizen(rng, division)
            holder = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
        else:
            holder_id = make_uscc(division, f"MA{rng.randrange(16**6):06X}")
            holder = f"{CITIES[division]}市{rng.choice(GIVEN)}{rng.choice(GIVEN)}{rng.choice(FIRMS)}有限公司"
        issued = date(2012, 1, 1) + timedelta(days=rng.randrange(365 * 7))
        until = None if rng.random() < 0.2 else issued + timedelta(days=365 * rng.choice((3, 5, 6, 10)))
        yield orjson.dumps({
            "license_id": f"{prefix}-{issuer[8:17]}-{i:08d}", "license_type": t.code,
            "number": stock_number(issuer, types, i), "holder_name": holder, "holder_id": holder_id,
            "issue_date": issued, "valid_until": until, "issuing_authority": authority,
        })
