"""`hub elicense …`: stock import of JSON Lines through the running service, and sample files."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import httpx
import typer
from hubkit.auth import Role, mint_token
from hubkit.settings import HubSettings
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

app = typer.Typer(help="E-license service tools.", no_args_is_help=True)


def chunks(path: Path, lines_per_chunk: int) -> Iterator[tuple[int, int, bytes]]:
    """(first line number, bytes read, body) per chunk; the file is streamed, never loaded whole."""
    first, buf, count = 1, bytearray(), 0
    with path.open("rb") as f:
        for line in f:
            buf += line
            count += 1
            if count == lines_per_chunk:
                yield first, len(buf), bytes(buf)
                first, buf, count = first + count, bytearray(), 0
    if buf:
        yield first, len(buf), bytes(buf)


@app.command("import")
def import_stock(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JSON Lines, one license per line")],
    issuer: Annotated[str, typer.Option(help="USCC of the issuing unit")],
    url: Annotated[str, typer.Option(help="elicense base URL")] = "http://127.0.0.1:8103",
    lines_per_request: Annotated[int, typer.Option(min=1, help="lines per request")] = 20_000,
) -> None:
    """Import an issuer's stock (as the bureau). Re-running is harmless: licenses already in the
    library count as duplicates. Each bad line is reported as FILE:LINE: reason."""
    console = Console(stderr=True)
    headers = {"Authorization": f"Bearer {mint_token(HubSettings().jwt_secret, role=Role.operator)}",
               "Content-Type": "application/x-ndjson"}
    totals = {"accepted": 0, "duplicates": 0, "rejected": 0}
    started = time.perf_counter()
    columns = (TextColumn("{task.description}"), BarColumn(), TransferSpeedColumn(), TimeRemainingColumn(),
               TextColumn("{task.fields[accepted]} accepted"))
    with httpx.Client(base_url=url, headers=headers, timeout=600) as client, \
            Progress(*columns, console=console) as progress:
        task = progress.add_task("licenses", total=file.stat().st_size, accepted=0)
        for first, size, body in chunks(file, lines_per_request):
            r = client.post("/licenses/import", params={"issuer": issuer, "first_line": first}, content=body)
            if r.status_code != 200:
                is_json = r.headers.get("content-type", "").endswith("json")
                console.print(f"{file}: {r.json().get('detail', r.text) if is_json else r.text}", markup=False)
                raise typer.Exit(1)
            report = r.json()
            for key in totals:
                totals[key] += report[key]
            for e in report["errors"]:
                progress.console.print(f"{file}:{e['line']}: {e['reason']}", markup=False)
            progress.update(task, advance=size, accepted=totals["accepted"])
    seconds = time.perf_counter() - started
    console.print(f"{totals['accepted']} licenses imported, {totals['duplicates']} already there, "
                  f"{totals['rejected']} rejected in {seconds:.1f} s "
                  f"({(totals['accepted'] + totals['duplicates']) / max(seconds, 1e-9):,.0f} lines/s)")
    if totals["rejected"]:
        raise typer.Exit(1)


@app.command("sample")
def sample(
    file: Annotated[Path, typer.Argument(dir_okay=False, help="JSON Lines file to write")],
    issuer: Annotated[str, typer.Option(help="USCC of the issuing unit")],
    count: Annotated[int, typer.Option(min=1)] = 100_000,
    types: Annotated[str, typer.Option(help="comma-separated license-type codes (default: the first five)")] = "",
) -> None:
    """Write a realistic stock file (valid holder ids, dates, validity) to try `hub elicense import` on."""
    from elicense.domain import license_types
    from elicense.stock_gen import lines

    known = license_types.load()
    chosen = [known[c] for c in types.split(",") if c] if types else list(known.values())[:5]
    with file.open("wb") as f:
        for line in lines(issuer, chosen, count):
            f.write(line + b"\n")
    Console(stderr=True).print(f"{count} licenses written to {file}")
