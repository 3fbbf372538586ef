"""The deployment targets are the modules of mlops_scaffold/targets/ (ADR 0019): the package finds
them by itself, in their ORDER, and no other module of the package names a target."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

from conftest import REPO_ROOT

from mlops_scaffold import targets
from mlops_scaffold.options import DEPLOYMENT_TARGETS, QUESTIONS_BY_NAME
from mlops_scaffold.traits.values import TRAITS, target_rows

PACKAGE = REPO_ROOT / "src" / "mlops_scaffold"
TARGETS_DIR = PACKAGE / "targets"


def test_the_package_finds_every_module_in_order() -> None:
    files = {path.stem for path in TARGETS_DIR.glob("*.py") if not path.name.startswith("_")}
    assert set(targets.values()) == files
    assert targets.values() == ("aci", "aks", "webapp", "online_endpoint")  # copier's choice order
    orders = [module.ORDER for module in targets.modules()]
    assert orders == sorted(orders) and len(set(orders)) == len(orders)
    assert DEPLOYMENT_TARGETS == targets.values() == QUESTIONS_BY_NAME["deployment_targets"].choices
    assert tuple(target_rows()) == targets.values()
    assert all(
        TRAITS[("deployment_targets", value)] is module.TRAITS
        for value, module in zip(targets.values(), targets.modules(), strict=True)
    )


def _scratch_package(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    shutil.copytree(PACKAGE, src / "mlops_scaffold", ignore=shutil.ignore_patterns("__pycache__"))
    return src


def _in(src: Path, code: str) -> str:
    env = {"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-c", code], env=env, text=True, capture_output=True, check=True).stdout


def test_a_module_dropped_in_is_a_target_in_its_place(tmp_path: Path) -> None:
    src = _scratch_package(tmp_path)
    (src / "mlops_scaffold/targets/dropped.py").write_text(
        "from mlops_scaffold.model import SERVES, Traits\n\n"
        "ORDER = 15\n"
        'TRAITS = Traits(("dropped",), flags=frozenset({SERVES}), title="the dropped target")\n',
        encoding="utf-8",
    )
    (src / "mlops_scaffold/targets/_helper.py").write_text("ORDER = 0\n", encoding="utf-8")  # not a target
    out = _in(
        src,
        "from mlops_scaffold.options import DEPLOYMENT_TARGETS\n"
        "from mlops_scaffold.traits.values import target_rows\n"
        "print(','.join(DEPLOYMENT_TARGETS)); print(','.join(target_rows()))",
    )
    expected = "aci,dropped,aks,webapp,online_endpoint"
    assert out.splitlines() == [expected, expected]


def _target_words() -> dict[str, re.Pattern[str]]:
    """Per target: its value (also with spaces) and the vocabulary words no other target shares."""
    shared = Counter(word.lower() for module in targets.modules() for word in set(module.TRAITS.vocabulary))
    patterns = {}
    for module in targets.modules():
        value = targets.value(module)
        words = {value, value.replace("_", " ")}
        words |= {word for word in module.TRAITS.vocabulary if shared[word.lower()] == 1}
        alternatives = "|".join(re.escape(word) for word in sorted(words))
        patterns[value] = re.compile(rf"(?<![a-z0-9])(?:{alternatives})(?![a-z0-9])", re.IGNORECASE)
    return patterns


def target_literals(package: Path) -> list[str]:
    """`path:line: target` for every line of the package outside targets/ that names a target."""
    patterns = _target_words()
    hits = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package)
        if relative.parts[0] == "targets":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            hits.extend(f"{relative}:{number}: {value}" for value, pattern in patterns.items() if pattern.search(line))
    return hits


def test_no_module_outside_targets_names_a_target() -> None:
    assert target_literals(PACKAGE) == []


def test_the_scan_finds_a_planted_literal(tmp_path: Path) -> None:
    """The check above can fail: a target's name planted in a central module is reported."""
    src = _scratch_package(tmp_path)
    package = src / "mlops_scaffold"
    options = package / "options.py"
    options.write_text(options.read_text(encoding="utf-8") + '\nLEGACY = ("web app", "Kubernetes")\n', "utf-8")
    line = len(options.read_text(encoding="utf-8").splitlines())
    assert target_literals(package) == [f"options.py:{line}: aks", f"options.py:{line}: webapp"]
