"""A PostgreSQL primary and a streaming replica of it on 127.0.0.1, for the scale-out
tests (tests/pgcluster.py, tests/foundation/) and bench/scale.py.

The shared server accepts no replication connections, so the tests start their own
primary with ``initdb`` (``wal_level=replica``) on a free port in a temporary directory,
and a replica from it with ``pg_basebackup -R``. PostgreSQL refuses to run as root: as
root the servers run as the ``postgres`` system user (through ``runuser``).
"""

import contextlib
import glob
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

# Debian's server binaries live under /usr/lib/postgresql/<major>/bin, newest first.
BIN_DIRS = ["/usr/local/bin", *sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]


def find_binary(name: str) -> str | None:
    for directory in BIN_DIRS:
        path = Path(directory) / name
        if path.exists():
            return str(path)
    return shutil.which(name)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _major_version(binary: str) -> str:
    output = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True)
    # "pg_basebackup (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)"
    match = re.search(r"\(PostgreSQL\) (\d+)", output.stdout)
    return match.group(1) if match else output.stdout.strip()


def unavailable_reason() -> str | None:
    """Why a primary and replica cannot be started here (None when they can)."""
    binaries = {name: find_binary(name) for name in ("initdb", "pg_ctl", "pg_basebackup")}
    missing = [name for name, path in binaries.items() if path is None]
    if missing:
        return f"PostgreSQL server binaries not installed: {', '.join(missing)}"
    versions = {name: _major_version(path) for name, path in binaries.items()}
    if len(set(versions.values())) > 1:
        return f"PostgreSQL binaries of different major versions: {versions}"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and no 'postgres' system user to run initdb as"
        if shutil.which("runuser") is None:
            return "running as root and no runuser to start PostgreSQL as 'postgres'"
    return None


@dataclass
class Cluster:
    root: Path
    primary_port: int = field(default_factory=free_port)
    replica_port: int = 0
    started: list[Path] = field(default_factory=list)

    @property
    def owner(self) -> str | None:
        return "postgres" if os.geteuid() == 0 else None

    def _run(self, *command: str, timeout: int = 120) -> None:
        argv = list(command)
        if self.owner:
            argv = ["runuser", "-u", self.owner, "--", *argv]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed:\n{result.stdout}\n{result.stderr}")

    def _start(self, data: Path, port: int) -> None:
        options = (
            f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.root} "
            "-c wal_level=replica -c max_wal_senders=5 -c fsync=off -c hot_standby=on"
        )
        self._run(
            find_binary("pg_ctl"), "-D", str(data), "-o", options,
            "-l", str(self.root / f"{data.name}.log"), "-w", "-t", "60", "start",
        )  # fmt: skip
        self.started.append(data)

    def start_primary(self) -> None:
        if self.owner:
            shutil.chown(self.root, user=self.owner)
        self._run(
            find_binary("initdb"), "-D", str(self.root / "primary"), "-U", "postgres",
            "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8",
        )  # fmt: skip
        self._start(self.root / "primary", self.primary_port)

    def start_replica(self) -> None:
        self.replica_port = free_port()
        self._run(
            find_binary("pg_basebackup"), "-h", "127.0.0.1", "-p", str(self.primary_port),
            "-U", "postgres", "-D", str(self.root / "replica"), "-R", "-X", "stream", "-c", "fast",
        )  # fmt: skip
        self._start(self.root / "replica", self.replica_port)

    def url(self, port: int, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{port}/{database}"

    def execute(self, port: int, sql: str, database: str = "postgres"):
        with psycopg.connect(self.url(port, database), autocommit=True) as connection:
            cursor = connection.execute(sql)
            return cursor.fetchall() if cursor.description else None

    def wait_for_replay(self, timeout: float = 60) -> None:
        """Wait until the replica has replayed everything the primary wrote so far."""
        (target,) = self.execute(self.primary_port, "SELECT pg_current_wal_lsn()::text")[0]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rows = self.execute(
                self.replica_port, f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"
            )
            if rows[0][0]:
                return
            time.sleep(0.1)
        raise TimeoutError(f"the replica did not replay up to {target} in {timeout} s")

    def stop(self) -> None:
        for data in reversed(self.started):
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                self._run(find_binary("pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        self.started.clear()
        shutil.rmtree(self.root, ignore_errors=True)


def new_cluster(prefix: str = "pg-replica-test-") -> Cluster:
    return Cluster(root=Path(tempfile.mkdtemp(prefix=prefix)))
