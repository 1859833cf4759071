"""`hub up`: servers, topics, migrations and the four services, on 127.0.0.1.

Embedded PostgreSQL and a local broker (Apache Kafka, durable under `.hub/kafka`, or the Tansu
fallback) are started unless `HUB_DATABASE_URL` /
`HUB_KAFKA_BOOTSTRAP` name existing servers. State (pids, ports) is written to
`.hub/state.json` so `hub status` and `hub down` work from another shell.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import httpx

from ..settings import HubSettings
from .broker import LocalBroker, broker_kind, idempotent_supported, local_broker
from .children import dying_with_parent
from .errors import RuntimeStartError
from .ports import port_is_free
from .postgres import EmbeddedPostgres

NAMES = ("catalog", "exchange", "elicense", "scoring")


def _port_base() -> int:
    return int(os.environ.get("HUB_PORT_BASE", "8100"))


def service_ports() -> dict[str, int]:
    """catalog 8101, exchange 8102, elicense 8103, scoring 8104 (shifted by HUB_PORT_BASE)."""
    return {name: _port_base() + i for i, name in enumerate(NAMES, start=1)}


def pg_port() -> int:
    return int(os.environ.get("HUB_PG_PORT", "55432"))


def kafka_port() -> int:
    return int(os.environ.get("HUB_KAFKA_PORT", "59092"))




def hub_home() -> Path:
    return Path(os.environ.get("HUB_HOME", ".hub")).resolve()


LOCAL_ENV = "gov_hub.local_env"  # entry points: service name -> callable(home) -> extra environment


def local_env(name: str, home: Path) -> dict[str, str]:
    """What a service needs on a hub of this machine beyond the platform's settings (e.g. the e-license
    library's own seal authority), as each service registers it under the `gov_hub.local_env` entry
    point: the platform names no service's resources itself."""
    out: dict[str, str] = {}
    for entry in entry_points(group=LOCAL_ENV, name=name):
        out.update(entry.load()(home))
    return out


def service_migrations(name: str) -> Path:
    """Where a service keeps its SQL migrations, as it registers them (`gov_hub.migrations` entry point)."""
    found = list(entry_points(group="gov_hub.migrations", name=name))
    if not found:
        raise RuntimeStartError(f"service {name} registered no migrations (gov_hub.migrations entry point); "
                                "reinstall the project")
    return Path(found[0].load())


@dataclass
class Hub:
    home: Path
    database_url: str = ""
    kafka_bootstrap: str = ""
    postgres: EmbeddedPostgres | None = None
    broker: LocalBroker | None = None
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    # A demo replays a past month: services then keep a clock the demo moves forward.
    simulated_start: str | None = None
    ports: dict[str, int] = field(default_factory=service_ports)
    # The demo's local provider systems: the one loopback destination the egress policy lets through.
    demo_provider_port: int | None = None
    # Runs on its own once started (`hub up --detach`): its processes do not stop with the starter.
    detached: bool = False

    def start_servers(self, *, durable: bool = True) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        external_db = os.environ.get("HUB_DATABASE_URL")
        external_kafka = os.environ.get("HUB_KAFKA_BOOTSTRAP")
        if external_db:
            self.database_url = external_db
        else:
            self.postgres = EmbeddedPostgres(self.home / "pgdata", pg_port(), durable=durable, tied=not self.detached)
            self.postgres.start()
            self.database_url = self.postgres.url.rsplit("/", 1)[0] + "/hub"
        if external_kafka:
            self.kafka_bootstrap = external_kafka
        else:
            self.broker = local_broker(broker_kind(), self.home, kafka_port(), auth=True)
            self.broker.tied = not self.detached
            self.broker.start()
            self.kafka_bootstrap = self.broker.bootstrap

    def admin_settings(self) -> HubSettings:
        """Broker settings of the launcher itself: the broker's super user on an authenticated broker."""
        env = self.broker.client_env("admin") if self.broker is not None else {}
        return HubSettings.model_validate({"kafka_bootstrap": self.kafka_bootstrap, **{
            k.removeprefix("HUB_").lower(): v for k, v in env.items()}})

    def prepare(self, partitions: int) -> None:
        from ..db import migrate_service
        from ..kafka import ensure_topics
        from .access import grant_all

        async def _prepare() -> None:
            settings = self.admin_settings()
            try:
                await asyncio.wait_for(ensure_topics(self.kafka_bootstrap, partitions=partitions, settings=settings),
                                       30)
                if self.broker is not None and self.broker.auth:
                    await grant_all(settings)
            except Exception as exc:
                raise RuntimeStartError(f"Kafka broker at {self.kafka_bootstrap} unusable: {exc!r}") from None
            for name in self.ports:
                try:
                    await migrate_service(self.database_url, name, service_migrations(name))
                except OSError as exc:
                    raise RuntimeStartError(f"PostgreSQL at {self.database_url} unreachable: {exc}") from None

        asyncio.run(_prepare())

    def service_env(self, name: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update({
            "HUB_DATABASE_URL": self.database_url,
            "HUB_KAFKA_BOOTSTRAP": self.kafka_bootstrap,
            "HUB_HTTP_PORT": str(self.ports[name]),
            "HUB_HTTP_HOST": "127.0.0.1",
        })
        env.setdefault("HUB_BLOB_DIR", str(self.home / "blobs"))
        if "exchange" in self.ports:  # where browsers reach the exchange from the catalog portal's pages
            env.setdefault("HUB_EXCHANGE_URL", f"http://127.0.0.1:{self.ports['exchange']}")
        if self.broker is not None and not idempotent_supported(self.broker.kind):
            env["HUB_KAFKA_IDEMPOTENT"] = "false"
        if self.broker is not None:  # each service is its own principal on an authenticated broker
            env.update(self.broker.client_env(name))
        for key, value in local_env(name, self.home).items():
            env.setdefault(key, value)  # what the environment already says wins (e.g. a real authority)
        if self.simulated_start:
            env.update(HUB_SIMULATED_CLOCK="true", HUB_SIMULATED_START=self.simulated_start)
        if self.demo_provider_port:
            allowed = [a for a in env.get("HUB_EGRESS_ALLOW", "").split(",") if a.strip()]
            env["HUB_EGRESS_ALLOW"] = ",".join([*allowed, f"127.0.0.1:{self.demo_provider_port}"])
        return env

    def start_services(self) -> None:
        for name in self.ports:
            self.start_service(name)

    def start_service(self, name: str) -> None:
        port = self.ports[name]
        if not port_is_free(port):
            raise RuntimeStartError(f"service {name} cannot start: port 127.0.0.1:{port} is already in use")
        log = open(self.home / f"{name}.log", "ab")
        self.processes[name] = subprocess.Popen(
            dying_with_parent([sys.executable, "-m", name], tied=not self.detached), env=self.service_env(name),
            stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        pending = dict(self.ports)
        while pending and time.monotonic() < deadline:
            for name, port in list(pending.items()):
                proc = self.processes.get(name)
                if proc is not None and proc.poll() is not None:
                    raise RuntimeStartError(
                        f"service {name} exited with {proc.returncode}; see {self.home / (name + '.log')}"
                    )
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/health", timeout=0.5).status_code == 200:
                        del pending[name]
                except httpx.HTTPError:
                    pass
            time.sleep(0.2)
        if pending:
            raise RuntimeStartError(f"not healthy after {timeout:.0f}s: {', '.join(pending)}")

    def write_state(self, *, supervised: bool = True) -> None:
        state = {
            "database_url": self.database_url, "kafka_bootstrap": self.kafka_bootstrap,
            "services": {n: {"port": p, "pid": self.processes[n].pid if n in self.processes else None}
                         for n, p in self.ports.items()},
            "postgres_pid": self.postgres.process.pid if self.postgres and self.postgres.process else None,
            "broker_pid": self.broker.process.pid if self.broker and self.broker.process else None,
            "broker": self.broker.kind if self.broker else "external",
            # `hub reseed` and other tools act as the broker's admin principal.
            "broker_admin_env": self.broker.client_env("admin") if self.broker else {},
            "supervisor_pid": os.getpid() if supervised else None,
            "demo_provider_port": self.demo_provider_port,
        }
        path = self.home / "state.json"  # holds the broker admin's password: the owner's eyes only
        path.unlink(missing_ok=True)
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
            json.dump(state, out, indent=2)

    def stop(self) -> None:
        for proc in self.processes.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.processes.values():
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.processes.clear()
        if self.broker:
            self.broker.stop()
        if self.postgres:
            self.postgres.stop()
        (self.home / "state.json").unlink(missing_ok=True)


def read_state(home: Path) -> dict[str, Any] | None:
    path = home / "state.json"
    return json.loads(path.read_text()) if path.exists() else None


def running_state(home: Path) -> dict[str, Any] | None:
    """The state of a hub still running here; a state file left by a hub that died is removed."""
    state = read_state(home)
    if state is None:
        return None
    pids = [state.get("supervisor_pid"), state.get("postgres_pid"), state.get("broker_pid"),
            *[s.get("pid") for s in (state.get("services") or {}).values()]]
    if any(pid and _alive(pid) for pid in pids):
        return state
    (home / "state.json").unlink(missing_ok=True)
    return None


def stop_from_state(home: Path) -> list[str]:
    """`hub down` from another shell: ask the supervisor to stop, else stop what it left behind."""
    state = read_state(home)
    if not state:
        return []
    stopped: list[str] = []
    services = [(n, s.get("pid")) for n, s in (state.get("services") or {}).items()]
    # Services first, while the broker and database they are closing against still run.
    for group, sig in (([("supervisor", state.get("supervisor_pid"))], signal.SIGINT), (services, signal.SIGTERM),
                       ([("broker", state.get("broker_pid"))], signal.SIGTERM),
                       ([("postgres", state.get("postgres_pid"))], signal.SIGINT)):
        alive = [(name, pid) for name, pid in group if pid and _signal(pid, sig)]
        stopped += [name for name, _ in alive]
        _wait_gone([pid for _, pid in alive], 15.0)
    (home / "state.json").unlink(missing_ok=True)
    return stopped


def _signal(pid: int, sig: int) -> bool:
    try:
        os.kill(pid, sig)
        return True
    except ProcessLookupError:
        return False


def _wait_gone(pids: list[int], timeout: float) -> None:
    """Wait for processes to exit; kill what is still there after the timeout."""
    deadline = time.monotonic() + timeout
    pending = list(pids)
    while pending and time.monotonic() < deadline:
        pending = [pid for pid in pending if _alive(pid)]
        time.sleep(0.1)
    for pid in pending:
        _signal(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)
        if waited == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True
