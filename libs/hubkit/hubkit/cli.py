"""The `hub` command: run the whole hub locally, mint tokens, check status."""

from __future__ import annotations

import shutil
import signal
import time
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from .auth import CONSOLE_LOGIN, Role, mint_token
from .runtime.errors import RuntimeStartError
from .runtime.launcher import Hub, hub_home, running_state, service_ports, stop_from_state
from .runtime.ports import free_port_block
from .settings import HubSettings

app = typer.Typer(help="gov-hub: run the hub locally, mint tokens, check status.", no_args_is_help=True)
console = Console(stderr=True)
# What the platform knows of what runs on it comes through entry points (pyproject.toml), so that it
# imports nothing above it: each service's own commands, and the demo.
CLI_GROUP, DEMO_GROUP = "gov_hub.cli", "gov_hub.demo"


def _demo() -> ModuleType:
    """The demo package (`hub up --demo`, `hub demo`): plan, load, run_demo."""
    found = list(entry_points(group=DEMO_GROUP, name="demo"))
    if not found:
        console.print("[red]The demo is not installed (no gov_hub.demo entry point); reinstall the project.[/red]")
        raise typer.Exit(2)
    module: ModuleType = found[0].load()
    return module


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
    demo: Annotated[bool, typer.Option(help="Drive realistic demo months through the APIs once up")] = False,
    month: Annotated[str | None, typer.Option("--from", "--month", help=(
        "First demo month YYYY-MM (default: on a new hub 2019-07 to 2019-09 on 9 units, else the month after "
        "the last one played)"))] = None,
    to: Annotated[str | None, typer.Option("--to", help="Last demo month YYYY-MM: each month up to it in turn, "
                                                        "closed as it ends (default: the first month only)")] = None,
    seed: Annotated[int | None, typer.Option(help="Demo random seed (default 7)")] = None,
    units: Annotated[int | None, typer.Option(min=2, help="Demo on this many units of the directory (default: all, "
                                                          "9 for the default months of a new hub)")] = None,
    fresh: Annotated[bool, typer.Option(help="Remove this hub's data first (as `hub reset`)")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="With --fresh: do not ask")] = False,
    detach: Annotated[bool, typer.Option(help="Exit once healthy, leaving the hub running (stop: hub down)")] = False,
) -> None:
    """Start PostgreSQL, the broker, topics, migrations and the four services; Ctrl-C stops all."""
    settings = HubSettings()
    home = hub_home()
    if running_state(home):
        console.print("[red]A hub is already running here (see `hub status`); stop it with `hub down`.[/red]")
        raise typer.Exit(1)
    if fresh:
        _reset(home, yes)
    demos = _demo() if demo else None
    plan = demos.plan(demos.load(home), month=_month(month), seed=seed, units=units, until=_until(month, to)) \
        if demos else None
    hub = Hub(home=home, simulated_start=plan.clock_start.isoformat() if plan else None,
              demo_provider_port=free_port_block(1) if demo else None, detached=detach)
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
        shown = None
        if demos is not None and plan is not None:
            board = demos.run_demo(ports=hub.ports, plan=plan, home=home, console=console,
                                   provider_port=hub.demo_provider_port)
            shown = (board or {}).get("month") or plan.month  # the last month played
        link = f"http://127.0.0.1:{hub.ports['scoring']}/console/login?code=" + console_code(
            settings.jwt_secret) + (f"&month={shown}" if shown else "")
        console.print(f"[bold]Operators' console:[/bold] {link}", soft_wrap=True)
        if not detach:
            _supervise(hub)
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


def _supervise(hub: Hub) -> None:
    """Until Ctrl-C (or SIGTERM): a service that stops stops the hub, saying which."""
    console.print("[green]Press Ctrl-C to stop the hub.[/green]")
    while True:
        for name, proc in hub.processes.items():
            if proc.poll() is not None:
                raise RuntimeStartError(f"service {name} stopped with exit code {proc.returncode}")
        time.sleep(1)


def _month(month: str | None) -> str | None:
    import re

    if month is not None and not re.fullmatch(r"(19|20)\d\d-(0[1-9]|1[0-2])", month):
        console.print(f"[red]--month: {month!r} is not a month YYYY-MM[/red]")
        raise typer.Exit(2)
    return month


def _until(first: str | None, last: str | None) -> str | None:
    """--to: a month, not before --from."""
    if last is None:
        return None
    _month(last)
    if first is not None and last < first:
        console.print(f"[red]--to {last} is before --from {first}[/red]")
        raise typer.Exit(2)
    return last


def _reset(home: Path, yes: bool) -> None:
    if running_state(home):
        console.print("[red]A hub is running on this data; stop it first with `hub down`.[/red]")
        raise typer.Exit(1)
    if not home.exists():
        return
    if not yes and not typer.confirm(f"Remove all of this hub's data in {home} (database, broker log, demo "
                                     f"progress, license files)?", default=False):
        raise typer.Exit(1)
    shutil.rmtree(home)
    console.print(f"removed {home}")


@app.command()
def reset(yes: Annotated[bool, typer.Option("--yes", help="Do not ask")] = False) -> None:
    """Remove this hub's data (HUB_HOME: database, broker log, demo progress), asking first; the next
    `hub up --demo` starts from an empty hub."""
    _reset(hub_home(), yes)


@app.command()
def down() -> None:
    """Stop a hub started by `hub up` in another shell."""
    stopped = stop_from_state(hub_home())
    console.print(f"stopped: {', '.join(stopped)}" if stopped else "no hub is running here")


@app.command()
def token(
    role: Annotated[Role, typer.Option(help="operator, department, inspector, auditor or service")],
    unit: Annotated[str | None, typer.Option(help="USCC of the unit (required for department)")] = None,
    ttl: Annotated[int, typer.Option(help="Lifetime in seconds (at most 12 h)")] = 12 * 3600,
    console_link: Annotated[bool, typer.Option("--console", help="Print the console's login link instead")] = False,
    subject: Annotated[str | None, typer.Option(help="Who holds it (default <role>:<unit or hub>); "
                                                     "`hub revoke --subject` revokes a subject's tokens")] = None,
) -> None:
    """Mint a bearer token signed with HUB_JWT_SECRET, for local use."""
    settings = HubSettings()
    try:
        if console_link:
            typer.echo(console_url(console_code(settings.jwt_secret, role=role, unit=unit)))
        else:
            typer.echo(mint_token(settings.jwt_secret, role=role, unit=unit, ttl_seconds=ttl, subject=subject))
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None


@app.command()
def demo(
    month: Annotated[str | None, typer.Option("--from", "--month",
                                              help="First demo month YYYY-MM (default: the next one to play)")] = None,
    to: Annotated[str | None, typer.Option("--to", help="Last demo month YYYY-MM: each month up to it in turn, "
                                                        "closed as it ends (default: the first month only)")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (default 7)")] = None,
    units: Annotated[int | None, typer.Option(min=2, help="Play on this many units of the directory")] = None,
    day_seconds: Annotated[float, typer.Option(help="Real seconds per simulated day (0: as fast as possible)")] = 0.0,
) -> None:
    """Drive realistic months through the running hub's HTTP APIs (start it with `hub up --demo`)."""
    home = hub_home()
    state = running_state(home)
    if state is None:
        console.print("[red]No hub is running here; start one with `hub up --demo --detach`.[/red]")
        raise typer.Exit(1)
    if not state.get("demo_provider_port"):
        console.print("[yellow]This hub was not started with --demo: its egress policy will refuse the demo's local "
                      "providers, so their calls count as failures. Start it with `hub up --demo`.[/yellow]")
    demos = _demo()
    plan = demos.plan(demos.load(home), month=_month(month), seed=seed, units=units, until=_until(month, to))
    board = demos.run_demo(ports=service_ports(), plan=plan, home=home, console=console, day_seconds=day_seconds,
                           provider_port=state.get("demo_provider_port"))
    link = console_url(console_code(HubSettings().jwt_secret))
    shown = (board or {}).get("month") or plan.month  # the last month played
    console.print(f"[bold]Operators' console:[/bold] {link}&month={shown}", soft_wrap=True)
    if board is None:
        raise typer.Exit(1)


@app.command("access-matrix")
def access_matrix(
    write: Annotated[Path | None, typer.Option(help="Write the matrix to this file instead of printing it")] = None,
) -> None:
    """Who may call what: every operation of every service, by role (the source of docs/ACCESS.md)."""
    from .access import hub_matrix
    from .runtime.launcher import NAMES

    text = hub_matrix(NAMES)
    if write is None:
        typer.echo(text)
    else:
        write.write_text(text, encoding="utf-8")


def console_code(secret: str, role: Role = Role.operator, unit: str | None = None) -> str:
    """A one-time console sign-in code (good for one sign-in within 12 hours; not a bearer token)."""
    return mint_token(secret, role=role, unit=unit, ttl_seconds=12 * 3600, purpose=CONSOLE_LOGIN)


def console_url(code: str) -> str:
    return f"http://127.0.0.1:{service_ports()['scoring']}/console/login?code={code}"


def _register_ops() -> None:
    """The operator's commands live in cli_ops: they are `hub status`, `hub deadletters ...`, ..."""
    from .cli_ops import deadletters_app, ops

    for command in ops.registered_commands:
        app.registered_commands.append(command)
    app.add_typer(deadletters_app, name="deadletters")


def _register_service_tools() -> None:
    """Each service's own commands (`hub catalog ...`, `hub elicense ...`), as it registers them."""
    for entry in entry_points(group=CLI_GROUP):
        app.add_typer(entry.load(), name=entry.name)


_register_ops()
_register_service_tools()

if __name__ == "__main__":
    app()
