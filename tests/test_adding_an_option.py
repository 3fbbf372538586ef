"""docs/adding-an-option.md, followed step by step: a synthetic deployment target added to a
scratch copy of the template and package, through the documented steps only, passes the render
tier (render, manifest, every check) on combinations that choose it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT

from mlops_scaffold import targets
from mlops_scaffold.checks.iac_schema.locate import AZURERM_VENV, arm_schema_dir
from mlops_scaffold.options import DEPLOYMENT_TARGETS

DOC = REPO_ROOT / "docs" / "adding-an-option.md"
VALUE = "synthetic"

MODULE = '''"""Deploy the model to the synthetic target, a stand-in that records what it would serve.

Usage: python -m ml_service.deploy.synthetic --model-json model.json
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ml_service.deploy.model import RegisteredModel
from ml_service.settings import Settings


def release_request(settings: Settings, model: RegisteredModel) -> dict[str, Any]:
    """The REST request that would serve `model`."""
    return {"method": "PUT", "path": f"/synthetic/{settings.model_name}", "body": {"model": model.reference}}


def dry_run(settings: Settings, model: RegisteredModel) -> Iterator[tuple[str, Any]]:
    yield "synthetic/release.json", release_request(settings, model)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model-json", type=Path, required=True)
    args = parser.parse_args(argv)
    model = json.loads(args.model_json.read_text(encoding="utf-8"))
    print(f"synthetic: would serve {model}")


if __name__ == "__main__":
    main()
'''


def step_target_module(root: Path) -> None:
    """The target's module, placed after the existing targets; nothing else in the package changes."""
    order = max(module.ORDER for module in targets.modules()) + 10
    (root / f"src/mlops_scaffold/targets/{VALUE}.py").write_text(
        f'''"""The {VALUE} target: a stand-in that records what it would serve."""

from mlops_scaffold.model import SERVES, Traits

ORDER = {order}

TRAITS = Traits(
    ("{VALUE}",),
    flags=frozenset({{SERVES}}),
    files=("ml_service/deploy/{VALUE}.py",),
    title="the {VALUE} target",
)
''',
        encoding="utf-8",
    )


def step_module(root: Path) -> None:
    (root / f"template/ml_service/deploy/{VALUE}.py").write_text(MODULE, encoding="utf-8")


def _python(root: Path, *args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    # The scratch copy has no reference schemas beside it nor tool caches inside: use the checkout's.
    schemas = arm_schema_dir()
    if schemas is not None:
        env.setdefault("MLOPS_SCAFFOLD_ARM_SCHEMAS", str(schemas))
    env.setdefault("MLOPS_SCAFFOLD_AZURERM_VENV", str(AZURERM_VENV))
    return subprocess.run([sys.executable, *args], cwd=root, env=env, text=True, capture_output=True, **kwargs)


def step_copier_yml(root: Path) -> None:
    result = _python(root, "-m", "mlops_scaffold.copier_yml", check=True)
    (root / "copier.yml").write_text(result.stdout, encoding="utf-8")


# The steps of docs/adding-an-option.md, in order, with the file each one names.
STEPS = (
    ("src/mlops_scaffold/targets/<value>.py", step_target_module),
    ("template/ml_service/deploy/<value>.py", step_module),
    ("make copier-yml", step_copier_yml),
)


def test_the_doc_lists_exactly_these_steps() -> None:
    """Each numbered step of the doc names, in bold, what the matching step here edits or runs."""
    text = DOC.read_text(encoding="utf-8").split("## Then,", 1)[0]
    named = re.findall(r"^\d+\. \*\*`([^`]+)`\*\*", text, re.MULTILINE)
    assert named == [name for name, _ in STEPS]


def _scratch(tmp_path: Path) -> Path:
    """The tracked files of the checkout (working-tree content), without git."""
    root = tmp_path / "checkout"
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO_ROOT, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = REPO_ROOT / name
        if source.is_file():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, root / name)
    return root


def _choosing(root: Path) -> list[str]:
    """A few combinations choosing the value, across CI platforms, IaC, canary and other targets."""
    listed = _python(root, "-m", "mlops_scaffold.cli", "matrix", "--list", check=True).stdout.splitlines()[1:]
    ids = [line.split()[0] for line in listed if VALUE in line]
    wanted = (
        rf"^ado-arm-{VALUE}-nobatch",
        rf"^gha-terraform-aci\+{VALUE}-batch",
        rf"^ado-terraform-aks\+online_endpoint\+{VALUE}-canary",
        rf"^gha-arm-(?:[a-z_]+\+){{{len(DEPLOYMENT_TARGETS)}}}{VALUE}-",  # every target
    )
    chosen = [next(i for i in ids if re.search(pattern, i)) for pattern in wanted]
    return chosen


@pytest.mark.slow
def test_a_synthetic_target_added_by_the_doc_passes_the_render_tier(tmp_path: Path) -> None:
    root = _scratch(tmp_path)
    for _, step in STEPS:
        step(root)
    ids = _choosing(root)
    report = tmp_path / "report.json"
    result = _python(
        root,
        "-m",
        "mlops_scaffold.cli",
        "matrix",
        "--run",
        "--render-only",
        "--jobs",
        "1",
        "--only",
        ",".join(ids),
        "--report",
        str(report),
        "--cache-dir",
        str(tmp_path / "check-cache"),
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    outcomes = json.loads(report.read_text(encoding="utf-8"))
    assert (outcomes["combinations"], outcomes["passed"], outcomes["failures"]) == (len(ids), len(ids), [])
    assert sorted(outcomes["ids"]) == sorted(ids)
