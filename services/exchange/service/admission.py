"""Who may reach a provider through the gateway, decided before the provider is called: the caller (a
department's token, or a calling system's key standing for its unit), a usable subscription, the quota."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from hubkit.auth import Principal, Role
from hubkit.problems import Problem, forbidden, not_found

from exchange.domain import keys
from exchange.domain.subscriptions import standing_from
from exchange.storage import quota, subscriptions, systems

KEY_HEADER = "X-Hub-System-Key"


@dataclass(frozen=True)
class Caller:
    unit: str
    system: str | None = None  # the calling system, when it called with its own key


@dataclass(frozen=True)
class Admitted:
    route: Any  # the resource, its endpoint and the subscription (storage/subscriptions.gateway_route)
    subscription: str


async def caller(pool: asyncpg.Pool, principal: Principal | None, key: str | None) -> Caller:
    """The request guard checked a bearer token already (`principal`); a key is checked here."""
    if principal is not None:
        principal.require(Role.department)
        return Caller(principal.unit or "")
    found = None
    if key and keys.looks_like_key(key):
        async with pool.acquire() as conn:
            found = await systems.by_key(conn, keys.digest(key))
    if found is None:
        raise Problem(401, "Unauthorized", f"{KEY_HEADER}: no live calling system holds this key",
                      kind="unauthorized")
    return Caller(found["unit"], found["id"])


class QuotaRefused(Problem):
    def __init__(self, route: Any, subscription: str, over: quota.OverQuota) -> None:
        super().__init__(429, "Too many requests", str(over), kind="quota-exceeded", retry_after=over.retry_after)
        self.route, self.subscription = route, subscription


class RouteCache:
    """Routes this process read and found usable, by (consumer, resource), each used again only after
    quota.admit_cached found its rows unchanged in the call's own round trip. Bounded: forgetting is safe."""

    def __init__(self, size: int = 50_000) -> None:
        self.size, self.routes = size, dict[tuple[str, str], Any]()

    def get(self, unit: str, code: str) -> Any:
        return self.routes.get((unit, code))

    def keep(self, unit: str, code: str, route: Any) -> None:
        if len(self.routes) >= self.size:
            self.routes.clear()
        self.routes[(unit, code)] = route

    def forget(self, unit: str, code: str) -> None:
        self.routes.pop((unit, code), None)


async def admit(pool: asyncpg.Pool, who: Caller, code: str, now: datetime, *, take_quota: bool = True,
                routes: RouteCache | None = None) -> Admitted:
    """The route to call, or the problem to answer: 404 unknown resource, 403 no usable subscription (with why),
    429 over quota (`QuotaRefused`: the gateway records the refusal). `take_quota=False`: a look that is no
    call (listing a file resource's versions) needs the subscription only. With `routes`, a remembered route
    whose rows did not change costs one round trip (checked and counted at once) instead of two."""
    async with pool.acquire() as conn:
        if take_quota and routes is not None and (known := await _remembered(conn, routes, who, code, now)):
            return known
        route = await subscriptions.gateway_route(conn, who.unit, code, now)
        if route is None:
            raise not_found("published resource", code)
        standing = standing_from(route)
        if standing is None:
            raise forbidden(f"{who.unit} holds no active subscription to {code}; request access first")
        if not standing.usable(now):
            raise forbidden(standing.why_not(now))
        if not take_quota:
            return Admitted(route, standing.id)
        try:
            await quota.take(conn, standing.id, now, per_minute=route["quota_per_minute"],
                             per_day=route["quota_per_day"])
        except quota.OverQuota as over:
            raise QuotaRefused(route, standing.id, over) from None
    if routes is not None:
        routes.keep(who.unit, code, route)
    return Admitted(route, standing.id)


async def _remembered(conn: asyncpg.Connection, routes: RouteCache, who: Caller, code: str, now: datetime
                      ) -> Admitted | None:
    """The remembered route, admitted in one round trip; None when there is none, it is no longer usable by
    the clock, or its rows changed (then forgotten: the caller reads and judges it afresh)."""
    route = routes.get(who.unit, code)
    standing = standing_from(route)
    if standing is None or not standing.usable(now):
        routes.forget(who.unit, code)
        return None
    try:
        await quota.admit_cached(conn, route, now)
    except quota.Stale:
        routes.forget(who.unit, code)
        return None
    except quota.OverQuota as over:
        raise QuotaRefused(route, standing.id, over) from None
    return Admitted(route, standing.id)
