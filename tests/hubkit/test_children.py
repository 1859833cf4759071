"""What the hub starts dies with the process that started it, even one killed with SIGKILL (which runs no clean-up):
a killed test run once left the four services of an end-to-end hub retrying for half an hour."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from hubkit.runtime import launcher

PARENT = textwrap.dedent("""
    import subprocess, sys, time
    from hubkit.runtime.children import dying_with_parent
    child = subprocess.Popen(dying_with_parent([sys.executable, "-c", "import time; time.sleep(60)"]),
                             start_new_session=True)
    print(child.pid, flush=True)
    time.sleep(60)
""")


def _alive(pid: int) -> bool:
    """Running (a child whose parent died is left a zombie where PID 1 does not reap: that is dead too)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_a_child_dies_with_its_parent_killed_outright() -> None:
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    try:
        assert _alive(child)
        parent.kill()
        parent.wait()
        for _ in range(100):  # bounded: at most 10 s
            if not _alive(child):
                break
            time.sleep(0.1)
        assert not _alive(child)
    finally:
        if _alive(child):
            os.kill(child, signal.SIGKILL)


def test_the_services_the_postgres_and_the_brokers_are_started_so() -> None:
    from hubkit.runtime import apache_kafka, broker, postgres

    for module in (launcher, apache_kafka, broker, postgres):
        assert "dying_with_parent(" in Path(module.__file__ or "").read_text(), module.__name__
