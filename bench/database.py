"""Which database the bench scripts load and measure: DATABASE_URL, else the local crm_bench.

They truncate, bulk-load and move leads, so a database whose name does not say "bench" is refused unless
the caller passes --any-database.
"""

import os
import sys
from urllib.parse import urlsplit

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/crm_bench"


def bench_database_url(*, any_database: bool, tool: str) -> str:
    url = os.environ.get("DATABASE_URL", "").strip() or DEFAULT_URL
    name = urlsplit(url).path.strip("/")
    if "bench" not in name and not any_database:
        sys.exit(
            f"{tool}: refusing to use database {name!r}: point DATABASE_URL at a database whose name has 'bench' "
            "in it (e.g. crm_bench), or pass --any-database."
        )
    return url
