"""What the hub starts dies with the process that started it, even one killed with SIGKILL (which runs no clean-up):
a killed test run once left the four services of an end-to-end hub retrying for half an hour."""

from __future__ import annotations

import os
import shutil
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


def _wait_past_setpriv(pid: int) -> None:
    """Until setpriv has asked for the signal and become the program: a parent killed before that leaves the child
    untied (a window of microseconds after a start, which a loaded machine once stretched into this test)."""
    for _ in range(100):  # bounded: at most 10 s
        program = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0", 1)[0]
        if os.path.basename(program) != b"setpriv":
            return
        time.sleep(0.1)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_a_child_dies_with_its_parent_killed_outright() -> None:
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    try:
        _wait_past_setpriv(child)
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


class _Started(Exception):
    """Raised by the recording Popen: the command is what the test wants, nothing is started."""


def _recording_popen(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    commands: list[list[str]] = []

    def popen(args: list[str], *_: object, **__: object) -> None:
        commands.append(list(args))
        raise _Started

    monkeypatch.setattr(subprocess, "Popen", popen)
    return commands


def _start(starter: object, commands: list[list[str]]) -> list[str]:
    with pytest.raises(_Started):
        starter()  # type: ignore[operator]
    return commands.pop()


def _starters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tied: bool) -> dict[str, object]:
    """Each way the hub starts a process, up to its Popen, with what lies before it (initdb, java, jars) faked."""
    from hubkit.runtime import apache_kafka, broker, postgres

    monkeypatch.setattr(postgres, "_bin_dir", lambda: tmp_path / "pgbin")
    monkeypatch.setattr(postgres, "_run_as", lambda: None)
    (tmp_path / "pgdata").mkdir(exist_ok=True)
    (tmp_path / "pgdata" / "PG_VERSION").write_text("16")  # initialised: no initdb
    pg = postgres.EmbeddedPostgres(tmp_path / "pgdata", port=1, tied=tied)
    monkeypatch.setattr(broker, "tansu_binary", lambda: "/opt/tansu")
    tansu = broker.TansuBroker(port=1, log_path=tmp_path / "tansu.log", tied=tied)
    kafka = apache_kafka.ApacheKafka(port=1, controller_port=2, home=tmp_path, log_path=tmp_path / "k.log", tied=tied)
    monkeypatch.setattr(apache_kafka, "ensure_jars", lambda: tmp_path)
    monkeypatch.setattr(apache_kafka.ApacheKafka, "_java", lambda self: "/opt/java")
    monkeypatch.setattr(apache_kafka.ApacheKafka, "_config", lambda self: tmp_path / "server.properties")
    monkeypatch.setattr(apache_kafka.ApacheKafka, "_format", lambda self, java, libs, config: None)
    for module in (postgres, broker, apache_kafka, launcher):
        monkeypatch.setattr(module, "port_is_free", lambda port: True)
    hub = launcher.Hub(home=tmp_path, ports={"scoring": 1}, detached=not tied)
    return {"postgres": pg.start, "tansu": tansu.start, "kafka": kafka.start,
            "service": lambda: hub.start_service("scoring")}


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="no setpriv here: the commands run as they are")
@pytest.mark.parametrize("what", ["postgres", "tansu", "kafka", "service"])
def test_the_services_the_postgres_and_the_brokers_are_started_so(
    what: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    commands = _recording_popen(monkeypatch)
    tied = _start(_starters(tmp_path, monkeypatch, tied=True)[what], commands)
    signal_name = "INT" if what == "postgres" else "TERM"  # PostgreSQL's fast shutdown
    assert tied[:3] == [shutil.which("setpriv"), f"--pdeathsig={signal_name}", "--"]
    detached = _start(_starters(tmp_path, monkeypatch, tied=False)[what], commands)
    assert detached[0] == tied[3] and len(detached) == len(tied) - 3  # `--detach`: the same program, on its own


def test_a_detached_hub_leaves_its_servers_untied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hubkit.runtime import apache_kafka, broker, postgres

    seen: list[tuple[str, bool]] = []
    monkeypatch.delenv("HUB_DATABASE_URL", raising=False)
    monkeypatch.delenv("HUB_KAFKA_BOOTSTRAP", raising=False)
    monkeypatch.setattr(postgres.EmbeddedPostgres, "start", lambda self: seen.append(("postgres", self.tied)))
    for cls in (broker.TansuBroker, apache_kafka.ApacheKafka):
        monkeypatch.setattr(cls, "start", lambda self: seen.append(("broker", self.tied)))
    for detached in (False, True):
        launcher.Hub(home=tmp_path / str(detached), detached=detached).start_servers()
    assert seen == [("postgres", True), ("broker", True), ("postgres", False), ("broker", False)]
