"""`Project`: each file of a rendering read once and parsed once for all the checks; and the checks
that declare the files they read (so the matrix caches them by those files) read no others."""

from __future__ import annotations

import fnmatch
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from mlops_scaffold.checks import ALL_CHECKS, Finding, reads
from mlops_scaffold.project_files import Project, iter_files, read_text


def _tree(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    (project / "docs").mkdir(parents=True)
    (project / "a.yml").write_text("a: 1\n")
    (project / "bad.yml").write_text("a: [\n")
    (project / "crlf.md").write_bytes(b"one\r\ntwo\rthree\n")
    (project / "blob.bin").write_bytes(b"\xff\xfe\x00")
    (project / "docs" / "x.md").write_text("x\n")
    return project


def test_a_file_is_read_once_within_an_opened_project(tmp_path):
    project = _tree(tmp_path)
    with Project.opened(project) as opened:
        assert Project.of(project) is opened
        assert opened.yaml("a.yml") == {"a": 1}
        (project / "a.yml").write_text("a: 2\n")  # not seen again: one reading per run of the checks
        assert opened.yaml("a.yml") == {"a": 1} and read_text(project / "a.yml") == "a: 1\n"
        assert list(iter_files(project)) is not None and opened.files() == list(iter_files(project))
    assert Project.of(project) is not opened  # outside the block: a fresh reading
    assert Project.of(project).yaml("a.yml") == {"a": 2}


def test_texts_read_as_path_read_text_reads_them_and_parse_errors_repeat(tmp_path):
    project = _tree(tmp_path)
    opened = Project(project)
    assert opened.text("crlf.md") == (project / "crlf.md").read_text(encoding="utf-8") == "one\ntwo\nthree\n"
    assert opened.text("blob.bin") is None
    for _ in range(2):  # the cached parse gives the parser's own error each time
        with pytest.raises(yaml.YAMLError):
            opened.yaml("bad.yml")
    with pytest.raises(FileNotFoundError):
        opened.text("missing.yml")
    assert [path.name for path in opened.glob("docs/*.md")] == ["x.md"]


def _opened_files(check: Callable[[Path], list[Finding]], project: Path) -> set[str]:
    """The project's files that `check` opens, recorded by an audit hook (only while it runs)."""
    opened: set[str] = set()
    active = [True]
    root = str(project.resolve())

    def hook(event: str, args: tuple) -> None:
        if active[0] and event == "open" and isinstance(args[0], str | Path):
            path = str(Path(args[0]).resolve()) if not str(args[0]).startswith(root) else str(args[0])
            if path.startswith(root + "/"):
                opened.add(path[len(root) + 1 :])

    sys.addaudithook(hook)  # an audit hook cannot be removed: `active` switches it off
    try:
        check(project)
    finally:
        active[0] = False
    return opened


def _undeclared(check: Callable[[Path], list[Finding]], project: Path) -> list[str]:
    patterns = check.reads  # type: ignore[attr-defined]
    return sorted(
        path
        for path in _opened_files(check, project)
        if not any(fnmatch.fnmatch(path, pattern.replace("**/", "*").replace("/**", "/*")) for pattern in patterns)
        and not any(Path(path).match(pattern) for pattern in patterns)
    )


@reads("*.sh")
def reads_more_than_it_declares(project: Path) -> list[Finding]:
    return [Finding("README.md", None, text) for text in [(project / "README.md").read_text()] if "never" in text]


def test_the_declared_reads_check_catches_an_undeclared_read(render):
    assert _undeclared(reads_more_than_it_declares, render()) == ["README.md"]


@pytest.mark.parametrize(
    "overrides",
    [
        {"deployment_targets": ["aci", "aks", "webapp", "online_endpoint"], "canary_release": True},
        {"iac": "terraform", "ci_platform": "github_actions", "r_training": "databricks"},
    ],
    ids=["arm-azure_devops-every-target", "terraform-github_actions-databricks"],
)
def test_checks_read_only_the_files_they_declare(render, overrides):
    """A cached check that read an undeclared file would keep a stale verdict when that file changes."""
    project = render(**overrides)
    undeclared = {
        check.__name__: _undeclared(check, project)
        for check in ALL_CHECKS
        if hasattr(check, "reads") and not hasattr(check, "cache_key")
    }
    assert {name: files for name, files in undeclared.items() if files} == {}
