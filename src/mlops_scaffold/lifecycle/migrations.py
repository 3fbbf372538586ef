"""Template migrations as data: a file the template renames is one line in RENAMES.

    RENAMES = (Rename(since="0.2.0", old="{{ sample_name }}/util/io.py", new="{{ sample_name }}/util/files.py"),)

`since` is the first release (tag v<since>) whose template has the file at `new`; `old` and `new`
are paths in the GENERATED project and may use the answers in Jinja. copier_yml.py turns the table
into copier's `_migrations` (one entry per release), and copier runs `hooks/migrate.py` for each
project updated across that release: before the update it takes the user's file out of git at
`old`, after it merges the user's edits into `new` (three-way, against what the template rendered
at `old`) and stages the result as a rename. `copier copy` never runs migrations, so it stays free
of `--trust`; `mlops-scaffold update` trusts exactly these.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from packaging.version import Version

HOOK = "hooks/migrate.py"
# How copier.yml runs the hook: copier's own interpreter, the hook from the template checkout.
HOOK_COMMAND = ("{{ _copier_python }}", "{{ _copier_conf.src_path }}/" + HOOK)


@dataclass(frozen=True)
class Rename:
    since: str  # the template release that renamed the file, PEP 440 (tag v<since>)
    old: str  # path in the generated project before `since` (Jinja over the answers allowed)
    new: str  # path from `since` on

    def __post_init__(self) -> None:
        Version(self.since)  # fails early on a typo'd version
        if self.old == self.new:
            raise ValueError(f"Rename {self.old!r}: old and new paths are the same")


# The template's file renames, oldest first. One line per renamed file.
RENAMES: tuple[Rename, ...] = ()


def migrations_yaml(renames: Iterable[Rename] = RENAMES) -> str:
    """copier's `_migrations` block for `renames` ("" when there are none)."""
    by_release: dict[str, list[Rename]] = {}
    for rename in renames:
        by_release.setdefault(rename.since, []).append(rename)
    if not by_release:
        return ""
    lines = [
        "# MIGRATIONS: generated from src/mlops_scaffold/lifecycle/migrations.py (RENAMES); each runs",
        "# hooks/migrate.py before the update (takes the user's file out of git) and after it (merges",
        "# the user's edits into the renamed file). Needs `copier update --trust` or `mlops-scaffold update`.",
        "_migrations:",
    ]
    for since in sorted(by_release, key=Version):
        command = [*HOOK_COMMAND, "rename"]
        for rename in by_release[since]:
            command += [rename.old, rename.new]
        lines += [
            f"  - version: {json.dumps(since)}",
            "    when: \"{{ _stage in ['before', 'after'] }}\"",
            f"    command: {json.dumps(command)}",
        ]
    return "\n" + "\n".join(lines) + "\n"


def is_own_migration(migration: object) -> bool:
    """Whether a `_migrations` entry is one migrations_yaml writes: the template's hook, run by
    copier's interpreter with plain arguments, in the project's root."""
    if not isinstance(migration, dict) or set(migration) - {"version", "when", "command"}:
        return False
    command = migration.get("command")
    return isinstance(command, list) and tuple(command[:3]) == (*HOOK_COMMAND, "rename")
