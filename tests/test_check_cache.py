"""The check cache: keyed by the versions of the tools a check runs, never caching a missing tool."""

from __future__ import annotations

from pathlib import Path

from mlops_scaffold import checks
from mlops_scaffold.checks import Finding, cache_file, reads, run_checks, uses
from mlops_scaffold.checks import tools as check_tools


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "a.sh").write_text("echo hi\n")
    return project


@reads("*.sh")
@uses("no-such-tool-for-mlops-scaffold")
def needs_a_missing_tool(project: Path) -> list[Finding]:
    return [Finding(".", None, "no-such-tool is not installed: the scripts were not linted")]


@reads("*.sh")
@uses("shellcheck")
def lints_shell(project: Path) -> list[Finding]:
    return []


def test_a_missing_tools_finding_is_never_cached(tmp_path):
    project, cache = _project(tmp_path), tmp_path / "cache"
    assert check_tools.tool_version("no-such-tool-for-mlops-scaffold") is None
    assert cache_file(needs_a_missing_tool, project, cache) is None
    assert [f.message for f in run_checks(project, [needs_a_missing_tool], cache_dir=cache)] == [
        "no-such-tool is not installed: the scripts were not linted"
    ]
    assert not cache.exists() or not any(cache.iterdir())


def test_the_cache_key_changes_with_the_tools_version(tmp_path, monkeypatch):
    project, cache = _project(tmp_path), tmp_path / "cache"
    monkeypatch.setattr(checks, "tool_version", lambda tool: "ShellCheck 0.9.0")
    before = cache_file(lints_shell, project, cache)
    monkeypatch.setattr(checks, "tool_version", lambda tool: "ShellCheck 0.10.0")
    after = cache_file(lints_shell, project, cache)
    assert before is not None and after is not None and before != after
    monkeypatch.setattr(checks, "tool_version", lambda tool: None)
    assert cache_file(lints_shell, project, cache) is None


def test_real_tools_have_versions():
    assert check_tools.tool_version("ruff")  # this interpreter's ruff, a dev dependency
    assert check_tools.tool_version("check-jsonschema")
