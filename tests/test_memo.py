"""The slow tests' remembered passes (tests/memo.py, ADR 30): a pass on the same inputs is
remembered, a change or a failure runs the test again, and CI never skips."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
EXAMPLE = """
import os
from pathlib import Path


def test_on_an_input(memo):
    memo.unchanged(Path(os.environ["INPUT"]), "a tool 1.0")
    assert Path(os.environ["INPUT"]).read_text() != "broken"
"""


def _run(tmp_path: Path, content: str, **env: str) -> str:
    (tmp_path / "input.txt").write_text(content)
    environment = {key: value for key, value in os.environ.items() if key not in {"CI", "PYTEST_ADDOPTS"}}
    environment.update(
        INPUT=str(tmp_path / "input.txt"),
        MLOPS_SCAFFOLD_MEMO_DIR=str(tmp_path / "memo"),
        PYTHONPATH=str(TESTS),
        **env,
    )
    command = [sys.executable, "-m", "pytest", "-p", "memo", "-q", "-rs", "-p", "no:cacheprovider"]
    command += ["-o", "addopts=", str(tmp_path / "test_example.py")]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120, env=environment)
    return result.stdout.strip().splitlines()[-1].split(" in ")[0]


def test_a_pass_is_remembered_by_its_inputs_and_nothing_else_is(tmp_path: Path) -> None:
    (tmp_path / "test_example.py").write_text(EXAMPLE)
    assert _run(tmp_path, "one") == "1 passed"
    assert _run(tmp_path, "one").startswith("1 skipped")  # same inputs: remembered
    assert _run(tmp_path, "two") == "1 passed"  # another input: runs again
    assert _run(tmp_path, "broken") == "1 failed"
    assert _run(tmp_path, "broken") == "1 failed"  # a failure is never remembered
    assert _run(tmp_path, "one", CI="true") == "1 passed"  # CI runs everything
    assert _run(tmp_path, "one", MLOPS_SCAFFOLD_NO_MEMO="1") == "1 passed"
    (tmp_path / "test_example.py").write_text(EXAMPLE.replace("!=", "!= 'x' !="))
    assert _run(tmp_path, "one") == "1 passed"  # the test's own source is an input


def test_where_a_project_was_rendered_from_is_not_an_input(tmp_path: Path) -> None:
    from memo import digest

    one, two = tmp_path / "one", tmp_path / "two"
    for folder, source in ((one, "/tmp/a"), (two, "/tmp/b")):
        folder.mkdir()
        (folder / ".copier-answers.yml").write_text(f"_commit: v1\n_src_path: {source}\nbase_name: x\n")
    assert digest(one) == digest(two)
    (two / ".copier-answers.yml").write_text("_commit: v1\n_src_path: /tmp/b\nbase_name: y\n")
    assert digest(one) != digest(two)
