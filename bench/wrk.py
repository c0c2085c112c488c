"""Running wrk against 127.0.0.1 and reading its report."""

import re
import statistics
import subprocess
from dataclasses import dataclass
from pathlib import Path

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
LATENCY = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s|m)\s*$", re.MULTILINE)
TOTAL = re.compile(r"(\d+) requests in ([\d.]+)(us|ms|s|m),")
NON_2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")
SOCKET_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")

# Each wrk thread walks its own share of the ids (thread k takes ids k, k+n, k+2n, …), so no lead is posted
# twice while ids last; past the end it wraps round and those repeats fail as the lead has moved on.
TRANSITION_LUA = """
wrk.method = "POST"
wrk.body = '{"to_stage": "%(to_stage)s"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(token)s"
local ids = {%(ids)s}
local threads = 0
function setup(thread)
    thread:set("offset", threads)
    threads = threads + 1
end
function init(args)
    step = %(threads)d
    position = offset
end
function request()
    local id = ids[(position %% #ids) + 1]
    position = position + step
    return wrk.format(nil, "%(prefix)s" .. id .. "/transition/")
end
"""


@dataclass
class Run:
    requests: int
    seconds: float
    failed: int  # non-2xx/3xx responses plus socket errors
    p50_ms: float
    p99_ms: float

    @property
    def ok_per_second(self) -> float:
        return (self.requests - self.failed) / self.seconds


@dataclass
class Summary:
    runs: list[Run]

    @property
    def rps(self) -> float:
        return statistics.median(run.ok_per_second for run in self.runs)

    @property
    def p50(self) -> float:
        return statistics.median(run.p50_ms for run in self.runs)

    @property
    def p99(self) -> float:
        return statistics.median(run.p99_ms for run in self.runs)

    @property
    def failed(self) -> int:
        return sum(run.failed for run in self.runs)

    @property
    def requests(self) -> int:
        return sum(run.requests for run in self.runs)


def parse(output: str) -> Run:
    latencies = {pct: float(value) * UNITS[unit] for pct, value, unit in LATENCY.findall(output)}
    total = TOTAL.search(output)
    if total is None or "99" not in latencies:
        raise RuntimeError(f"could not read wrk's report:\n{output}")
    non_2xx = NON_2XX.search(output)
    sockets = SOCKET_ERRORS.search(output)
    failed = (int(non_2xx.group(1)) if non_2xx else 0) + (sum(map(int, sockets.groups())) if sockets else 0)
    return Run(
        requests=int(total.group(1)),
        seconds=float(total.group(2)) * UNITS[total.group(3)] / 1000,
        failed=failed,
        p50_ms=latencies["50"],
        p99_ms=latencies["99"],
    )


def run(
    url: str,
    *,
    token: str = "",
    cookie: str = "",
    seconds: int,
    connections: int,
    threads: int,
    script: Path | None = None,
) -> Run:
    """One wrk run against 127.0.0.1, as an API client (`token`) or a signed-in browser (`cookie`)."""
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"the benchmark only targets 127.0.0.1, not {url}")
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    if script is not None:
        command += ["-s", str(script)]
    else:
        command += ["-H", f"Cookie: {cookie}"] if cookie else ["-H", f"Authorization: Bearer {token}"]
    result = subprocess.run([*command, url], capture_output=True, text=True, timeout=seconds + 30, check=True)
    return parse(result.stdout)


def transition_script(
    path: Path, *, token: str, ids: list[int], to_stage: str, threads: int, prefix: str = "/api/v1/leads/"
) -> Path:
    """`prefix` + id + "/transition/" is each request's path (the bench's bare endpoint has its own prefix)."""
    values = {"token": token, "ids": ",".join(map(str, ids)), "to_stage": to_stage, "threads": threads}
    values["prefix"] = prefix
    path.write_text(TRANSITION_LUA % values)
    return path
