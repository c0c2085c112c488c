"""CPU the server side spent: the gunicorn workers and the PostgreSQL backends serving them, from /proc.

Waiting for a CPU costs no CPU, so CPU per request moves less than requests per second when other work shares
the machine: the figure to compare two variants by when the machine is busy.
"""

import os
from pathlib import Path


def ticks(pids: set[int]) -> dict[int, int]:
    """User + system clock ticks each process has used so far (/proc/<pid>/stat fields 14 and 15)."""
    used = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone since it was listed
            continue
        used[pid] = int(fields[11]) + int(fields[12])
    return used


def _children(parent: int) -> set[int]:
    pids = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == parent:
                pids.add(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return pids


def server_pids(master: int) -> set[int]:
    """The workers of the gunicorn `master` and the client backends of the current database but this
    process's own (Django's default connection)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'"
        )
        backends = {row[0] for row in cursor.fetchall()}
    return _children(master) | backends


def ms_since(before: dict[int, int], pids: set[int]) -> float:
    """Milliseconds of CPU `pids` (and those of `before`) used since `before`; a process that started in
    between counts whole."""
    after = ticks(pids | set(before))
    return sum(after[pid] - before.get(pid, 0) for pid in after) * 1000 / os.sysconf("SC_CLK_TCK")
