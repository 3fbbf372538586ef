"""A bounded load on a scoring server on this machine: requests/s and p50/p99 latency.

Sends REQUESTS copies of the smoke-test body from CONCURRENCY threads over loopback, stops early
after MAX_SECONDS, and prints one line of figures; with --docs it also writes them between the
`bench-serve` markers of that Markdown file. Only loopback URLs are accepted: this is a local
measurement, never a load test of a shared service. `make bench-serve` runs it.

Usage: python -m <package>.util.bench_serve --url http://127.0.0.1:5001/score [--requests 300]
       [--concurrency 4] [--max-seconds 60] [--docs docs/local_loop.md]
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
BEGIN, END = "<!-- bench-serve -->", "<!-- /bench-serve -->"


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


def write_docs(path: Path, result: LoadResult, concurrency: int, workers: str) -> None:
    """Replace the text between the bench-serve markers of `path` with this run's figures."""
    text = path.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        raise ValueError(f"{path} has no {BEGIN} ... {END} section to write the figures into")
    figures = (
        f"{BEGIN}\nLast `make bench-serve` ({time.strftime('%Y-%m-%d')}, {platform.machine()} "
        f"{platform.system()}, Python {platform.python_version()}, {workers} server workers, "
        f"{concurrency} client threads): {result.summary()}.\n{END}"
    )
    head, rest = text.split(BEGIN, 1)
    path.write_text(head + figures + rest.split(END, 1)[1], encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--max-seconds", type=float, default=60.0)
    parser.add_argument("--workers", default="?", help="the server's worker count, for the record")
    parser.add_argument("--docs", type=Path, help="Markdown file whose bench-serve section gets the figures")
    args = parser.parse_args(argv)
    try:
        result = run_load(args.url, args.requests, args.concurrency, args.max_seconds)
    except ValueError as error:
        parser.error(str(error))
    print(result.summary())
    if set(result.statuses) != {200}:
        print("Some requests failed: see the statuses above (0 means no answer)")
        return 1
    if args.docs:
        write_docs(args.docs, result, args.concurrency, args.workers)
        print(f"Wrote the figures to {args.docs}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
