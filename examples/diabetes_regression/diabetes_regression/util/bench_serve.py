"""A bounded load on a scoring server on this machine: requests/s and p50/p99 latency.

Sends REQUESTS copies of the smoke-test body from CONCURRENCY threads over loopback, stops early
after MAX_SECONDS, and prints one line of figures; with --output it also writes them, with the
machine they were measured on, to that JSON file (under outputs/, never into a tracked file: a
measurement of one machine is not documentation). Only loopback URLs are accepted: this is a local
measurement, never a load test of a shared service. `make bench-serve` runs it.

Usage: python -m <package>.util.bench_serve --url http://127.0.0.1:5001/score [--requests 300]
       [--concurrency 4] [--max-seconds 60] [--output outputs/bench_serve.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

BODY = json.dumps({"data": [list(range(1, 11)), list(range(10, 0, -1))]}).encode()
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass
class LoadResult:
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)

    @property
    def requests_per_second(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        """Latency in milliseconds below which `share` of the requests finished (nearest rank)."""
        ordered = sorted(self.latencies)
        if not ordered:
            return 0.0
        return 1000 * ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]

    def summary(self) -> str:
        statuses = ", ".join(f"{status}: {count}" for status, count in sorted(self.statuses.items()))
        return (
            f"{len(self.latencies)} requests in {self.seconds:.1f} s: {self.requests_per_second:.1f} requests/s, "
            f"p50 {self.percentile(0.5):.1f} ms, p99 {self.percentile(0.99):.1f} ms "
            f"(mean {1000 * statistics.fmean(self.latencies or [0]):.1f} ms; statuses {statuses})"
        )


def require_loopback(url: str) -> None:
    host = urlsplit(url).hostname
    if host not in LOOPBACK:
        raise ValueError(f"{url} is not on this machine: bench-serve only measures a loopback server")


def send(url: str, body: bytes, timeout: float) -> int:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        error.read()
        return error.code
    except OSError:
        return 0  # no answer (refused, reset or timed out)


def run_load(
    url: str, requests: int, concurrency: int, max_seconds: float, body: bytes = BODY, timeout: float = 30.0
) -> LoadResult:
    """Send up to `requests` bodies from `concurrency` threads, none started after `max_seconds`."""
    require_loopback(url)
    result = LoadResult()
    lock = threading.Lock()
    deadline = time.monotonic() + max_seconds

    def one(_: int) -> None:
        if time.monotonic() > deadline:
            return
        started = time.monotonic()
        status = send(url, body, timeout)
        with lock:
            result.latencies.append(time.monotonic() - started)
            result.statuses[status] += 1

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, range(requests)))
    result.seconds = time.monotonic() - started
    return result


def write_figures(path: Path, result: LoadResult, concurrency: int, workers: str) -> None:
    """This run's figures and where they were measured, as JSON (the folder is created)."""
    figures = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()} {platform.system()}",
        "python": platform.python_version(),
        "server_workers": workers,
        "client_threads": concurrency,
        "requests": len(result.latencies),
        "seconds": round(result.seconds, 3),
        "requests_per_second": round(result.requests_per_second, 1),
        "p50_ms": round(result.percentile(0.5), 1),
        "p99_ms": round(result.percentile(0.99), 1),
        "statuses": {str(status): count for status, count in sorted(result.statuses.items())},
        "summary": result.summary(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--max-seconds", type=float, default=60.0)
    parser.add_argument("--workers", default="?", help="the server's worker count, for the record")
    parser.add_argument("--output", type=Path, help="JSON file for the figures, e.g. outputs/bench_serve.json")
    args = parser.parse_args(argv)
    try:
        result = run_load(args.url, args.requests, args.concurrency, args.max_seconds)
    except ValueError as error:
        parser.error(str(error))
    print(result.summary())
    if set(result.statuses) != {200}:
        print("Some requests failed: see the statuses above (0 means no answer)")
        return 1
    if args.output:
        write_figures(args.output, result, args.concurrency, args.workers)
        print(f"Wrote the figures to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
