"""`python -m contracts export [--out DIR]` writes the schemas; `check [--dir DIR]` verifies them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from contracts.export import SCHEMAS_DIR, export, stale_files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m contracts")
    commands = parser.add_subparsers(dest="command", required=True)
    export_cmd = commands.add_parser("export", help="write JSON Schemas and asyncapi.json")
    export_cmd.add_argument("--out", type=Path, default=SCHEMAS_DIR)
    check_cmd = commands.add_parser("check", help="exit 1 if the written schemas are out of date")
    check_cmd.add_argument("--dir", type=Path, default=SCHEMAS_DIR)
    args = parser.parse_args(argv)

    if args.command == "export":
        paths = export(args.out)
        print(f"wrote {len(paths)} files to {args.out}")
        return 0
    stale = stale_files(args.dir)
    for name in stale:
        print(f"out of date: {args.dir / name}")
    if stale:
        print("run: python -m contracts export", file=sys.stderr)
        return 1
    print(f"{args.dir}: up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
