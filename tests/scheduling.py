"""The order in which pytest-xdist hands out test modules: longest first, so a suite ends together.

`make test` and `make check` run `-n 2 --dist loadscope --no-loadscope-reorder`: each module goes
whole to one worker, in the order collected. xdist's own reorder (by number of tests) put modules
with few, long tests last, where one of them ran alone at the end (163 s of one idle core in a
`make test` of 2026-12-02). Here modules go longest first (the classic longest-processing-time
rule): a module weighs the seconds `test_durations.json` records for the test functions this run
selected (all their parametrizations), so in `make check` a module's slow tests weigh nothing.
Modules no run has recorded follow by their marks (the matrix, then `slow`, then `venv`). The file
only orders work: a stale or missing entry never changes a result, only how well the two workers
finish together.
`pytest --record-durations=PATH` writes a fresh one.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path

import pytest

DURATIONS = Path(__file__).with_name("test_durations.json")
MARK_RANKS = ("matrix", "slow", "venv")  # modules with any of these marks go first, in this order


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--record-durations",
        metavar="PATH",
        help="write each test function's seconds (setup, call and teardown of all its parametrizations) "
        "to PATH as JSON, merged into what PATH holds (tests/test_durations.json orders the modules)",
    )


def recorded_durations(path: Path = DURATIONS) -> dict[str, float]:
    try:
        return {str(function): float(seconds) for function, seconds in json.loads(path.read_text()).items()}
    except (OSError, ValueError, AttributeError):
        return {}


def module_of(nodeid: str) -> str:
    return nodeid.split("::")[0]


def function_of(nodeid: str) -> str:
    """`tests/test_x.py::test_y[param]` -> `tests/test_x.py::test_y`: one entry for all parametrizations."""
    return nodeid.split("[")[0]


def schedule(items: list[pytest.Item], durations: dict[str, float]) -> None:
    """Sort `items` (the tests this run selected) in place by module: the recorded seconds of its
    selected test functions (longest first), then its mark rank (what orders modules no run has
    recorded yet), then the collection order; a module's own tests keep their order and stay together."""
    rank: dict[str, int] = {}
    first_seen: dict[str, int] = {}
    functions: dict[str, set[str]] = defaultdict(set)
    for position, item in enumerate(items):
        module = module_of(item.nodeid)
        mark = next((index for index, name in enumerate(MARK_RANKS) if item.get_closest_marker(name)), len(MARK_RANKS))
        rank[module] = min(mark, rank.get(module, mark))
        first_seen.setdefault(module, position)
        functions[module].add(function_of(item.nodeid))
    # fsum: exact whatever the order a set of names is walked in, which differs between processes
    # (hash randomization), so both xdist workers sort alike even when two modules weigh alike
    seconds = {
        module: math.fsum(durations.get(function, 0.0) for function in names) for module, names in functions.items()
    }
    order = {module: (-seconds[module], rank[module], first_seen[module]) for module in rank}
    items.sort(key=lambda item: order[module_of(item.nodeid)])


@pytest.hookimpl(trylast=True)  # after conftest marks the tests that need the project venv
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    schedule(items, recorded_durations())


class _Recorder:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.seconds: dict[str, float] = defaultdict(float)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.seconds[function_of(report.nodeid)] += report.duration

    def pytest_sessionfinish(self) -> None:
        fresh = {function: round(seconds, 1) for function, seconds in self.seconds.items()}
        merged = recorded_durations(self.path) | fresh
        self.path.write_text(json.dumps(dict(sorted(merged.items())), indent=2) + "\n")


def pytest_configure(config: pytest.Config) -> None:
    path = config.getoption("--record-durations")
    # With xdist, the controller receives every worker's reports: it alone records.
    if path and not hasattr(config, "workerinput"):
        config.pluginmanager.register(_Recorder(Path(path)), "durations-recorder")
