"""The per-text memos of the whole-project checks (the matrix checks the same file text in many
combinations, so each text is parsed or scanned once per process): a memo never carries one
project's verdict, or one file's path, over to another."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from mlops_scaffold.checks import answers, leaks, rendering

CHECKS = (rendering.python_compiles, rendering.leftover_jinja, answers.answers_escaped, leaks.unchosen_options)
SCRIPT = "environment_setup/create-variable-group.sh"


def _findings(project: Path) -> list[str]:
    return sorted(f"{finding.path}:{finding.message.split(':')[0]}" for check in CHECKS for finding in check(project))


def _break(project: Path) -> None:
    """One defect per check, each in a file the clean project also has."""
    (project / "ml_service" / "settings.py").write_text("def broken(:\n")
    readme = project / "README.md"
    readme.write_text(readme.read_text() + "\n{{ leftover }}\n")
    config = project / "ml_service" / "variables" / "core.json"
    config.write_text(config.read_text() + "}")
    script = project / SCRIPT
    script.write_text(script.read_text() + "\nif true; then\n")
    (project / "docs" / "notes.md").write_text("We deploy to Azure Kubernetes Service.\n")


def test_a_memo_keeps_each_projects_verdict_and_each_files_path(render: Callable[..., Path], tmp_path: Path) -> None:
    clean = render(deployment_targets=["aci"], batch_scoring=False)
    assert _findings(clean) == []  # warms every memo with the clean texts
    broken = tmp_path / "broken"
    shutil.copytree(clean, broken, symlinks=True)
    _break(broken)
    found = _findings(broken)
    assert [line.split(":")[0] for line in found] == [
        "README.md",
        "docs/notes.md",
        SCRIPT,
        "ml_service/settings.py",
        "ml_service/variables/core.json",
    ], found
    # The same broken texts under other names: found again, each under its own path.
    moved = tmp_path / "moved"
    shutil.copytree(broken, moved, symlinks=True)
    (moved / "ml_service" / "settings.py").rename(moved / "ml_service" / "settings_copy.py")
    (moved / "ml_service" / "settings.py").write_text((clean / "ml_service" / "settings.py").read_text())
    assert "ml_service/settings_copy.py:does not compile" in _findings(moved)
    assert "ml_service/settings.py:does not compile" not in _findings(moved)
    assert _findings(clean) == []  # and the clean project is still clean
