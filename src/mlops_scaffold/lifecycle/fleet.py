"""`mlops-scaffold fleet`: the template version of many generated repos at once, and updating them.

fleet_status reads each repo's answers file and asks the template source for its release tags
(`git ls-remote --tags`, once per source). fleet_update updates every clean repo on a new branch
and commits; a repo with uncommitted changes is reported and never touched.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from packaging.version import InvalidVersion, Version

from mlops_scaffold.lifecycle.gitutil import Conflict, GitError, find_conflicts, git, is_git_repo, read_answers
from mlops_scaffold.lifecycle.gitutil import status_lines as _status_lines
from mlops_scaffold.lifecycle.update import UpdateRefused, update_project

RELEASE_TAG = re.compile(r"^v(\d+\.\d+\.\d+)$")
DESCRIBED = re.compile(r"^v?(?P<base>\d+\.\d+\.\d+)-(?P<count>\d+)-g[0-9a-f]+$")

UPDATED, CONFLICTS, SKIPPED_DIRTY, UP_TO_DATE, FAILED = "updated", "conflicts", "skipped-dirty", "up-to-date", "failed"


def parse_version(commit: str | None) -> Version | None:
    """`v0.2.0` -> 0.2.0; `v0.2.0-3-gabc123` (3 commits after the tag) -> 0.2.0.post3; else None."""
    if not commit:
        return None
    described = DESCRIBED.match(commit)
    if described:
        return Version(f"{described['base']}.post{described['count']}")
    try:
        return Version(commit)
    except InvalidVersion:
        return None


def latest_release(source: str) -> str | None:
    """The highest vX.Y.Z tag of the template at `source` (a git URL or path), or None."""
    process = subprocess.run(["git", "ls-remote", "--tags", "--refs", source], capture_output=True, text=True)
    tags = [line.rsplit("refs/tags/", 1)[-1] for line in process.stdout.splitlines() if "refs/tags/" in line]
    releases = [tag for tag in tags if RELEASE_TAG.match(tag)]
    return max(releases, key=lambda tag: Version(tag[1:])) if releases else None


@dataclass
class RepoStatus:
    path: str
    source: str | None = None
    current: str | None = None
    latest: str | None = None
    update_available: bool = False
    dirty: bool = False
    conflicts: list[str] = field(default_factory=list)
    error: str | None = None

    def as_json(self) -> dict:
        return asdict(self)


def repo_status(path: str | Path, latest: dict[str, str | None] | None = None) -> RepoStatus:
    """One repo's status; `latest` caches the template sources' latest releases across repos."""
    latest = {} if latest is None else latest
    path = Path(path)
    status = RepoStatus(path=str(path))
    if not is_git_repo(path):
        status.error = "not a git repository"
        return status
    try:
        answers = read_answers(path)
    except FileNotFoundError:
        status.error = "no .copier-answers.yml"
        return status
    status.source = answers.get("_src_path")
    status.current = answers.get("_commit")
    if not status.current:
        status.error = "no _commit in .copier-answers.yml: rendered from a template that was not a git checkout"
    status.dirty = bool(_status_lines(path))
    status.conflicts = [conflict.path for conflict in find_conflicts(path)]
    if status.source:
        source = str(status.source)
        if source not in latest:
            latest[source] = latest_release(source)
        status.latest = latest[source]
    current, latest = parse_version(status.current), parse_version(status.latest)
    status.update_available = bool(current and latest and latest > current)
    return status


def fleet_status(dirs: Iterable[str | Path]) -> list[RepoStatus]:
    latest: dict[str, str | None] = {}
    return [repo_status(path, latest) for path in dirs]


@dataclass
class UpdateRow:
    path: str
    outcome: str  # updated | conflicts | skipped-dirty | up-to-date | failed
    old: str | None = None
    new: str | None = None
    branch: str | None = None
    detail: str = ""
    conflicts: list[Conflict] = field(default_factory=list)


def _identity(path: Path) -> list[str]:
    """A committer identity for repos (CI machines) that have none configured."""
    if git(path, "config", "user.email", check=False).strip():
        return []
    return ["-c", "user.name=mlops-scaffold", "-c", "user.email=mlops-scaffold@localhost"]


def _current_branch(path: Path) -> str:
    return git(path, "rev-parse", "--abbrev-ref", "HEAD").strip()


def update_repo(path: str | Path, branch: str | None = None, latest: dict[str, str | None] | None = None) -> UpdateRow:
    """Update one repo on a new branch and commit; a dirty repo is left exactly as it is."""
    status = repo_status(path, latest)
    path = Path(path)
    row = UpdateRow(path=str(path), outcome=FAILED, old=status.current, new=status.latest)
    if status.error:
        row.detail = status.error
        return row
    if status.dirty:
        row.outcome, row.detail = SKIPPED_DIRTY, "uncommitted changes; commit or stash them first"
        return row
    if status.latest and not status.update_available:
        row.outcome, row.new = UP_TO_DATE, status.current
        return row
    row.branch = branch or f"template-update-{status.latest or 'latest'}"
    original = _current_branch(path)
    try:
        git(path, "checkout", "-q", "-b", row.branch)
    except GitError as error:
        row.detail = str(error)
        return row
    try:
        result = update_project(path, vcs_ref=status.latest)
    except (UpdateRefused, GitError) as error:
        git(path, "checkout", "-q", "-f", original, check=False)
        git(path, "branch", "-q", "-D", row.branch, check=False)
        row.detail, row.branch = str(error), None
        return row
    row.old, row.new = result.old_version, result.new_version
    if result.conflicts:
        row.outcome, row.conflicts = CONFLICTS, result.conflicts
        row.detail = "resolve on the branch: " + ", ".join(conflict.path for conflict in result.conflicts)
        return row
    if result.up_to_date:
        git(path, "checkout", "-q", original)
        git(path, "branch", "-q", "-D", row.branch)
        row.outcome, row.branch = UP_TO_DATE, None
        return row
    message = [f"Update template {result.old_version} -> {result.new_version}", ""]
    message += [str(entry) for entry in result.changelog] or ["(no changelog entries)"]
    git(path, "add", "-A", "--", ".")
    git(path, *_identity(path), "commit", "-q", "--no-verify", "-m", "\n".join(message))
    git(path, "checkout", "-q", original)
    row.outcome, row.detail = UPDATED, f"committed on {row.branch}"
    return row


def fleet_update(dirs: Iterable[str | Path], branch: str | None = None) -> list[UpdateRow]:
    latest: dict[str, str | None] = {}
    return [update_repo(path, branch, latest) for path in dirs]


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    lines = []
    for row in [header, *rows]:
        lines.append("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines)


def format_status(statuses: list[RepoStatus]) -> str:
    header = ["REPO", "TEMPLATE", "CURRENT", "LATEST", "UPDATE", "TREE", "CONFLICTS"]
    rows = []
    for status in statuses:
        if status.error:
            rows.append([status.path, "-", "-", "-", "-", "-", status.error])
            continue
        rows.append(
            [
                status.path,
                status.source or "-",
                status.current or "-",
                status.latest or "-",
                "yes" if status.update_available else "no",
                "dirty" if status.dirty else "clean",
                ", ".join(status.conflicts) or "none",
            ]
        )
    return _table(header, rows)


def format_update(rows: list[UpdateRow]) -> str:
    header = ["REPO", "OUTCOME", "FROM", "TO", "DETAIL"]
    body = [[row.path, row.outcome, row.old or "-", row.new or "-", row.detail] for row in rows]
    counts = {
        outcome: sum(row.outcome == outcome for row in rows)
        for outcome in (UPDATED, CONFLICTS, SKIPPED_DIRTY, UP_TO_DATE, FAILED)
    }
    summary = ", ".join(f"{count} {outcome}" for outcome, count in counts.items() if count)
    return _table(header, body) + f"\n\n{summary or 'no repos'}"
