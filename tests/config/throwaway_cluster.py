"""A PostgreSQL cluster of the test's own, to stop and start under load (tests/config/test_database_restart.py):
the machine's cluster serves every other test at the same time, so it is never the one restarted.

How it is built (about 5 s on 2 busy cores):
1. `initdb` a tiny cluster in a temporary folder: a free TCP port on 127.0.0.1, sockets in the folder, no fsync
   (a clean `pg_ctl stop` still writes every committed row; a crash would lose nothing worth keeping).
2. Copy the migrated test database into it with `pg_dump -Fc` / `pg_restore` (1 to 3 s). Migrating an empty
   database instead took 104 s here; cloning the whole machine cluster with pg_basebackup, as the replica test
   does, copies every database on it (gigabytes when a benchmark database is there).
The server binaries are those of the test database's major version, in /usr/lib/postgresql/<major>/bin; as root
they run as the `postgres` user, since the server refuses to run as root.
"""

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg

PROGRAMS = ("initdb", "pg_ctl", "pg_dump", "pg_restore")
USER = "postgres"


class ClusterUnavailable(Exception):
    """The machine cannot run a throwaway cluster; the message says what is missing."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def bindir_for(server_version: int) -> Path:
    major = server_version // 10000
    bindir = Path(f"/usr/lib/postgresql/{major}/bin")
    missing = [name for name in PROGRAMS if not (bindir / name).exists()]
    if missing:
        raise ClusterUnavailable(f"no PostgreSQL {major} server binaries in {bindir} ({', '.join(missing)})")
    return bindir


class ThrowawayCluster:
    """create() → a running cluster on 127.0.0.1:<port>; copy_database(); stop()/start(); remove()."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="crm-fault-"))
        self.data = self.root / "data"
        self.owner = pwd.getpwnam(USER) if os.geteuid() == 0 else None

    def url(self, dbname: str) -> str:
        return f"postgres://{USER}@127.0.0.1:{self.port}/{dbname}"

    def create(self) -> None:
        if self.owner is not None:
            os.chown(self.root, self.owner.pw_uid, self.owner.pw_gid)
        self._server("initdb", "-D", self.data, "-U", USER, "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C")
        settings = [
            f"port = {self.port}",
            "listen_addresses = '127.0.0.1'",
            f"unix_socket_directories = '{self.root}'",
            "fsync = off",
            "shared_buffers = 16MB",
            "max_connections = 20",
            "cluster_name = 'crm-test-fault'",
        ]
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("\n".join(settings) + "\n")
        self.start()

    def copy_database(self, source: dict, name: str) -> None:
        """Copies the database Django's `source` settings name into this cluster as `name`."""
        dump = self.root / "copy.dump"
        where = ["-h", source["HOST"]] if source["HOST"] else []
        where += ["-p", str(source["PORT"])] if source["PORT"] else []
        env = {**os.environ, "PGPASSWORD": source["PASSWORD"] or ""}
        self._client("pg_dump", "-Fc", "-Z0", "--no-owner", "--no-privileges", "-f", dump, *where,
                     "-U", source["USER"], "-d", source["NAME"], env=env)  # fmt: skip
        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        self._client("pg_restore", "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error",
                     "-h", "127.0.0.1", "-p", str(self.port), "-U", USER, "-d", name, dump)  # fmt: skip

    def start(self) -> None:
        self._server("pg_ctl", "-D", self.data, "-l", self.root / "log", "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """`fast`: every backend is terminated (its client gets 57P01) and a checkpoint written."""
        self._server("pg_ctl", "-D", self.data, "-m", mode, "-w", "stop")

    def remove(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self.stop("immediate")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def _server(self, program: str, *args) -> None:
        owner = self.owner
        user = {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": []} if owner else {}
        env = {"PATH": os.environ.get("PATH", ""), "LC_ALL": "C", "HOME": owner.pw_dir if owner else str(self.root)}
        self._run(program, args, env=env, **user)

    def _client(self, program: str, *args, env: dict | None = None) -> None:
        self._run(program, args, env=env or dict(os.environ))

    def _run(self, program: str, args: tuple, **options) -> None:
        command = [str(self.bindir / program), *map(str, args)]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, **options)
        if result.returncode != 0:
            raise ClusterUnavailable(f"`{' '.join(command)}` failed: {result.stderr.strip()[-2000:]} {self._log()}")

    def _log(self) -> str:
        log = self.root / "log"
        return f"(server log: {log.read_text()[-2000:]})" if log.exists() else ""
