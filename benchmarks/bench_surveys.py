"""Load test of the survey answer route (issue 15 item 7): a real ``retentionkit serve`` on
127.0.0.1, concurrent ``POST /s/{token}`` of distinct links for a bounded time, then the
answers counted in the workspace.

Reports answers/s (acknowledged 200s over the wall time), latency p50/p99 of the
acknowledged posts, errors, the server's CPU time per answer (what the answers/s would be on an
idle core: 1000 / that), and ``lost`` = acknowledged − rows in survey_responses (must be 0:
each answer is committed before its response). Bounded: the load runs ``--seconds``
(default 15, at most 50) and, once the workspace is prepared, the run (server start, load,
stop, count) stops itself within 60 s. The server's rate limits
are switched off for the run (``RETENTIONKIT_SURVEY_IP_RATE=0``, ``…_TOKEN_RATE=0``).

Run: ``.venv/bin/python benchmarks/bench_surveys.py [--seconds 15] [--concurrency 32]
[--links 8000] [--json]``; ``benchmarks/run.py`` (``make bench``) runs it too.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent
HARD_LIMIT = 60.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` (Linux /proc), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def prepare(db: Path, links: int, base: str) -> list[str]:
    """A workspace with ``links`` customers, an NPS survey and one link per customer."""
    import pandas as pd

    from retentionkit.surveys.links import make_links
    from retentionkit.surveys.service import CreateSurvey, run
    from retentionkit.workspace import Workspace

    ws = Workspace(db)
    ids = [f"B{i:07d}" for i in range(links)]
    ws.ingest("customers", pd.DataFrame({"customer_id": ids}))
    run(ws, CreateSurvey("bench", "nps"))
    paths = [k.url.removeprefix(base) for k in make_links(ws, "bench", ids, base_url=base)]
    ws.con.disconnect()
    return paths


async def load(base: str, paths: list[str], seconds: float, concurrency: int) -> dict[str, Any]:
    import httpx

    latencies: list[float] = []
    errors: dict[str, int] = {}
    queue = iter(paths)
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def worker(client: httpx.AsyncClient) -> None:
        for path in queue:
            if time.perf_counter() >= deadline:
                return
            started = time.perf_counter()
            try:
                r = await client.post(path, data={"score": str(len(path) % 11)})
            except httpx.HTTPError as exc:
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                continue
            if r.status_code == 200:
                latencies.append(time.perf_counter() - started)
            else:
                errors[str(r.status_code)] = errors.get(str(r.status_code), 0) + 1

    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        wall = time.perf_counter() - started
    latencies.sort()

    def pct(p: float) -> float | None:
        return (
            latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000
            if latencies
            else None
        )

    return {
        "acknowledged": len(latencies),
        "wall_seconds": round(wall, 2),
        "answers_per_second": round(len(latencies) / wall, 1) if wall else 0.0,
        "p50_ms": round(pct(0.50) or 0, 2),
        "p99_ms": round(pct(0.99) or 0, 2),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 2) if latencies else None,
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--links", type=int, default=8000)
    parser.add_argument("--json", action="store_true", help="print only the JSON result")
    args = parser.parse_args()
    seconds = min(max(args.seconds, 1.0), 50.0)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        paths = prepare(db, args.links, base)
        # from here (server start, load, stop, count) the run stops itself within 60 s
        signal.signal(signal.SIGALRM, lambda *_: sys.exit("bench_surveys: 60 s limit reached"))
        signal.alarm(int(HARD_LIMIT))
        env = {
            **os.environ,
            "RETENTIONKIT_SURVEY_IP_RATE": "0",
            "RETENTIONKIT_SURVEY_TOKEN_RATE": "0",
        }
        server = subprocess.Popen(
            [str(BIN / "retentionkit"), "--db", str(db), "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(Path(tmp) / "serve.log").open("w"),
        )
        started = time.monotonic()
        try:
            import httpx

            while True:
                try:
                    if httpx.get(base + "/api/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if server.poll() is not None or time.monotonic() - started > 30:
                    log = (Path(tmp) / "serve.log").read_text()[-2000:]
                    sys.exit(f"bench_surveys: the server did not start:\n{log}")
                time.sleep(0.1)
            # `serve` warms the dashboard cache in both lanes at start; the warm-up holds the
            # lanes' locks, which every write waits for: measure the answers after it
            while (Path(tmp) / "serve.log").read_text().count("lane)") < 2:
                if time.monotonic() - started > 40:
                    break
                time.sleep(0.2)
            cpu_before = _cpu_seconds(server.pid)
            if os.environ.get("BENCH_PYSPY"):  # profile the server during the load
                subprocess.Popen(
                    [
                        str(BIN / "py-spy"),
                        "record",
                        "-p",
                        str(server.pid),
                        "-d",
                        str(int(seconds)),
                        "-f",
                        "raw",
                        "-o",
                        os.environ["BENCH_PYSPY"],
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            result = asyncio.run(load(base, paths, seconds, args.concurrency))
            cpu = _cpu_seconds(server.pid) - cpu_before
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        from retentionkit.workspace import Workspace

        ws = Workspace(db)
        rows = ws.con.raw_sql(
            "SELECT count(*) FROM survey_responses WHERE survey_name = 'bench'"
        ).fetchone()[0]
        ws.con.disconnect()
    per_answer = cpu / result["acknowledged"] * 1000 if result["acknowledged"] else None
    result.update(
        server_cpu_seconds=round(cpu, 2),
        server_cpu_ms_per_answer=round(per_answer, 2) if per_answer else None,
        rows_in_workspace=int(rows),
        lost=result["acknowledged"] - int(rows),
        concurrency=args.concurrency,
        seconds=seconds,
        cpus=os.cpu_count(),
        load_average=[round(x, 2) for x in os.getloadavg()],
    )
    signal.alarm(0)
    print(json.dumps(result, indent=None if args.json else 2))
    if result["lost"] != 0:
        sys.exit(1)


if __name__ == "__main__":
    main()
