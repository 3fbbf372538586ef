"""The real scoring server (azmlinfsrv, two workers) on loopback: malformed requests get only 4xx,
a bounded load gets only 200s, and the bench-serve figures land in their JSON file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from diabetes_regression.util import bench_serve

ROW = list(range(1, 11))
MALFORMED = [
    b"",
    b"not json",
    b"[" * 100_000 + b"]" * 100_000,
    b'{"data": [[1, 2, 3, 4, 5, 6, 7, 8, 9, 1000000000000000000000000000000]]}',
    b'{"data": [[1, 2, 3, 4, 5, 6, 7, 8, 9, NaN]]}',
    b'{"data": [[1, 2, 3, 4, 5, 6, 7, 8, 9, 1e400]]}',
    b'{"data": [[1, 2, 3, 4, 5, 6, 7, 8, 9, "ten"]]}',
    b'{"data": [[1, 2, 3]]}',
    b'{"data": "rows"}',
    b"\xff\xfe\x00",
    json.dumps({"data": [ROW] * 120_000}).encode(),  # about 4 MB: over the 1 MiB limit
]


@pytest.fixture
def server(scoring_server: tuple[str, Path]) -> str:
    return scoring_server[0]


@pytest.mark.parametrize("body", MALFORMED, ids=range(len(MALFORMED)))
def test_malformed_requests_get_a_4xx(server: str, body: bytes) -> None:
    status = bench_serve.send(server, body, timeout=30)
    assert 400 <= status < 500, f"{body[:60]!r} got {status}"


def test_a_body_over_the_limit_gets_413(server: str) -> None:
    assert bench_serve.send(server, MALFORMED[-1], timeout=30) == 413


def test_a_bounded_load_gets_only_200s(server: str) -> None:
    result = bench_serve.run_load(server, requests=60, concurrency=4, max_seconds=60)
    assert result.statuses == {200: len(result.latencies)}
    assert len(result.latencies) == 60
    assert result.percentile(0.5) <= result.percentile(0.99)


def test_the_load_test_refuses_a_remote_url() -> None:
    with pytest.raises(ValueError, match="not on this machine"):
        bench_serve.run_load("http://example.com/score", requests=1, concurrency=1, max_seconds=1)


def test_figures_are_written_to_their_json_file(tmp_path: Path) -> None:
    output = tmp_path / "outputs" / "bench_serve.json"
    result = bench_serve.LoadResult(seconds=2.0, latencies=[0.01, 0.02, 0.03, 0.04], statuses={200: 4})
    bench_serve.write_figures(output, result, concurrency=4, workers="2")
    figures = json.loads(output.read_text())
    assert (figures["requests_per_second"], figures["p50_ms"], figures["p99_ms"]) == (2.0, 20.0, 40.0)
    assert figures["statuses"] == {"200": 4} and figures["server_workers"] == "2"
