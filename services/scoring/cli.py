"""`hub-scoring`: the auditors' command line (replay an exported event log), and the operators' reshard."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from scoring.domain.clock import parse_month
from scoring.domain.result import MonthResult
from scoring.domain.ruleset import RulesetError, builtin_ruleset, load_ruleset
from scoring.replay import BadLine, numbered_lines
from scoring.replay import replay as replay_lines

app = typer.Typer(help="Scoring service tools (rules as data, replayable scores).", no_args_is_help=True)
EXIT_SKIPPED = 3
LARGE_FILE = 64 * 1024 * 1024


@app.callback()
def main() -> None:
    """Scoring service tools."""
    from hubkit.settings import HubSettings, install_calendar

    install_calendar(HubSettings())  # HUB_WORKDAY_SCHEDULE: the deadlines a replay computes are the service's


def _month(value: str) -> str:
    try:
        parse_month(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    return value


def _instant(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(f"not an RFC 3339 instant: {value!r}") from None
    if dt.tzinfo is None:
        raise typer.BadParameter("the instant needs an offset (e.g. +08:00 or Z)")
    return dt


def _throttled(progress: Progress, task: TaskID) -> Callable[[int], None]:
    pending = 0

    def advance(n: int) -> None:
        nonlocal pending
        pending += n
        if pending >= 1 << 20:  # redraw per MiB read, not per line
            progress.advance(task, pending)
            pending = 0

    return advance


@app.command()
def replay(
    month: Annotated[str, typer.Option("--month", callback=_month, help="YYYY-MM (Asia/Shanghai)")],
    events: Annotated[
        Path | None, typer.Option("--events", exists=True, dir_okay=False, help="JSON Lines event log")
    ] = None,
    from_archive: Annotated[
        bool, typer.Option("--from-archive", help="replay the service's own archive (HUB_DATABASE_URL)")
    ] = False,
    output_format: Annotated[str, typer.Option("--format", help="output format")] = "json",
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="score as of this instant instead of the month end")
    ] = None,
    ruleset_path: Annotated[
        Path | None, typer.Option("--ruleset", dir_okay=False, help="ruleset file (default: gx-2019)")
    ] = None,
    explain: Annotated[
        str | None, typer.Option("--explain", help="one unit (USCC): each item's points and the events behind them")
    ] = None,
) -> None:
    """Score every registered department and city for MONTH from an event log or the archive."""
    if (events is None) == (not from_archive):
        raise typer.BadParameter("give either --events FILE or --from-archive")
    if output_format != "json":
        raise typer.BadParameter("only 'json' is supported", param_hint="--format")
    at = _instant(as_of)
    try:
        ruleset = load_ruleset(ruleset_path) if ruleset_path else builtin_ruleset("gx-2019")
    except RulesetError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    err = Console(stderr=True)

    def report(bad: BadLine) -> None:
        err.print(f"{events}:{bad.number}: skipped: {bad.reason}", markup=False, highlight=False, soft_wrap=True)

    if events is None:
        from scoring.audit import archived_lines
        from scoring.settings import ScoringSettings

        intact, checked, lines = archived_lines(ScoringSettings(), month)
        if not intact:
            err.print(f"archive: the hash chain breaks after row {checked}; the archive was altered", markup=False)
            raise typer.Exit(4)
        outcome = replay_lines(lines, ruleset, month, at, report)
        sys.stdout.write((_explained(outcome.result, explain, lines) if explain else outcome.result.replay_json())
                         + "\n")
        return
    size = events.stat().st_size
    with events.open("rb") as stream:
        if err.is_terminal or size >= LARGE_FILE:
            columns = (BarColumn(), DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn())
            with Progress(*columns, console=err, transient=True) as progress:
                task = progress.add_task("replay", total=size)
                outcome = replay_lines(numbered_lines(stream, _throttled(progress, task)), ruleset, month, at, report)
        else:
            outcome = replay_lines(numbered_lines(stream), ruleset, month, at, report)
    if explain:
        with events.open("rb") as again:
            sys.stdout.write(_explained(outcome.result, explain, numbered_lines(again)) + "\n")
    else:
        sys.stdout.write(outcome.result.replay_json() + "\n")
    sys.stdout.flush()
    if outcome.skipped:
        raise typer.Exit(EXIT_SKIPPED)


def _explained(result: MonthResult, unit: str, lines: Iterable[tuple[int, bytes]]) -> str:
    """One unit's items with their points and the events that caused them (id, type, event time)."""
    import orjson

    from scoring.evidence import explain

    found = next((u for u in result.units if u.unit == unit), None)
    if found is None:
        raise typer.BadParameter(f"{unit} is not scored in {result.month}", param_hint="--explain")
    wanted = {i for ids in found.causes.values() for i in ids}
    times: dict[str, tuple[str, str]] = {}
    uuid = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
    for _, line in lines:  # a second pass: only the lines that name a cause are parsed
        if wanted and not wanted.isdisjoint(m.decode() for m in uuid.findall(line)):
            env = orjson.loads(line)
            if env.get("id") in wanted:
                times[env["id"]] = (env.get("type", "?"), env.get("occurred_at", "?"))
    doc = {"unit": unit, "month": result.month, "total": str(found.total), "band": found.band,
           "list": found.listing, "items": explain(result, unit, times)}
    return json.dumps(doc, ensure_ascii=False, indent=1)


@app.command()
def export(
    month: Annotated[str, typer.Option("--month", callback=_month, help="YYYY-MM (Asia/Shanghai)")],
    out: Annotated[Path | None, typer.Option("--out", dir_okay=False, help="file to write (default: stdout)")] = None,
) -> None:
    """Write the archived events an auditor needs for MONTH as JSON Lines: every event before its end, and the
    registrations, request decisions and retractions made after it (they hold in every month)."""
    from scoring.audit import export as export_archive
    from scoring.settings import ScoringSettings

    settings = ScoringSettings()
    if out is None:
        count = export_archive(settings, month, sys.stdout.buffer)
        sys.stdout.flush()
    else:
        with out.open("wb") as stream:
            count = export_archive(settings, month, stream)
    typer.echo(f"exported {count} events for {month}", err=True)


@app.command()
def evidence(
    month: Annotated[str, typer.Option("--month", callback=_month, help="a closed month, YYYY-MM")],
    out: Annotated[Path, typer.Option("--out", dir_okay=False, help="the ZIP file to write")],
) -> None:
    """Write a closed month's evidence package (events, ruleset, sealed results, manifest) from the archive."""
    from scoring.audit import NotClosed, export_evidence
    from scoring.settings import ScoringSettings

    try:
        with out.open("wb") as stream:
            manifest = export_evidence(ScoringSettings(), month, stream, out.name)
    except (NotClosed, ValueError) as exc:
        out.unlink(missing_ok=True)
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"{out}: {manifest['events']} events, {manifest['units']} units, seal {manifest['seal']}", err=True)


@app.command()
def reshard(count: Annotated[int, typer.Argument(min=1, help="the number of shards from now on")]) -> None:
    """Change how many shards project the scores, every scoring instance stopped first; then start COUNT of them
    (HUB_SHARDS=COUNT, HUB_SHARD=0..COUNT-1). Each shard's memory starts with the whole archive up to now."""
    import asyncio

    from scoring.reshard import ReshardRefused
    from scoring.reshard import reshard as change_count
    from scoring.settings import ScoringSettings

    try:
        done = asyncio.run(change_count(ScoringSettings(), count))
    except ReshardRefused as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if done.from_count == done.count:
        typer.echo(f"already {done.count} shard(s): nothing to do")
        return
    typer.echo(f"{done.from_count} → {done.count} shard(s): every shard's memory starts with the archive up to "
               f"position {done.position}; {done.partitions} partition offsets stored")


@app.command()
def verify(package: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="an evidence package")]) -> None:
    """Recompute a closed month from its evidence package alone: "identical", or where it differs (exit 1)."""
    from scoring.evidence import verify as verify_package

    verdict = verify_package(package)
    if verdict.identical:
        typer.echo(f"identical: {verdict.events} events replayed, {verdict.units} units equal their sealed results")
        return
    typer.echo("different:")
    for problem in verdict.problems:
        typer.echo(f"  {problem}")
    raise typer.Exit(1)


if __name__ == "__main__":  # pragma: no cover
    app()


@app.command()
def sources(
    write: Annotated[Path | None, typer.Option(help="Write the table to this file instead of printing it")] = None,
) -> None:
    """Where each item's facts come from: service events, submissions, inventories, or an inspector's judgement."""
    from scoring.domain.inventory import builtin_inventory_rules
    from scoring.domain.ruleset import RULESETS_DIR
    from scoring.domain.sources import sources_markdown
    from scoring.domain.submissions import builtin_requirements

    ruleset = builtin_ruleset("gx-2019")
    text = sources_markdown(ruleset, builtin_requirements(ruleset, RULESETS_DIR),
                            builtin_inventory_rules(ruleset, RULESETS_DIR))
    if write is None:
        typer.echo(text, nl=False)
    else:
        write.write_text(text, encoding="utf-8")
