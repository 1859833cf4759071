"""The `hub` commands an operator runs against a running hub: status, dead letters, re-seeding
the broker, revoking tokens. Each calls a service's operations API with a short-lived operator token."""

from __future__ import annotations

import json
from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.table import Table

from .auth import Role, mint_token
from .runtime.launcher import hub_home, read_state, service_ports
from .settings import HubSettings

console = Console(stderr=True)
ops = typer.Typer()  # its commands are `hub`'s own (registered by hubkit.cli)


@ops.command()
def status() -> None:
    """Each service's health, consumer lag, relay backlog (unsent events, oldest age) and dead letters."""
    state = read_state(hub_home())
    headers = _operator_headers()
    table = Table(show_header=True)
    for column in ("service", "url", "health", "consumer lag", "relay unsent", "oldest unsent", "broker cluster"):
        table.add_column(column)
    letters: int | None = None
    for name, port in service_ports().items():
        url = f"http://127.0.0.1:{port}"
        try:
            health = httpx.get(f"{url}/ready", timeout=1.0).json().get("status", "?")
        except httpx.HTTPError:
            table.add_row(name, url, "down", "", "", "", "")
            continue
        try:
            ops = httpx.get(f"{url}/ops/status", headers=headers, timeout=15.0).json()
        except (httpx.HTTPError, ValueError):
            ops = {}
        lags = ", ".join(f"{c['consumer'].split('.', 1)[-1]} {c['lag'] if c['lag'] is not None else '?'}"
                         for c in ops.get("consumers", [])) or "-"
        relay = ops.get("relay") or {}
        letters = ops.get("deadletters") if ops.get("deadletters") is not None else letters
        table.add_row(name, url, health, lags, str(relay.get("unsent", "?")),
                      f"{relay['oldest_unsent_seconds']} s" if relay.get("unsent") else "-",
                      str(relay.get("cluster_id") or "?"))
    console.print(table)
    if letters is not None:
        console.print(f"dead letters on hub.deadletter.v1: {letters}" + ("  (hub deadletters list)" if letters else ""))
    if not state:
        console.print("no hub state in this directory (.hub/state.json)")


def _operator_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(HubSettings().jwt_secret, role=Role.operator, ttl_seconds=300)}"}


def _ops_call(method: str, path: str, service: str = "scoring", payload: dict[str, object] | None = None
              ) -> dict[str, object]:
    url = f"http://127.0.0.1:{service_ports()[service]}{path}"
    try:
        r = httpx.request(method, url, headers=_operator_headers(), timeout=30.0, json=payload)
    except httpx.HTTPError as exc:
        console.print(f"[red]{service} is not reachable at {url}: {exc}[/red]")
        raise typer.Exit(1) from None
    if r.status_code >= 400:
        is_json = r.headers.get("content-type", "").endswith("json")
        console.print(f"[red]{r.json().get('detail', r.text) if is_json else r.text}[/red]")
        raise typer.Exit(1)
    body: dict[str, object] = r.json()
    return body


deadletters_app = typer.Typer(help="Dead letters on hub.deadletter.v1: list, show, re-drive after a fix.",
                              no_args_is_help=True)


@deadletters_app.command("list")
def deadletters_list(limit: Annotated[int, typer.Option(help="How many, newest first")] = 50) -> None:
    """The newest dead letters: id, when, consumer, original topic and offset, reason."""
    body = _ops_call("GET", f"/ops/deadletters?limit={limit}")
    table = Table(show_header=True)
    for column in ("id", "failed at", "consumer", "original", "size", "re-driven", "reason"):
        table.add_column(column)
    for d in body["letters"]:  # type: ignore[attr-defined]
        table.add_row(d["id"], str(d["failed_at"] or ""), d["consumer"], f"{d['topic']} {d['partition']}-{d['offset']}",
                      str(d["original_size"]), "yes" if d["redriven"] else "", d["reason"][:120])
    console.print(table)


@deadletters_app.command("show")
def deadletters_show(letter_id: Annotated[str, typer.Argument(help="<partition>-<offset>")]) -> None:
    """One dead letter in full: reason, where it came from, the original bytes, its re-drives."""
    body = _ops_call("GET", f"/ops/deadletters/{letter_id}")
    typer.echo(json.dumps(body, ensure_ascii=False, indent=2))


@deadletters_app.command("redrive")
def deadletters_redrive(
    letter_id: Annotated[str, typer.Argument(help="<partition>-<offset>")],
    again: Annotated[bool, typer.Option(help="Re-drive a letter that was re-driven before")] = False,
) -> None:
    """Publish the original back to its topic (after fixing what made it fail); the re-drive is recorded.
    The service that publishes the topic re-drives it (on an authenticated broker only it may write there)."""
    from .deadletters import owner_of

    letter = _ops_call("GET", f"/ops/deadletters/{letter_id}")
    owner = owner_of(str(letter["topic"])) or "scoring"
    body = _ops_call("POST", f"/ops/deadletters/{letter_id}/redrive" + ("?again=true" if again else ""),
                     service=owner)
    console.print(f"re-driven to {body['topic']} {body['partition']}-{body['offset']}")


@ops.command()
def reseed(
    service: Annotated[str | None, typer.Option(help="Only this service's outbox (default: all four)")] = None,
) -> None:
    """Publish every retained outbox event again (in order) to the broker, e.g. after it lost its log.

    Relays do this by themselves when the broker's cluster id changes; consumers dedupe, so
    re-seeding twice changes nothing."""
    import asyncio

    from .reseed import reseed_services

    state = read_state(hub_home()) or {}
    admin_env = {k.removeprefix("HUB_").lower(): v for k, v in (state.get("broker_admin_env") or {}).items()}
    settings = HubSettings.model_validate(admin_env) if admin_env else HubSettings()
    names = [service] if service else list(service_ports())
    try:
        counts = asyncio.run(reseed_services(state.get("database_url") or settings.database_url,
                                             state.get("kafka_bootstrap") or settings.kafka_bootstrap,
                                             names, settings))
    except (OSError, ValueError) as exc:
        console.print(f"[red]hub reseed: {exc}[/red]")
        raise typer.Exit(1) from None
    for name, sent in counts.items():
        console.print(f"{name}: {sent} retained events published again")


@ops.command()
def revoke(
    reason: Annotated[str, typer.Option(help="Why (kept with the revocation)")],
    jti: Annotated[str | None, typer.Option(help="One token, by its jti")] = None,
    subject: Annotated[str | None, typer.Option(help="Every token of this subject issued until now")] = None,
) -> None:
    """Revoke a token or a subject's tokens: refused by every service within moments."""
    body: dict[str, object] = {"reason": reason, "jti": jti, "subject": subject}
    done = _ops_call("POST", "/admin/revocations", "catalog", {k: v for k, v in body.items() if v is not None})
    console.print(f"revoked ({done['id']}); kept until {done['kept_until']}")
