"""`mlops-scaffold new` writes only into a new or empty folder, or over one with --overwrite that
lists every file it replaced (issue 15). Before: a 95-line traceback and a stray requirements.txt
in a non-empty folder, "Overwrite Makefile? [Y/n]" on a terminal, 40-line tracebacks for a file
or unwritable destination."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlops_scaffold import cli


def _new(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mlops_scaffold.cli", "new", *args],
        capture_output=True,
        text=True,
        input=stdin,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )


def _tree(folder: Path) -> dict[str, str]:
    return {str(path.relative_to(folder)): path.read_text() for path in sorted(folder.rglob("*")) if path.is_file()}


def _assert_one_line(result: subprocess.CompletedProcess, *expected: str) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("interactive", [False, True], ids=["defaults", "interactive"])
def test_a_non_empty_folder_is_refused_and_left_untouched(tmp_path, interactive):
    dest = tmp_path / "mine"
    dest.mkdir()
    (dest / "Makefile").write_text("my own targets\n")
    (dest / "notes.txt").write_text("keep\n")
    args = [str(dest)] if interactive else [str(dest), "--defaults"]
    # Interactive with input "y" everywhere: copier's Overwrite prompt would take it; we never ask.
    result = _new(*args, stdin="y\n" * 50)
    _assert_one_line(result, str(dest), "not empty", "--overwrite")
    assert _tree(dest) == {"Makefile": "my own targets\n", "notes.txt": "keep\n"}


def test_an_empty_folder_is_fine(tmp_path, template_snapshot):
    dest = tmp_path / "empty"
    dest.mkdir()
    assert cli.main(["new", str(dest), "--defaults", "--template", str(template_snapshot)]) == 0
    assert (dest / "Makefile").is_file()


def test_a_file_is_refused(tmp_path):
    target = tmp_path / "a-file"
    target.write_text("x")
    _assert_one_line(_new(str(target), "--defaults"), "not a folder")
    assert target.read_text() == "x"


def test_a_path_under_a_file_is_refused(tmp_path):
    target = tmp_path / "a-file"
    target.write_text("x")
    _assert_one_line(_new(str(target / "project"), "--defaults"), "is not a folder")


def test_an_unwritable_destination_is_one_line(tmp_path):
    # /sys refuses mkdir even to root (a chmod-ed folder would not stop root).
    result = _new("/sys/mlops-scaffold-test", "--defaults")
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("mlops-scaffold: /sys/mlops-scaffold-test")
    assert not Path("/sys/mlops-scaffold-test").exists()


def test_an_unwritable_parent_is_refused_before_copier(tmp_path, monkeypatch, capsys):
    dest = tmp_path / "locked" / "project"
    dest.parent.mkdir()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != dest.parent and real_access(path, mode))
    assert cli.main(["new", str(dest), "--defaults"]) == 2
    assert capsys.readouterr().err == f"mlops-scaffold: {dest}: {dest.parent} is not writable\n"
    assert not dest.exists()


def test_overwrite_lists_every_file_it_replaced(tmp_path, template_snapshot, capsys):
    dest = tmp_path / "mine"
    dest.mkdir()
    (dest / "Makefile").write_text("my own targets\n")
    (dest / "notes.txt").write_text("keep\n")
    assert cli.main(["new", str(dest), "--defaults", "--overwrite", "--template", str(template_snapshot)]) == 0
    error = capsys.readouterr().err
    assert "--overwrite replaced 1 existing file(s) with the template's version: Makefile" in error
    assert (dest / "notes.txt").read_text() == "keep\n"
    assert (dest / "Makefile").read_text() != "my own targets\n"


def test_no_terminal_and_no_defaults_is_one_line_and_writes_nothing(tmp_path):
    """Without --defaults copier would ask on a terminal; with none it raised a traceback (exit 1)."""
    dest = tmp_path / "project"
    _assert_one_line(_new(str(dest), stdin=""), "no terminal to ask the questions on")
    assert not dest.exists()
