"""A throwaway PostgreSQL for the tests: Debian's binaries, a cluster in a temporary directory, a Unix socket.

Started once per test session (per xdist worker) by the `pg_cluster` fixture; every test that needs a
database gets a fresh one, a schema of its own (`pg_url`: upgraded to the current version;
`pg_empty_url`: never upgraded). Tests that need it are skipped, saying why, only when PostgreSQL cannot be installed
or started. initdb refuses to run as root, so as root (CI) the cluster runs as Debian's `postgres` user.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

USER = "greenlight"


def bin_dir() -> Path | None:
    """The newest /usr/lib/postgresql/<version>/bin holding initdb, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


def install() -> str:
    """Install Debian's postgresql package when it is missing and we may; return what went wrong, if anything."""
    if bin_dir():
        return ""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return "Debian's postgresql package is not installed (run `make system-deps` as root)"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (
        ["apt-get", "install", "-y", "-qq", "postgresql"],
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "postgresql"],
    ):
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
        if bin_dir():
            return ""
    return f"`apt-get install postgresql` failed: {(out.stderr or out.stdout).strip()[-300:]}"


class Cluster:
    """A running cluster in its own temporary directory, reached over a Unix socket there."""

    def __init__(self, fsync: bool = True, max_connections: int = 300):
        self.bin = bin_dir()
        self.dir = Path(tempfile.mkdtemp(prefix="greenlight-pg-"))
        self.data, self.port = self.dir / "data", 5432  # the socket lives in our own directory: no clash
        self.fsync, self.max_connections = fsync, max_connections
        self._names = itertools.count(1)
        self._shared: str | None = None

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        """Run a PostgreSQL program as the cluster's owner (`postgres` when we are root)."""
        cmd = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120)

    def start(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        out = self._run(
            "initdb", "-D", str(self.data), "-U", USER, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"
        )
        if out.returncode:
            raise RuntimeError(f"initdb failed: {out.stderr.strip()[-500:]}")
        options = (
            f"-k {self.dir} -c listen_addresses='' -p {self.port} -c max_connections={self.max_connections} "
            f"-c fsync={'on' if self.fsync else 'off'} -c shared_buffers=64MB"
        )
        out = self._run(
            "pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.dir / "server.log"), "-w", "-t", "60", "start"
        )
        if out.returncode:
            log = (
                (self.dir / "server.log").read_text(errors="replace")[-800:]
                if (self.dir / "server.log").exists()
                else ""
            )
            raise RuntimeError(f"pg_ctl start failed: {out.stderr.strip()[-300:]} {log}")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{USER}@/{dbname}?host={self.dir}&port={self.port}"

    def create(self, name: str | None = None) -> str:
        """Create a new database; return its URL."""
        import psycopg

        name = name or f"t{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def schema(self) -> str:
        """Create a new, empty schema in the session's database; return a URL whose search_path is it.

        A schema costs a millisecond where a database costs half a second: every test gets its own.
        """
        import psycopg

        if self._shared is None:
            self._shared = self.create("greenlight_tests")
        name = f"s{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self._shared, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {name}")
        return f"{self._shared}&options=-csearch_path%3D{name}"


def start_cluster(**kwargs) -> Cluster:
    """Install if needed, then start a cluster; raise RuntimeError saying why it could not be."""
    problem = install()
    if problem:
        raise RuntimeError(problem)
    cluster = Cluster(**kwargs)
    try:
        cluster.start()
    except Exception:
        cluster.stop()
        raise
    return cluster


@pytest.fixture(scope="session")
def pg_cluster():
    """A PostgreSQL cluster for the session, or a skip saying why none could be installed or started."""
    try:
        cluster = start_cluster()
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"PostgreSQL could not be installed or started: {exc}")
    yield cluster
    cluster.stop()


@pytest.fixture
def pg_url(pg_cluster) -> str:
    """A fresh database (a schema of its own) at the current schema version."""
    from callback.data.pg_db import Database
    from callback.data.pg_schema import upgrade

    url = pg_cluster.schema()
    upgrade(Database(url))
    return url


@pytest.fixture
def pg_empty_url(pg_cluster) -> str:
    """A fresh database (a schema of its own) that was never upgraded."""
    return pg_cluster.schema()
