"""The `hub` command: run the whole hub locally, mint tokens, check status."""

from __future__ import annotations

import signal
import time
from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.table import Table

from .auth import Role, mint_token
from .runtime.errors import RuntimeStartError
from .runtime.launcher import Hub, hub_home, read_state, running_state, service_ports, stop_from_state
from .settings import HubSettings

app = typer.Typer(help="gov-hub: run the hub locally, mint tokens, check status.", no_args_is_help=True)
console = Console(stderr=True)


def _summary(hub: Hub) -> Table:
    table = Table(title="gov-hub is up", show_header=True)
    table.add_column("component")
    table.add_column("where")
    table.add_row("PostgreSQL", hub.database_url)
    table.add_row("Kafka broker", hub.kafka_bootstrap)
    for name, port in hub.ports.items():
        table.add_row(name, f"http://127.0.0.1:{port}  (docs: /docs)")
    return table


@app.command()
def up(
    demo: Annotated[bool, typer.Option(help="Drive a realistic demo month through the APIs once up")] = False,
    month: Annotated[str, typer.Option(help="Demo month YYYY-MM")] = "2019-08",
    seed: Annotated[int, typer.Option(help="Demo random seed")] = 7,
    detach: Annotated[bool, typer.Option(help="Exit once healthy, leaving the hub running (stop: hub down)")] = False,
) -> None:
    """Start PostgreSQL, the broker, topics, migrations and the four services; Ctrl-C stops all."""
    settings = HubSettings()
    hub = Hub(home=hub_home(), simulated_start=f"{month}-01T00:00:00+08:00" if demo else None)
    if running_state(hub.home):
        console.print("[red]A hub is already running here (see `hub status`); stop it with `hub down`.[/red]")
        raise typer.Exit(1)
    stopping = False

    def _interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _interrupt)
    try:
        with console.status("starting PostgreSQL and the Kafka broker…"):
            hub.start_servers()
        with console.status("creating topics and running migrations…"):
            hub.prepare(settings.kafka_partitions)
        with console.status("starting catalog, exchange, elicense, scoring…"):
            hub.start_services()
            hub.wait_healthy(60)
        hub.write_state(supervised=not detach)
        console.print(_summary(hub))
        if demo:
            _run_demo(hub, month, seed)
        link = f"http://127.0.0.1:{hub.ports['scoring']}/console/login?token=" + mint_token(
            settings.jwt_secret, role=Role.operator) + (f"&month={month}" if demo else "")
        console.print(f"[bold]Operators' console:[/bold] {link}", soft_wrap=True)
        if detach:
            return
        console.print("[green]Press Ctrl-C to stop the hub.[/green]")
        while True:
            for name, proc in hub.processes.items():
                if proc.poll() is not None:
                    raise RuntimeStartError(f"service {name} stopped with exit code {proc.returncode}")
            time.sleep(1)
    except RuntimeStartError as exc:
        console.print(f"[red]hub: {exc}[/red]")
        stopping = True
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        stopping = True
        console.print("stopping…")
    finally:
        if stopping or not detach:
            hub.stop()


def _run_demo(hub: Hub, month: str, seed: int) -> None:
    try:
        from .demo import run_demo
    except ImportError:
        console.print("[yellow]The demo is not available in this build; the bare hub is running.[/yellow]")
        return
    run_demo(ports=hub.ports, month=month, seed=seed, console=console)


@app.command()
def down() -> None:
    """Stop a hub started by `hub up` in another shell."""
    stopped = stop_from_state(hub_home())
    console.print(f"stopped: {', '.join(stopped)}" if stopped else "no hub is running here")


@app.command()
def status() -> None:
    """Show each service's health."""
    state = read_state(hub_home())
    table = Table(show_header=True)
    table.add_column("service")
    table.add_column("url")
    table.add_column("health")
    for name, port in service_ports().items():
        url = f"http://127.0.0.1:{port}"
        try:
            health = httpx.get(f"{url}/ready", timeout=1.0).json().get("status", "?")
        except httpx.HTTPError:
            health = "down"
        table.add_row(name, url, health)
    console.print(table)
    if not state:
        console.print("no hub state in this directory (.hub/state.json)")


@app.command()
def token(
    role: Annotated[Role, typer.Option(help="operator, department, inspector, auditor or service")],
    unit: Annotated[str | None, typer.Option(help="USCC of the unit (required for department)")] = None,
    ttl: Annotated[int, typer.Option(help="Lifetime in seconds")] = 12 * 3600,
    console_link: Annotated[bool, typer.Option("--console", help="Print the console's login link instead")] = False,
) -> None:
    """Mint a bearer token signed with HUB_JWT_SECRET, for local use."""
    settings = HubSettings()
    try:
        minted = mint_token(settings.jwt_secret, role=role, unit=unit, ttl_seconds=ttl)
        typer.echo(console_url(minted) if console_link else minted)
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None


@app.command()
def demo(
    month: Annotated[str, typer.Option(help="Demo month YYYY-MM")] = "2019-08",
    seed: Annotated[int, typer.Option(help="Random seed")] = 7,
    day_seconds: Annotated[float, typer.Option(help="Real seconds per simulated day (0: as fast as possible)")] = 0.0,
) -> None:
    """Drive a realistic month through the running hub's HTTP APIs (start it with `hub up --demo`)."""
    state = running_state(hub_home())
    if state is None:
        console.print("[red]No hub is running here; start one with `hub up --demo --detach`.[/red]")
        raise typer.Exit(1)
    from .demo import run_demo

    run_demo(ports=service_ports(), month=month, seed=seed, console=console, day_seconds=day_seconds)
    link = console_url(mint_token(HubSettings().jwt_secret, role=Role.operator))
    console.print(f"[bold]Operators' console:[/bold] {link}&month={month}", soft_wrap=True)


def console_url(token: str) -> str:
    return f"http://127.0.0.1:{service_ports()['scoring']}/console/login?token={token}"


def _register_service_tools() -> None:
    from catalog.cli import app as catalog_app
    from elicense.cli import app as elicense_app

    app.add_typer(catalog_app, name="catalog")
    app.add_typer(elicense_app, name="elicense")


_register_service_tools()

if __name__ == "__main__":
    app()
