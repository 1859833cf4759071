"""Apache Kafka as a single-node KRaft broker+controller, run from jars fetched once with Maven.

`infra/kafka/pom.xml` names the Kafka release; its jars and their runtime dependencies are
copied from Maven Central into a cache shared by every checkout on the machine
(`HUB_KAFKA_CACHE`, default `~/.cache/gov-hub/kafka-<version>`). Storage is formatted once
under the data directory and kept: a restarted broker has the same cluster id and every
topic, offset and consumer group it had (the log is on disk, unlike Tansu's memory).
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from .children import dying_with_parent
from .errors import RuntimeStartError
from .ports import port_is_free, wait_for_port

POM = Path(__file__).resolve().parents[4] / "infra" / "kafka" / "pom.xml"
MIN_JAVA = 17
_LOG4J = """Configuration:
  Appenders:
    Console:
      name: STDOUT
      PatternLayout:
        Pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Root:
      level: WARN
      AppenderRef:
        - ref: STDOUT
    Logger:
      - name: kafka.server.KafkaRaftServer
        level: INFO
"""


def kafka_version() -> str:
    match = re.search(r"<kafka\.version>([^<]+)</kafka\.version>", POM.read_text()) if POM.exists() else None
    if match is None:
        raise RuntimeStartError(f"Apache Kafka cannot start: {POM} is missing or names no kafka.version")
    return match.group(1)


def find_java() -> str | None:
    """A `java` of version 17 or newer: $JAVA_HOME first, then the PATH; None when there is none."""
    candidates = []
    if home := os.environ.get("JAVA_HOME"):
        candidates.append(str(Path(home) / "bin" / "java"))
    if found := shutil.which("java"):
        candidates.append(found)
    for java in candidates:
        if java_major(java) >= MIN_JAVA:
            return java
    return None


def java_major(java: str) -> int:
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=20).stderr
    except (OSError, subprocess.TimeoutExpired):
        return 0
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if not match:
        return 0
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def cache_dir() -> Path:
    default = Path.home() / ".cache" / "gov-hub" / f"kafka-{kafka_version()}"
    return Path(os.environ.get("HUB_KAFKA_CACHE") or default)


def ensure_jars(*, quiet: bool = True) -> Path:
    """The directory of Kafka's jars, fetched with Maven on first use (a lock keeps concurrent
    fetches apart; a fetch that did not finish leaves no `.complete` marker and is done again)."""
    libs = cache_dir() / "libs"
    if (libs / ".complete").exists():
        return libs
    mvn = shutil.which("mvn")
    if mvn is None:
        raise RuntimeStartError("Apache Kafka cannot start: Maven (mvn) is needed once to fetch its jars")
    libs.parent.mkdir(parents=True, exist_ok=True)
    with open(libs.parent / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (libs / ".complete").exists():
            return libs
        shutil.rmtree(libs, ignore_errors=True)
        cmd = [mvn, "-B", "-f", str(POM), "dependency:copy-dependencies", f"-DoutputDirectory={libs}"]
        if quiet:
            cmd.insert(1, "-q")
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        if done.returncode != 0 or not any(libs.glob("kafka_2.13-*.jar")):
            tail = (done.stdout + done.stderr).strip().splitlines()[-3:]
            raise RuntimeStartError(f"Apache Kafka jars could not be fetched with Maven: {' / '.join(tail)}")
        (libs / ".complete").write_text(kafka_version())
    return libs


def new_cluster_id() -> str:
    """KRaft's cluster id: a UUID in URL-safe base64 without padding (what kafka-storage random-uuid prints)."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


@dataclass
class ApacheKafka:
    """One KRaft node (broker + controller) on 127.0.0.1, its log under `home/data`."""

    port: int
    controller_port: int
    home: Path
    log_path: Path
    heap: str = "768m"
    process: subprocess.Popen[bytes] | None = None
    kind: str = "kafka"
    # SASL/SCRAM on the client listener, one principal per service plus `admin`, ACLs enforced.
    auth: bool = False
    tied: bool = True  # stops when the process that started it dies (runtime/children.py)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def cluster_id(self) -> str | None:
        meta = self.data_dir / "meta.properties"
        if not meta.exists():
            return None
        match = re.search(r"^cluster\.id=(.+)$", meta.read_text(), re.MULTILINE)
        return match.group(1).strip() if match else None

    @property
    def security_protocol(self) -> str:
        return "SASL_PLAINTEXT" if self.auth else "PLAINTEXT"

    def credentials(self) -> dict[str, str]:
        """Each principal's password, made once per broker (they are in its log from the format on)."""
        from .access import ADMIN, SERVICES

        path = self.home / "credentials.json"
        if path.exists():
            found: dict[str, str] = json.loads(path.read_text())
            return found
        self.home.mkdir(parents=True, exist_ok=True)
        made = {name: secrets.token_urlsafe(24) for name in (ADMIN, *SERVICES)}
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(made, out)
        return made

    def client_env(self, principal: str) -> dict[str, str]:
        """The HUB_KAFKA_* settings a client of this broker needs, as `principal`."""
        if not self.auth:
            return {"HUB_KAFKA_SECURITY_PROTOCOL": "PLAINTEXT"}
        return {"HUB_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "HUB_KAFKA_SASL_MECHANISM": "SCRAM-SHA-256",
                "HUB_KAFKA_USERNAME": principal, "HUB_KAFKA_PASSWORD": self.credentials()[principal]}

    def _auth_config(self) -> dict[str, str]:
        if not self.auth:
            return {}
        admin = self.credentials()["admin"]
        return {
            "listener.security.protocol.map": "SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT",
            "inter.broker.listener.name": "SASL_PLAINTEXT",
            "listener.name.sasl_plaintext.sasl.enabled.mechanisms": "SCRAM-SHA-256",
            "sasl.mechanism.inter.broker.protocol": "SCRAM-SHA-256",
            "listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config":
                "org.apache.kafka.common.security.scram.ScramLoginModule required "
                f'username="admin" password="{admin}";',
            # The controller cannot read SCRAM credentials before it has the metadata: PLAIN, one user.
            "listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
            "sasl.mechanism.controller.protocol": "PLAIN",
            "listener.name.controller.plain.sasl.jaas.config":
                "org.apache.kafka.common.security.plain.PlainLoginModule required "
                f'username="admin" password="{admin}" user_admin="{admin}";',
            "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            "super.users": "User:admin",
            "allow.everyone.if.no.acl.found": "false",
        }

    def _config(self) -> Path:
        self.home.mkdir(parents=True, exist_ok=True)
        client = self.security_protocol
        lines = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@127.0.0.1:{self.controller_port}",
            "listeners": f"{client}://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
            "advertised.listeners": f"{client}://127.0.0.1:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "inter.broker.listener.name": "PLAINTEXT",
            "log.dirs": str(self.data_dir),
            "num.partitions": "6",
            "num.network.threads": "2",
            "num.io.threads": "4",
            # One node: every internal topic has one replica.
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            **self._auth_config(),
        }
        path = self.home / "server.properties"
        path.write_text("".join(f"{k}={v}\n" for k, v in lines.items()))
        (self.home / "log4j2.yaml").write_text(_LOG4J)
        return path

    def _java(self) -> str:
        java = find_java()
        if java is None:
            raise RuntimeStartError(f"Apache Kafka cannot start: no Java {MIN_JAVA}+ found (JAVA_HOME or PATH)")
        return java

    def _format(self, java: str, libs: Path, config: Path) -> None:
        if self.cluster_id is not None:
            return  # formatted before: keep the log, the cluster id and everything in it
        scram = [f"--add-scram=SCRAM-SHA-256=[name={name},password={password}]"
                 for name, password in self.credentials().items()] if self.auth else []
        done = subprocess.run(
            [java, "-cp", f"{libs}/*", "kafka.tools.StorageTool", "format",
             f"--cluster-id={new_cluster_id()}", "-c", str(config), *scram],
            capture_output=True, text=True, timeout=120,
        )
        if done.returncode != 0:
            raise RuntimeStartError(f"Kafka storage could not be formatted: {done.stderr.strip()[-300:]}")

    def start(self, timeout: float = 60.0) -> None:
        for port in (self.port, self.controller_port):
            if not port_is_free(port):
                raise RuntimeStartError(f"Kafka broker cannot start: port 127.0.0.1:{port} is already in use")
        java, libs = self._java(), ensure_jars()
        config = self._config()
        self._format(java, libs, config)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        since = log.tell()
        self.process = subprocess.Popen(
            dying_with_parent([java, f"-Xmx{self.heap}", "-Xms128m", "-XX:+UseSerialGC", "-Djava.awt.headless=true",
                               f"-Dlog4j2.configurationFile={self.home / 'log4j2.yaml'}",
                               "-cp", f"{libs}/*", "kafka.Kafka", str(config)], tied=self.tied),
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        if not self._wait_started(since, timeout) or not wait_for_port(self.port, 5):
            self.stop()
            raise RuntimeStartError(f"Apache Kafka did not start on {self.bootstrap} within {timeout}s "
                                    f"(log: {self.log_path})")

    def _wait_started(self, since: int, timeout: float) -> bool:
        """Listening is not serving yet: wait for this start's "Kafka Server started" in the log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                return False
            with open(self.log_path, "rb") as log:
                log.seek(since)
                if b"Kafka Server started" in log.read():
                    return True
            time.sleep(0.1)
        return False

    def stop(self, timeout: float = 30.0) -> None:
        """A clean shutdown (SIGTERM: the log is flushed and closed); SIGKILL only if it hangs."""
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def lose_log(self) -> None:
        """Remove the stopped broker's log (as a lost disk would): the next start formats a new cluster."""
        assert self.process is None, "stop the broker first"
        shutil.rmtree(self.data_dir, ignore_errors=True)  # the credentials stay: the next format adds them again

    def kill(self) -> None:
        """SIGKILL, as a crash would (fault tests)."""
        proc, self.process = self.process, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()

