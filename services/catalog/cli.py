"""`hub catalog …`: load the reference unit directory through the running catalog's HTTP API."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import httpx
import typer
from hubkit.auth import Role, mint_token
from hubkit.settings import HubSettings
from rich.console import Console
from rich.progress import Progress

app = typer.Typer(help="Catalog service tools.", no_args_is_help=True)
REFERENCE = Path(__file__).resolve().parent / "reference" / "units.csv"  # package data


def read_units(path: Path) -> list[tuple[int, dict[str, object]]]:
    """(line number, registration) per row; parents before their counties so each row can refer back."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = [(n, row) for n, row in enumerate(csv.DictReader(f), start=2)]
    rows.sort(key=lambda r: r[1]["kind"] == "county")
    return [(n, {"uscc": row["uscc"], "name": row["name"], "kind": row["kind"],
                 "division_code": row["division_code"], "parent_unit": row["parent_unit"] or None,
                 "absent_indicators": [a for a in (row["absent_indicators"] or "").split(";") if a]})
            for n, row in rows]


@app.command("load-units")
def load_units(
    file: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="units CSV")] = REFERENCE,
    url: Annotated[str, typer.Option(help="catalog base URL")] = "http://127.0.0.1:8101",
) -> None:
    """Register every unit of the CSV; each bad row is reported with its line and reason."""
    console = Console(stderr=True)
    headers = {"Authorization": f"Bearer {mint_token(HubSettings().jwt_secret, role=Role.operator)}"}
    rows = read_units(file)
    failed = changed = 0
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client, Progress(console=console) as progress:
        task = progress.add_task("units", total=len(rows))
        for line, body in rows:
            r = client.put(f"/units/{body['uscc']}", json=body)
            if r.status_code == 200:
                changed += bool(r.json()["changed"])
            else:
                failed += 1
                is_json = r.headers.get("content-type", "").endswith("json")
                detail = r.json().get("detail", r.text) if is_json else r.text
                console.print(f"{file}:{line}: {body['uscc']}: {detail}", markup=False)
            progress.advance(task)
    console.print(f"{len(rows) - failed} units registered ({changed} new or changed), {failed} rejected")
    if failed:
        raise typer.Exit(1)


@app.command("import")
def import_resources(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="catalog CSV (columns of §5.2)")],
    url: Annotated[str, typer.Option(help="catalog base URL")] = "http://127.0.0.1:8101",
    chunk: Annotated[int, typer.Option(min=1, help="rows per request")] = 500,
) -> None:
    """Catalogue every row of the CSV (as the bureau); each bad row is reported with its line and reason."""
    console = Console(stderr=True)
    headers = {"Authorization": f"Bearer {mint_token(HubSettings().jwt_secret, role=Role.operator)}",
               "Content-Type": "text/csv"}
    imported = published = failed = 0
    total = sum(1 for _ in _records(file))
    with httpx.Client(base_url=url, headers=headers, timeout=120) as client, Progress(console=console) as progress:
        task = progress.add_task("resources", total=total)
        for lines, text in _chunks(file, chunk):
            r = client.post("/resources/import", content=text.encode("utf-8"))
            if r.status_code != 200:
                console.print(f"{file}: {r.json().get('detail', r.text)}", markup=False)
                raise typer.Exit(1)
            report = r.json()
            imported += len(report["imported"])
            published += report["published"]
            for err in report["errors"]:
                failed += 1
                console.print(f"{file}:{lines[err['row'] - 1]}: {err['reason']}", markup=False)
            progress.advance(task, len(lines))
    console.print(f"{imported} resources catalogued ({published} published), {failed} rows rejected")
    if failed:
        raise typer.Exit(1)


def _records(path: Path) -> Iterator[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        next(reader, None)
        yield from reader


def _chunks(path: Path, size: int) -> Iterator[tuple[list[int], str]]:
    """(the file line each row starts on, CSV text of the rows under the header), `size` rows at a time."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        ended = reader.line_num
        lines: list[int] = []
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for record in reader:
            if not lines:
                buffer = io.StringIO()
                writer = csv.writer(buffer)
                writer.writerow(header)
            lines.append(ended + 1)
            ended = reader.line_num
            writer.writerow(record)
            if len(lines) == size:
                yield lines, buffer.getvalue()
                lines = []
        if lines:
            yield lines, buffer.getvalue()
