"""Template changes copier drops silently: to a file the user deleted, renamed or replaced by a
symlink, copier applies nothing and reports no conflict. We render the template before and after
(with the answers before and after), and for every file the template changed that is missing or a
symlink in the project, save the template's change beside it as `<file>.template.diff` (like a
`.rej`), so the update lists it as a conflict until the user has dealt with it.
"""

from __future__ import annotations

import difflib
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlops_scaffold.lifecycle.gitutil import Conflict
from mlops_scaffold.project_files import iter_files

SUFFIX = ".template.diff"


def _render(source: str, ref: str | None, answers: Mapping[str, Any], dest: Path) -> dict[str, str]:
    import copier

    public = {key: value for key, value in answers.items() if not key.startswith("_")}
    from mlops_scaffold.copier_compat import fast_rendering

    with fast_rendering():
        copier.run_copy(source, dest, data=public, vcs_ref=ref, defaults=True, quiet=True, unsafe=False)
    files = {}
    for path in iter_files(dest):
        if path.is_file() and not path.is_symlink():
            try:
                files[str(path.relative_to(dest))] = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue
    return files


def template_changes(
    source: str, old: tuple[str, Mapping[str, Any]], new: tuple[str, Mapping[str, Any]]
) -> dict[str, str]:
    """{file: unified diff} of every file both versions render, with different content."""
    with tempfile.TemporaryDirectory(prefix="mlops-scaffold-update.") as scratch:
        before = _render(source, old[0], old[1], Path(scratch) / "old")
        after = _render(source, new[0], new[1], Path(scratch) / "new")
    return {
        name: "".join(
            difflib.unified_diff(
                before[name].splitlines(keepends=True),
                after[name].splitlines(keepends=True),
                f"a/{name} (template {old[0]})",
                f"b/{name} (template {new[0]})",
            )
        )
        for name in sorted(before.keys() & after.keys())
        if before[name] != after[name]
    }


def save_dropped(project: Path, changes: Mapping[str, str]) -> list[Conflict]:
    """For each changed file that is missing or a symlink in `project`, write its .template.diff."""
    dropped = []
    for name, diff in changes.items():
        target = project / name
        if target.is_symlink() or not target.exists():
            kind = "symlink" if target.is_symlink() else "deleted"
            if target.parent.is_dir():
                (target.parent / (target.name + SUFFIX)).write_text(diff, encoding="utf-8")
            dropped.append(Conflict(name, kind))
    return dropped
