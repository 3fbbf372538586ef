"""The runs of one combination: its generated tests, in groups, and its local loop.

The groups split what changes with the options from what does not: the ML package's own tests and
the ml_service core tests (settings, training pipeline, the core dry run; they read ml_service's
core code and `ml_service/variables/core.json`, never an option's data) collapse to a few runs over
the whole matrix, and each option's test module (`tests/test_ml_service_<option>.py`, reading that
option's code and `ml_service/variables/<option>.json` only) is a unit of its own, run once per
distinct rendering of that option rather than once per combination. The split only decides what can be shared: a run is
still keyed by what it was recorded reading, so a core test that starts reading an option's file
stays correct, only less shared.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from mlops_scaffold.matrix.run_tier.index import LOCAL_LOOP, VENV_PLACEHOLDER

PYTEST = ("python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=-ra")


@dataclass(frozen=True)
class Unit:
    name: str
    command: tuple[str, ...]  # run in the project with the venv's bin first on PATH
    not_collected: frozenset[str] = frozenset()  # test modules of the other units

    def describe(self) -> str:
        return " ".join(self.command)


# The ml_service tests that use no option (the same text in every combination).
ML_SERVICE_CORE_TESTS = frozenset(
    {
        "tests/test_ml_service_base_image.py",
        "tests/test_ml_service_dry_run.py",
        "tests/test_ml_service_imports.py",
        "tests/test_ml_service_settings.py",
        "tests/test_ml_service_step_contract.py",
        "tests/test_ml_service_training.py",
    }
)
ML_TESTS, ML_SERVICE_CORE = "ml tests", "ml_service core tests"


def _group(path: str) -> str:
    """The unit of a test module: the ML tests, the ml_service core tests, or one option's module
    alone (it reads that option's code and data only, so it runs once per distinct option rendering
    rather than once per combination)."""
    name = PurePosixPath(path).name
    if not name.startswith("test_ml_service_"):
        return ML_TESTS
    if path in ML_SERVICE_CORE_TESTS:
        return ML_SERVICE_CORE
    return "ml_service " + name.removeprefix("test_ml_service_").removesuffix(".py")


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
    groups: dict[str, list[str]] = {}
    for path in sorted(every_test):
        groups.setdefault(_group(path), []).append(path)
    for name in sorted(groups, key=lambda group: (group != ML_TESTS, group != ML_SERVICE_CORE, group)):
        tests = groups[name]
        units.append(Unit(name, (*PYTEST, *tests), every_test - set(tests)))
    if LOCAL_LOOP in index:
        targets = index[LOCAL_LOOP].split()
        units.append(Unit("local loop", ("make", *targets, f"VENV={VENV_PLACEHOLDER}", "BUILD_ID=matrix")))
    return units
