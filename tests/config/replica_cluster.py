"""A throwaway streaming replica of the test primary, for tests/config/test_replica.py.

How it is built (2.4 to 4 s on 2 busy cores from a ~100 MB primary cluster; pg_basebackup copies the whole cluster,
so a primary also holding a 1.3 GB benchmark database took 20 to 30 s):
1. The primary must accept replication connections from 127.0.0.1. These machines' pg_hba.conf trusts every
   database from 127.0.0.1 but has no `replication` rule (Debian's default has them), so, when no rule names
   `replication`, one line is appended — `host replication <user> 127.0.0.1/32 trust`, marked with a comment —
   and the configuration reloaded: the trust the user already has for every database from 127.0.0.1. Nothing
   else on the primary changes (wal_level=replica and max_wal_senders=10 are the defaults).
2. `pg_basebackup -D <tmp>/data -R -X stream -c fast --no-sync --no-manifest`: -R writes standby.signal and
   primary_conninfo; a fast checkpoint, since the default spread one can wait minutes. Run as the postgres OS
   user when we are root, since the server refuses to run as root.
3. A postgresql.conf of its own (Debian keeps the primary's in /etc, so the copy has none): a free port,
   sockets in the temporary folder, hot_standby, fsync off (a crash loses nothing worth keeping) and the
   primary's max_connections and friends (a standby refuses to start with fewer).
4. `pg_ctl start`, wait until it accepts read-only connections (asking the primary for a checkpoint while
   waiting: see _wait_hot_standby), then until pg_stat_wal_receiver reports `streaming`.
Stopped with `pg_ctl stop -m immediate`; the folder is removed.
"""

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

# A hot standby refuses to start with less of any of these than its primary has.
MATCHED_SETTINGS = (
    "max_connections",
    "max_worker_processes",
    "max_wal_senders",
    "max_prepared_transactions",
    "max_locks_per_transaction",
)
HBA_MARK = "# added by tests/config/replica_cluster.py: the streaming-replica test clones this cluster"
STREAMING_TIMEOUT = 30
# Replaying what the primary wrote during the copy takes well under a second on a quiet primary, a minute or
# more when another process loads gigabytes into it at the same time.
READY_TIMEOUT = 180


class ReplicaUnavailable(Exception):
    """The machine cannot build a replica; the message says what is missing."""


@dataclass(frozen=True)
class Primary:
    host: str
    port: int
    user: str
    password: str

    @classmethod
    def from_django(cls, settings_dict: dict) -> "Primary":
        host = settings_dict["HOST"] or ""
        if not host or host.startswith("/"):
            raise ReplicaUnavailable(
                f"the primary is reached through a Unix socket ({host or 'default'}, the embedded PostgreSQL?); "
                "the replica test clones a primary over TCP: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/…"
            )
        return cls(host, int(settings_dict["PORT"] or 5432), settings_dict["USER"], settings_dict["PASSWORD"])

    def connect(self, **options) -> psycopg.Connection:
        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            dbname="postgres",
            autocommit=True,
            connect_timeout=5,
            **options,
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ReplicaCluster:
    """build() → a hot standby streaming from `primary` on 127.0.0.1:<port>; stop() removes it."""

    def __init__(self, primary: Primary):
        self.primary = primary
        self.port = _free_port()
        self.root = Path(tempfile.mkdtemp(prefix="crm-replica-"))
        self.data = self.root / "data"
        self.owner = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
        self.bindir = Path("/nonexistent")

    def build(self) -> None:
        with self.primary.connect() as connection:
            settings = self._check_primary(connection)
            self._allow_replication(connection)
        self.bindir = _bindir(settings["server_version_num"])
        if self.owner is not None:
            os.chown(self.root, self.owner.pw_uid, self.owner.pw_gid)
        self._base_backup()
        self._write_config(settings)
        self._run("pg_ctl", "-D", self.data, "-l", self.root / "log", "-W", "start")
        self._wait_hot_standby()
        self._wait_streaming()

    def primary_bytes(self) -> int:
        """The size of every database on the primary: pg_basebackup copies them all."""
        with self.primary.connect() as connection:
            return connection.execute("SELECT sum(pg_database_size(oid))::bigint FROM pg_database").fetchone()[0]

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def connect(self, dbname: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(host="127.0.0.1", port=self.port, user=self.primary.user, dbname=dbname, autocommit=True)

    def _check_primary(self, connection) -> dict[str, str]:
        names = ("server_version_num", "wal_level", *MATCHED_SETTINGS)
        settings = {name: connection.execute(f"SHOW {name}").fetchone()[0] for name in names}
        if settings["wal_level"] == "minimal" or settings["max_wal_senders"] == "0":
            raise ReplicaUnavailable("the primary cannot stream: it needs wal_level=replica and max_wal_senders > 0")
        return settings

    def _allow_replication(self, connection) -> None:
        rules = connection.execute("SELECT count(*) FROM pg_hba_file_rules WHERE 'replication' = ANY(database)")
        if rules.fetchone()[0]:
            return
        hba = Path(connection.execute("SHOW hba_file").fetchone()[0])
        if not os.access(hba, os.W_OK):
            raise ReplicaUnavailable(
                f"{hba} allows no replication connection and is not writable here; add "
                f"`host replication {self.primary.user} 127.0.0.1/32 trust` to it and reload PostgreSQL"
            )
        with hba.open("a") as file:
            file.write(f"\n{HBA_MARK}\nhost replication {self.primary.user} 127.0.0.1/32 trust\n")
        connection.execute("SELECT pg_reload_conf()")
        time.sleep(0.2)  # the postmaster rereads pg_hba.conf on SIGHUP, a moment after the call returns

    def _base_backup(self) -> None:
        host, port, user = self.primary.host, str(self.primary.port), self.primary.user
        # No fsync and no manifest: a throwaway copy needs neither durability nor a verifiable backup.
        copy = ("-D", self.data, "-R", "-X", "stream", "-c", "fast", "--no-sync", "--no-manifest")
        self._run("pg_basebackup", *copy, "-h", host, "-p", port, "-U", user)

    def _write_config(self, primary_settings: dict[str, str]) -> None:
        lines = [
            f"port = {self.port}",
            "listen_addresses = '127.0.0.1'",
            f"unix_socket_directories = '{self.root}'",
            "hot_standby = on",
            "fsync = off",
            "shared_buffers = 16MB",
            "cluster_name = 'crm-test-replica'",
            *(f"{name} = {primary_settings[name]}" for name in MATCHED_SETTINGS),
        ]
        files = {
            "postgresql.conf": "\n".join(lines) + "\n",
            "pg_hba.conf": "local all all trust\nhost all all 127.0.0.1/32 trust\n",
            "pg_ident.conf": "",
        }
        for name, text in files.items():
            path = self.data / name
            path.write_text(text)
            if self.owner is not None:
                os.chown(path, self.owner.pw_uid, self.owner.pw_gid)

    def _wait_hot_standby(self) -> None:
        """Until the standby accepts read-only connections, as postmaster.pid says (polling with connections
        would fill the log with refusals). It first replays the WAL written during the copy, then needs a
        snapshot of the primary's running transactions without a subtransaction overflow: tests running on the
        primary (a savepoint per nested atomic block) can overflow it, and the primary logs the next snapshot
        only every 15 s or at a checkpoint — so, once consistent, ask for checkpoints while waiting."""
        started = time.monotonic()
        next_checkpoint = None
        while (waited := time.monotonic() - started) < READY_TIMEOUT:
            status = self._postmaster_status()
            if status in ("ready", "standby"):
                return
            if not status and waited > 10:
                raise ReplicaUnavailable(f"the replica did not start: {self._log()}")
            if "consistent recovery state reached" in self._log():
                next_checkpoint = next_checkpoint or waited + 1
                if waited > next_checkpoint:
                    with self.primary.connect() as primary:
                        primary.execute("CHECKPOINT")
                    next_checkpoint = waited + 5
            time.sleep(0.05)
        raise ReplicaUnavailable(f"the replica accepted no connection within {READY_TIMEOUT} s: {self._log()}")

    def _postmaster_status(self) -> str:
        """postmaster.pid's eighth line: starting, standby (accepting read-only connections), ready or stopping."""
        try:
            lines = (self.data / "postmaster.pid").read_text().splitlines()
        except FileNotFoundError:
            return ""
        return lines[7].strip() if len(lines) > 7 else "starting"

    def _wait_streaming(self) -> None:
        deadline = time.monotonic() + STREAMING_TIMEOUT
        with self.connect() as connection:
            while time.monotonic() < deadline:
                if connection.execute("SELECT status FROM pg_stat_wal_receiver").fetchone() == ("streaming",):
                    return
                time.sleep(0.05)
        raise ReplicaUnavailable(f"the replica did not start streaming within {STREAMING_TIMEOUT} s: {self._log()}")

    def _run(self, program: str, *args) -> None:
        owner = self.owner
        env = {"PATH": os.environ.get("PATH", ""), "LC_ALL": "C", "HOME": owner.pw_dir if owner else str(self.root)}
        command = [str(self.bindir / program), *map(str, args)]
        user = {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": []} if owner else {}
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env, **user)
        if result.returncode != 0:
            raise ReplicaUnavailable(f"`{' '.join(command)}` failed: {result.stderr.strip()} {self._log()}")

    def _log(self) -> str:
        log = self.root / "log"
        return f"(server log: {log.read_text()[-2000:]})" if log.exists() else ""


def _bindir(version_num: str) -> Path:
    """The server binaries of the primary's major version: a standby must run the very same major."""
    major = int(version_num) // 10000
    bindir = Path(f"/usr/lib/postgresql/{major}/bin")
    if not (bindir / "pg_basebackup").exists() or not (bindir / "pg_ctl").exists():
        raise ReplicaUnavailable(f"no PostgreSQL {major} server binaries in {bindir} (pg_basebackup, pg_ctl)")
    return bindir
