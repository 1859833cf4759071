"""Processes the hub starts (its services, PostgreSQL, the broker) do not outlive the process that started them.

Each command is run under `setpriv --pdeathsig` (util-linux, on every Debian): the kernel signals the child when
its parent dies, however it dies. A `hub up`, a test run or a benchmark killed with SIGKILL (or by an out-of-memory
kill) used to leave its services retrying against a broker and a database that were gone, each using CPU, until
someone found them. The signal is each program's clean stop (PostgreSQL: SIGINT, its fast shutdown). Where there
is no setpriv (not Linux) the command runs as it is and stopping stays the starter's job.

The kernel sends the signal when the *thread* that started the child ends: start children from the main thread.
A hub started to run on its own (`hub up --detach`) is not tied: its starter exits at once.
"""

from __future__ import annotations

import shutil


def dying_with_parent(command: list[str], signal_name: str = "TERM", *, tied: bool = True) -> list[str]:
    """`command`, made to receive SIG`signal_name` when the process starting it dies; as it is when not `tied`
    (`hub up --detach` leaves the hub running on purpose, for `hub down` to stop)."""
    setpriv = shutil.which("setpriv") if tied else None
    return [setpriv, f"--pdeathsig={signal_name}", "--", *command] if setpriv else command
