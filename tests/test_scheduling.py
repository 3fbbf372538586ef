"""The order xdist hands modules out (tests/scheduling.py): marks first, then recorded seconds."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from scheduling import DURATIONS, recorded_durations, schedule

TESTS = Path(__file__).parent


@dataclass
class Item:
    """What schedule() reads of a pytest item: its node id and marks."""

    nodeid: str
    marks: set[str] = field(default_factory=set)

    def get_closest_marker(self, name: str):
        return name if name in self.marks else None


def order(items: list[Item], durations: dict[str, float]) -> list[str]:
    schedule(items, durations)  # type: ignore[arg-type]
    return [item.nodeid for item in items]


def test_the_longest_recorded_module_first_then_marks() -> None:
    items = [
        Item("tests/test_a.py::one"),
        Item("tests/test_b.py::one"),
        Item("tests/test_slow.py::one", {"slow"}),
        Item("tests/test_a.py::two"),
        Item("tests/test_matrix.py::tier", {"matrix"}),
        Item("tests/test_c.py::one"),
    ]
    durations = {"tests/test_b.py::one": 30.0, "tests/test_c.py::one": 90.0, "tests/test_slow.py::one": 1.0}
    assert order(items, durations) == [
        "tests/test_c.py::one",
        "tests/test_b.py::one",
        "tests/test_slow.py::one",
        "tests/test_matrix.py::tier",  # not recorded: by marks, after the recorded ones
        "tests/test_a.py::one",  # its tests together, in their order
        "tests/test_a.py::two",
    ]


def test_with_nothing_recorded_the_marks_order() -> None:
    items = [
        Item("tests/test_a.py::one"),
        Item("tests/test_v.py::one", {"venv"}),
        Item("tests/test_m.py::t", {"matrix"}),
    ]
    items += [Item("tests/test_s.py::one", {"slow"})]
    assert order(items, {}) == [
        "tests/test_m.py::t",
        "tests/test_s.py::one",
        "tests/test_v.py::one",
        "tests/test_a.py::one",
    ]


def test_one_marked_test_ranks_its_whole_module() -> None:
    """A module stays in one piece: its unmarked tests go where its marked one goes."""
    items = [Item("tests/test_x.py::quick"), Item("tests/test_y.py::one"), Item("tests/test_x.py::venv", {"venv"})]
    assert order(items, {}) == ["tests/test_x.py::quick", "tests/test_x.py::venv", "tests/test_y.py::one"]


def test_a_module_weighs_only_its_selected_functions() -> None:
    """`make check` deselects slow tests: a module's slow function must not weigh in its order."""
    durations = {"tests/test_a.py::quick": 5.0, "tests/test_a.py::slow": 500.0, "tests/test_b.py::one": 50.0}
    selected = [Item("tests/test_a.py::quick"), Item("tests/test_b.py::one")]
    assert order(selected, durations) == ["tests/test_b.py::one", "tests/test_a.py::quick"]
    every_test = [*selected, Item("tests/test_a.py::slow", {"slow"})]
    assert order(every_test, durations)[:2] == ["tests/test_a.py::quick", "tests/test_a.py::slow"]


def test_parametrizations_share_their_functions_seconds() -> None:
    items = [Item("tests/test_a.py::one[x]"), Item("tests/test_b.py::one"), Item("tests/test_a.py::one[y]")]
    assert order(items, {"tests/test_a.py::one": 60.0, "tests/test_b.py::one": 40.0})[1] == "tests/test_a.py::one[y]"


def test_the_recorded_durations_name_existing_modules() -> None:
    durations = recorded_durations()
    assert len(durations) >= 10, f"{DURATIONS} is missing or nearly empty"
    modules = {function.split("::")[0] for function in durations}
    assert all((TESTS.parent / module).is_file() for module in modules), sorted(
        module for module in modules if not (TESTS.parent / module).is_file()
    )


def test_a_broken_durations_file_orders_by_marks_alone(tmp_path: Path) -> None:
    broken = tmp_path / "durations.json"
    broken.write_text("[not, json")
    assert recorded_durations(broken) == {}
    broken.write_text('["a list"]')
    assert recorded_durations(broken) == {}


def test_a_run_records_its_modules_seconds(tmp_path: Path) -> None:
    """--record-durations merges each test function's seconds into the file, from a real pytest run."""
    (tmp_path / "conftest.py").write_text(
        f"import sys\nsys.path.insert(0, {str(TESTS)!r})\npytest_plugins = ['scheduling']\n"
    )
    sleepy = (
        "import time\nimport pytest\n\n@pytest.mark.parametrize('n', [1, 2])\ndef test_one(n):\n    time.sleep(0.2)\n"
    )
    (tmp_path / "test_sleepy.py").write_text(sleepy)
    record = tmp_path / "recorded.json"
    record.write_text(json.dumps({"test_gone.py::test_old": 5.0}))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--record-durations={record}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    recorded = json.loads(record.read_text())
    assert recorded["test_gone.py::test_old"] == 5.0
    assert set(recorded) == {"test_gone.py::test_old", "test_sleepy.py::test_one"}
    assert recorded["test_sleepy.py::test_one"] == pytest.approx(0.4, abs=0.3)


def test_every_process_orders_alike_whatever_its_hash_seed() -> None:
    """xdist's workers must collect the same order. A module's seconds summed in the order of a set
    (which hash randomization changes per process) differ in the last bit: 0.1 + 0.2 + 0.3 is
    0.6000000000000001 one way and 0.6 another, enough to swap two modules that weigh the same."""
    program = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "from test_scheduling import Item, order\n"
        "items = [Item('tests/test_b.py::b'), Item('tests/test_a.py::a1'), Item('tests/test_a.py::a2'),"
        " Item('tests/test_a.py::a3')]\n"
        "durations = {'tests/test_b.py::b': 0.6, 'tests/test_a.py::a1': 0.1, 'tests/test_a.py::a2': 0.2,"
        " 'tests/test_a.py::a3': 0.3}\n"
        "print(order(items, durations)[0])\n"
    )
    firsts = {
        subprocess.run(
            [sys.executable, "-c", program, str(TESTS)],
            env={"PYTHONHASHSEED": str(seed), "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in range(12)
    }
    assert firsts == {"tests/test_b.py::b"}  # equal weights: the module collected first
