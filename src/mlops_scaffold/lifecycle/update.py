"""`mlops-scaffold update`: copier's update that never exits 0 over a conflict.

copier exits 0 while leaving conflict markers or `.rej` files behind; update_project runs the same
update, then looks for every kind of leftover conflict and reports each file, with the template
versions before and after and the CHANGELOG entries between them.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from copier.errors import CopierError

from mlops_scaffold.copier_compat import Worker, fast_rendering, raw_config
from mlops_scaffold.lifecycle import changelog
from mlops_scaffold.lifecycle.dropped import renderings, save_dropped, save_removed_edits, template_changes
from mlops_scaffold.lifecycle.gitutil import (
    ANSWERS_FILE,
    Conflict,
    GitError,
    changed_files,
    committed_text,
    find_conflicts,
    git,
    is_git_repo,
    read_answers,
    status_lines,
)
from mlops_scaffold.lifecycle.migrations import is_own_migration

NO_COMMIT = (
    ".copier-answers.yml has no _commit (the template was not a git checkout when this repo was rendered), "
    "so there is no version to update from"
)


class UpdateRefused(Exception):
    """The update did not start (or copier stopped it); the message is one line for the user."""


@dataclass
class UpdateResult:
    path: Path
    old_version: str | None  # `_commit` before the update
    new_version: str | None  # `_commit` after it (the target version when pretending)
    conflicts: list[Conflict] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # files the update changed (relative paths)
    changelog: list[changelog.Entry] = field(default_factory=list)
    pretend: bool = False

    @property
    def ok(self) -> bool:
        return not self.conflicts

    @property
    def up_to_date(self) -> bool:
        return not self.changed


def check_clean(path: Path) -> None:
    """Raise UpdateRefused unless `path` is a copier-generated project in a clean git tree."""
    if not path.is_dir():
        raise UpdateRefused(f"{path}: no such directory")
    if not is_git_repo(path):
        raise UpdateRefused(f"{path}: not a git repository; copier updates need the project's git history")
    try:
        answers = read_answers(path)
    except FileNotFoundError as error:
        raise UpdateRefused(str(error)) from None
    if git(path, "ls-files", "--", ANSWERS_FILE).strip() != ANSWERS_FILE:
        raise UpdateRefused(f"{path}: {ANSWERS_FILE} is not committed; commit the generated repo first")
    if not answers.get("_commit"):
        raise UpdateRefused(f"{path}: {NO_COMMIT}")
    source = str(answers.get("_src_path") or "")
    remote = "://" in source or source.startswith(("git@", "gh:", "gl:"))
    if source and not remote and not Path(source).expanduser().exists():
        raise UpdateRefused(f"{path}: the template source {source} (_src_path in .copier-answers.yml) does not exist")
    dirty = status_lines(path)
    if dirty:
        raise UpdateRefused(
            f"{path}: {len(dirty)} uncommitted change(s) (e.g. {dirty[0][3:]}); commit or stash them, then update again"
        )


def _check_trusted(worker: Worker) -> None:
    """unsafe=True is granted to the template's own migrations (hooks/migrate.py) and nothing else."""
    for template in (worker.template, worker.subproject.template):
        if template is None:
            continue
        config = raw_config(template)  # the parsed copier.yml, as copier reads it
        extras = [key for key in ("_tasks", "_jinja_extensions") if config.get(key)]
        extras += [f"_migrations ({entry})" for entry in config.get("_migrations") or [] if not is_own_migration(entry)]
        if extras:
            raise UpdateRefused(
                f"template {template.url} declares {', '.join(extras)}: review it, then run `copier update --trust`"
            )


def _run_copier(
    path: Path, *, vcs_ref: str | None, conflict: str, data: Mapping[str, Any] | None, quiet: bool
) -> tuple[str | None, str | None, str]:
    """The copier update itself; (old version, new version, CHANGELOG.md text of the new version)."""
    try:
        with Worker(
            dst_path=path,
            data=dict(data or {}),
            vcs_ref=vcs_ref,
            defaults=True,
            overwrite=True,
            quiet=quiet,
            conflict=conflict,
            unsafe=False,
        ) as worker:
            _check_trusted(worker)
            worker.unsafe = True
            old = worker.subproject.template.version if worker.subproject.template else None
            new = worker.template.version
            log = Path(worker.template.local_abspath) / "CHANGELOG.md"
            log_text = log.read_text() if log.is_file() else ""
            with fast_rendering():  # copier renders the template three times per update
                worker.run_update()
    except CopierError as error:
        raise UpdateRefused(str(error).strip().splitlines()[0]) from None
    except ValueError as error:  # copier's answer validation, or a template source that is not there
        lines = [line for line in str(error).strip().splitlines() if line.strip()]
        raise UpdateRefused(lines[-1] if lines else type(error).__name__) from None
    return (str(old) if old else None), (str(new) if new else None), log_text


def check_changed_answers(recorded: Mapping[str, Any], data: Mapping[str, Any]) -> None:
    """Refuse, before copier writes anything, answers that are valid alone but not with the
    recorded ones (environments=dev_prod makes `<workspace_name>-prod`, which may be too long), with
    the same one-line reason as `mlops-scaffold new`, checked by the installed options model."""
    from mlops_scaffold.options import AnswerError, resolve_applicable

    try:
        resolve_applicable({**recorded, **data})  # what copier keeps: the answers whose questions still apply
    except AnswerError as error:
        raise UpdateRefused(str(error)) from None


def update_project(
    path: str | Path = ".",
    vcs_ref: str | None = None,
    conflict: Literal["inline", "rej"] = "inline",
    pretend: bool = False,
    data: Mapping[str, Any] | None = None,
    quiet: bool = True,
) -> UpdateResult:
    """Update the project at `path` to the template version `vcs_ref` (default: the latest tag).

    `data` changes answers on the way (e.g. {"batch_scoring": False}). With
    `pretend`, the update runs on a throw-away clone and the project is left untouched; the result
    still names the files that would change or conflict. Raises UpdateRefused for a dirty tree,
    a path that is not a generated project, or an update copier will not do."""
    path = Path(path).resolve()
    check_clean(path)
    if conflict not in ("inline", "rej"):
        raise UpdateRefused(f"--conflict must be inline or rej, not {conflict!r}")
    recorded = read_answers(path)
    if data:
        check_changed_answers(recorded, data)
    old_commit = recorded.get("_commit")
    if pretend:
        top = Path(git(path, "rev-parse", "--show-toplevel").strip())
        with tempfile.TemporaryDirectory(prefix="mlops-scaffold-pretend.") as tmp:
            clone = Path(tmp) / "repo"
            try:
                git(Path(tmp), "clone", "-q", "--no-checkout", str(top), str(clone))
                git(clone, "checkout", "-q", "HEAD")
            except GitError as error:
                raise UpdateRefused(str(error)) from None
            result = _update(clone / path.relative_to(top), vcs_ref, conflict, data, quiet, old_commit)
        result.path, result.pretend = path, True
        return result
    return _update(path, vcs_ref, conflict, data, quiet, old_commit)


def _update(
    path: Path,
    vcs_ref: str | None,
    conflict: str,
    data: Mapping[str, Any] | None,
    quiet: bool,
    old_commit: str | None,
) -> UpdateResult:
    old_answers = read_answers(path)
    old_version, new_version, log_text = _run_copier(path, vcs_ref=vcs_ref, conflict=conflict, data=data, quiet=quiet)
    new_answers = read_answers(path)
    new_commit = new_answers.get("_commit")
    if old_commit and new_commit and (old_commit != new_commit or data):
        _save_dropped_changes(path, (str(old_commit), old_answers), (str(new_commit), new_answers))
    return UpdateResult(
        path=path,
        old_version=str(old_commit) if old_commit else old_version,
        new_version=str(new_commit) if new_commit else new_version,
        conflicts=find_conflicts(path),
        changed=changed_files(path),
        changelog=changelog.between(log_text, old_version, new_version),
    )


def _save_dropped_changes(path: Path, old: tuple[str, dict], new: tuple[str, dict]) -> None:
    """What copier did silently (lifecycle/dropped.py): template changes to files deleted, renamed
    or symlinked here, saved as .template.diff files, and the user's edits to files the template
    stopped rendering, saved as .yours files; find_conflicts then lists both."""
    source = str(new[1].get("_src_path") or "")
    if not source:
        return
    try:
        before, after = renderings(source, old, new)
    except (CopierError, ValueError, OSError) as error:
        raise UpdateRefused(f"could not render the template to compare versions: {error}") from None
    save_dropped(path, template_changes(before, after, old[0], new[0]))
    save_removed_edits(path, before, after, lambda name: committed_text(path, name), changed_files(path))


def format_result(result: UpdateResult) -> str:
    """The lines `mlops-scaffold update` prints."""
    verb = "would update" if result.pretend else "updated"
    if result.up_to_date:
        lines = [f"{result.path}: already at template {result.new_version}; nothing to update"]
    else:
        lines = [
            f"{result.path}: {verb} template {result.old_version} -> {result.new_version} "
            f"({len(result.changed)} file(s) changed)"
        ]
    if result.pretend and result.changed:
        lines += [f"  {name}" for name in result.changed]
    if result.changelog:
        lines += ["", "Changes in the template:"]
        lines += [str(entry) for entry in result.changelog]
    if result.conflicts and result.pretend:
        lines += ["", f"{len(result.conflicts)} conflict(s) the update would leave (nothing here was changed):"]
        lines += [f"  {conflict}" for conflict in result.conflicts]
    elif result.conflicts:
        lines += ["", f"{len(result.conflicts)} conflict(s) to resolve, then `git add` and commit:"]
        lines += [f"  {conflict}" for conflict in result.conflicts]
    elif not result.up_to_date and not result.pretend:
        lines += ["", "No conflicts. Review with `git diff`, run `make test`, then commit."]
    return "\n".join(lines)
