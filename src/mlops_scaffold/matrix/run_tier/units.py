"""The runs of one combination: its generated tests, in two groups, and its local loop.

The groups split what changes with the options (ml_service: deployment targets, batch scoring, R)
from what does not (the ML package's own tests), so the ML tests collapse to one run per Python
version while the Azure ML tests run once per distinct ml_service.
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


def _tests(index: dict[str, str], ml_service: bool) -> list[str]:
    return sorted(
        path
        for path in index
        if PurePosixPath(path).parent.as_posix() == "tests"
        and PurePosixPath(path).name.startswith("test_")
        and path.endswith(".py")
        and PurePosixPath(path).name.startswith("test_ml_service_") == ml_service
    )


def units_for(index: dict[str, str]) -> list[Unit]:
    units = []
    every_test = frozenset(_tests(index, False) + _tests(index, True))
    for name, ml_service in (("ml tests", False), ("ml_service tests", True)):
        tests = _tests(index, ml_service)
        if tests:
            units.append(Unit(name, (*PYTEST, *tests), every_test - set(tests)))
    if LOCAL_LOOP in index:
        targets = index[LOCAL_LOOP].split()
        units.append(Unit("local loop", ("make", *targets, f"VENV={VENV_PLACEHOLDER}", "BUILD_ID=matrix")))
    return units
