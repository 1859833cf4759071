"""`make chaos`: the long fault-injection run with its report (python -m tests.faults --help)."""

import argparse
import sys
import tempfile
from pathlib import Path

from tests.faults.harness import run_chaos


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--broker", choices=["kafka", "tansu"], default="kafka")
    parser.add_argument("--faults", type=int, default=24)
    parser.add_argument("--writes", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hub-chaos-") as tmp:
        report = run_chaos(Path(tmp) / "hub", broker=args.broker, faults=args.faults, writes=args.writes,
                           seed=args.seed, settle_timeout=300)
    print("\n".join(report.lines()))
    print("RESULT:", "ok (0 lost, 0 applied twice)" if report.ok else "FAILED")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
