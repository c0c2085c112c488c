"""Writes bench/RESULTS.md from a run: the machine, the data, one row per endpoint, each goal met or not.

A "## Notes" section already in the file (written by hand: query plans, findings) is kept as it is.
"""

from dataclasses import dataclass
from pathlib import Path

from bench.wrk import Summary

NOTES = "## Notes"
LIST_KEYS = ("page1", "stage", "owner", "deep")
MAX_P99_MS = 20.0


@dataclass
class Measured:
    key: str
    label: str
    path: str
    loaded: Summary | None  # at the throughput concurrency
    light: Summary | None  # one connection per worker: latency without queueing in front of the workers
    unavailable: str = ""


def _ms(value: float) -> str:
    return f"{value:.1f}"


def _list_goal(row: Measured, bare: Measured | None) -> tuple[str, str]:
    """Throughput against the bare list under load; p99 judged unqueued, the loaded p99 shown beside it."""
    goal = "≥ 0.5× bare list req/s; p99 ≤ 20 ms"
    if bare is None or bare.loaded is None or row.loaded is None or row.light is None:
        return goal, "not measured"
    ratio = row.loaded.rps / bare.loaded.rps
    fast = row.light.p99 <= MAX_P99_MS
    verdict = "met" if ratio >= 0.5 and fast else "**not met**"
    return goal, (
        f"{verdict}: {ratio:.2f}× bare; p99 {_ms(row.light.p99)} ms unqueued {'≤' if fast else '>'} 20 "
        f"({_ms(row.loaded.p99)} ms under load)"
    )


def _deep_goal(row: Measured, first: Measured | None) -> tuple[str, str]:
    goal = "latency ≤ 2× page 1"
    if first is None or first.light is None or row.light is None:
        return goal, "not measured"
    p50, p99 = row.light.p50 / first.light.p50, row.light.p99 / first.light.p99
    ok = p50 <= 2 and p99 <= 2
    return goal, f"{'met' if ok else '**not met**'} (p50 {p50:.2f}×, p99 {p99:.2f}× page 1)"


def _transition_goal(row: Measured, bare: Measured | None) -> tuple[str, str]:
    goal = "≥ 300 successful/s with every rule evaluated, and ≥ 0.5× the bare move (issue 12)"
    if row.loaded is None:
        return goal, "not measured"
    ratio = row.loaded.rps / bare.loaded.rps if bare is not None and bare.loaded else None
    ok = row.loaded.rps >= 300 and ratio is not None and ratio >= 0.5
    against = f", {ratio:.2f}× the bare move" if ratio is not None else ", bare move not measured"
    return goal, f"{'met' if ok else '**not met**'}: {row.loaded.rps:,.0f}/s{against}, {row.loaded.failed} failed"


WEB_P99_MS = 150


def _web_goal(row: Measured) -> tuple[str, str]:
    """A page a person opens all day renders from indexed queries: p99 unqueued within WEB_P99_MS."""
    goal = f"p99 ≤ {WEB_P99_MS} ms unqueued"
    if row.light is None:
        return goal, "not measured"
    verdict = "met" if row.light.p99 <= WEB_P99_MS else "**not met**"
    return goal, f"{verdict}: p99 {_ms(row.light.p99)} ms"


def verdicts(rows: list[Measured]) -> dict[str, tuple[str, str]]:
    by_key = {row.key: row for row in rows}
    result = {"hello": ("framework ceiling", "—"), "bare": ("reference for the list goal", "—")}
    for key in LIST_KEYS:
        if key in by_key:
            result[key] = _list_goal(by_key[key], by_key.get("bare"))
    if "deep" in by_key:
        goal, verdict = _deep_goal(by_key["deep"], by_key.get("page1"))
        list_goal, list_verdict = result["deep"]
        result["deep"] = (f"{list_goal}; {goal}", f"{list_verdict}; {verdict}")
    if "transition" in by_key:
        result["transition"] = _transition_goal(by_key["transition"], by_key.get("bare-transition"))
    if "bare-transition" in by_key:
        result["bare-transition"] = ("reference for the transition goal", "—")
    for key, row in by_key.items():
        if key.startswith("web-"):
            result[key] = _web_goal(row)
    return result


def _row(row: Measured, goal: str, verdict: str) -> str:
    if row.unavailable:
        return f"| {row.label} | `{row.path}` | — | — | — | — | {goal} | not measured: {row.unavailable} |"
    loaded, light = row.loaded, row.light
    assert loaded is not None
    unqueued = f"{_ms(light.p50)} / {_ms(light.p99)}" if light else "—"
    return (
        f"| {row.label} | `{row.path}` | {loaded.rps:,.0f} | {_ms(loaded.p50)} / {_ms(loaded.p99)} | {unqueued} | "
        f"{loaded.failed} of {loaded.requests:,} | {goal} | {verdict} |"
    )


def write(path: Path, *, rows: list[Measured], machine: dict, data: dict, settings: dict) -> None:
    notes = ""
    if path.exists() and NOTES in path.read_text():
        notes = path.read_text()[path.read_text().index(NOTES) :]
    goals = verdicts(rows)
    table = "\n".join(_row(row, *goals.get(row.key, ("", ""))) for row in rows)
    text = f"""# Benchmark results

Measured by `bench/run.py` on {settings["date"]}; this part of the file is rewritten by every run.

- **Machine:** {machine["cpus"]} CPUs ({machine["cpu_model"]}), {machine["memory"]} RAM, {machine["postgres"]}
  (default configuration) and Python {machine["python"]}. Server, database and load generator share these
  CPUs, and so may other work: the 1-minute load average was {settings["load_before"]} when the run started.
- **Data:** {data["leads"]:,} leads, {data["transitions"]:,} transitions (bench/generate.py). The owner filter
  uses owner {data["owner"]} ({data["owner_leads"]:,} leads); the deep page is the one after position
  {data["deep_position"]:,} of the `-id` ordering, reached with a constructed cursor.
- **Server:** gunicorn, {settings["workers"]} sync workers, DEBUG=false, persistent database connections,
  broker {settings["broker"]}.
- **Load:** wrk with {settings["threads"]} threads: {settings["runs"]} runs of {settings["seconds"]} s per
  endpoint at {settings["connections"]} connections (req/s and p50/p99 "under load"), then {settings["runs"]}
  runs of {settings["light_seconds"]} s at {settings["light_connections"]} connections (one request per worker,
  none queued in front of a worker: p50/p99 "unqueued"). Every figure is the median over the runs; "failed"
  counts non-2xx responses and socket errors of the loaded runs.

| Endpoint | Request | req/s (2xx) | p50 / p99 ms under load | p50 / p99 ms unqueued | failed | Goal | Met? |
| --- | --- | ---: | ---: | ---: | ---: | --- | --- |
{table}

"""
    path.write_text(text + notes)
