"""What copier does silently in an update, made a conflict to deal with:
- a template change to a file the user deleted, renamed or replaced by a symlink is not applied;
  we save it beside the file as `<file>.template.diff` (like a `.rej`);
- a file the template no longer renders (an answer changed: `environments=dev_prod` drops the
  single workspace's IaC inputs) is deleted even when the user had edited it; we save the user's
  version as `<file>.yours`.
Both come from rendering the template before and after (with the answers before and after); the
update lists each as a conflict until the user has dealt with it.
"""

from __future__ import annotations

import difflib
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from mlops_scaffold.lifecycle.gitutil import Conflict
from mlops_scaffold.project_files import iter_files

SUFFIX = ".template.diff"
YOURS = ".yours"  # the user's edited version of a file the template stopped rendering


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


def renderings(
    source: str, old: tuple[str, Mapping[str, Any]], new: tuple[str, Mapping[str, Any]]
) -> tuple[dict[str, str], dict[str, str]]:
    """{file: text} the template renders at each (version, answers)."""
    with tempfile.TemporaryDirectory(prefix="mlops-scaffold-update.") as scratch:
        before = _render(source, old[0], old[1], Path(scratch) / "old")
        return before, _render(source, new[0], new[1], Path(scratch) / "new")


def template_changes(before: Mapping[str, str], after: Mapping[str, str], old_ref: str, new_ref: str) -> dict[str, str]:
    """{file: unified diff} of every file both renderings hold, with different content."""
    return {
        name: "".join(
            difflib.unified_diff(
                before[name].splitlines(keepends=True),
                after[name].splitlines(keepends=True),
                f"a/{name} (template {old_ref})",
                f"b/{name} (template {new_ref})",
            )
        )
        for name in sorted(before.keys() & after.keys())
        if before[name] != after[name]
    }


def save_removed_edits(
    project: Path,
    before: Mapping[str, str],
    after: Mapping[str, str],
    committed: Callable[[str], str | None],
    changed: Iterable[str],
) -> list[Conflict]:
    """For each file the template rendered before but not after, gone from `project` now, whose
    committed text (`committed(name)`) the user had changed: write that text to `<file>.yours`,
    unless one of the `changed` files now holds every line the user added (a rename migration
    carried the edits to the file's new name)."""
    saved = []
    for name in sorted(before.keys() - after.keys()):
        target = project / name
        text = committed(name)
        if target.exists() or text is None or text == before[name]:
            continue
        added = {line.strip() for line in text.splitlines()} - {line.strip() for line in before[name].splitlines()}
        added.discard("")
        if added and any(_holds(project / other, added) for other in changed if other != name):
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        (target.parent / (target.name + YOURS)).write_text(text, encoding="utf-8")
        saved.append(Conflict(name, "removed"))
    return saved


def _holds(path: Path, lines: set[str]) -> bool:
    try:
        present = {line.strip() for line in path.read_text(encoding="utf-8").splitlines()}
    except (OSError, UnicodeDecodeError):
        return False
    return lines <= present


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
