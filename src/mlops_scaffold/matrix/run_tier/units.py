"""The runs of one combination: its generated tests, in groups, and its local loop.

The groups split what changes with the options from what does not. A test module that some
rendering leaves out belongs to an option (traits/paths.py, OPTIONAL_PATHS): it is a unit of its
own (`ml_service <option>`, `ml <option module>`), run once per distinct rendering of that option rather than
once per combination. The rest are the two core units, the ML package's tests and the ml_service
core tests, which read no option's files and so run once per environment (run_tier/sharing.py
checks that). The split only decides what can be shared: a run is still keyed by what it was
recorded reading, so a core test that starts reading an option's file stays correct, only less
shared.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import PurePosixPath

from mlops_scaffold.matrix.run_tier.index import LOCAL_LOOP, VENV_PLACEHOLDER
from mlops_scaffold.traits.paths import OPTIONAL_PATHS

PYTEST = ("python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=-ra")


@dataclass(frozen=True)
class Unit:
    name: str
    command: tuple[str, ...]  # run in the project with the venv's bin first on PATH
    not_collected: frozenset[str] = frozenset()  # test modules of the other units

    def describe(self) -> str:
        return " ".join(self.command)


ML_TESTS, ML_SERVICE_CORE = "ml tests", "ml_service core tests"
CORE_UNITS = (ML_TESTS, ML_SERVICE_CORE)  # the same in every rendering: one run per environment


@functools.cache  # units_for runs once per combination; the table is fixed
def _optional_test_modules() -> frozenset[str]:
    """The test modules some rendering leaves out: each belongs to an option (traits/paths.py)."""
    return frozenset(entry.path for entry in OPTIONAL_PATHS if entry.path.startswith("tests/test_"))


def _group(path: str, optional: frozenset[str]) -> str:
    """The unit of a test module: an option's module alone (it reads that option's code and data,
    so it runs once per distinct rendering of that option rather than once per combination), or
    one of the two core units, the ML package's tests and the ml_service tests."""
    name = PurePosixPath(path).name.removesuffix(".py")
    service = name.startswith("test_ml_service_")
    if path in optional:
        return f"ml_service {name.removeprefix('test_ml_service_')}" if service else f"ml {name.removeprefix('test_')}"
    return ML_SERVICE_CORE if service else ML_TESTS


def _tests(index: dict[str, str]) -> list[str]:
    return sorted(
        path
        for path in index
        if PurePosixPath(path).parent.as_posix() == "tests"
        and PurePosixPath(path).name.startswith("test_")
        and path.endswith(".py")
    )


def units_for(index: dict[str, str]) -> list[Unit]:
    units = []
    every_test = frozenset(_tests(index))
    optional = _optional_test_modules()
    groups: dict[str, list[str]] = {}
    for path in sorted(every_test):
        groups.setdefault(_group(path, optional), []).append(path)
    for name in sorted(groups, key=lambda group: (group != ML_TESTS, group != ML_SERVICE_CORE, group)):
        tests = groups[name]
        units.append(Unit(name, (*PYTEST, *tests), every_test - set(tests)))
    if LOCAL_LOOP in index:
        targets = index[LOCAL_LOOP].split()
        units.append(Unit("local loop", ("make", *targets, f"VENV={VENV_PLACEHOLDER}", "BUILD_ID=matrix")))
    return units
