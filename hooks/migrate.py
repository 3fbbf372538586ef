"""The template's migrations, run by copier during `copier update --trust` / `mlops-scaffold update`.

copier.yml (generated from src/mlops_scaffold/lifecycle/migrations.py) runs, for each template
release that renamed files, at both stages of the update, in the generated project:

    python hooks/migrate.py rename OLD NEW [OLD NEW ...]

before  For each OLD that git tracks (and NEW does not exist yet): keep the user's OLD, keep what
        the previous template version rendered at OLD (the merge base: copier's own rendering of
        it when found, else rendered here), then `git rm` OLD. copier then renders NEW fresh and
        never sees the user's file at a path the template dropped.
after   Three-way merge into NEW: the user's OLD, the base, the template's NEW (`git merge-file`).
        A clean merge is staged, so git shows the rename with the user's edits in it; a conflict
        leaves markers and unmerged index entries, like copier's own conflicts.

Standalone on purpose: it runs with copier's interpreter (copier, pyyaml), where mlops_scaffold may be
missing; it uses mlops_scaffold.copier_compat (copier's temporary folders) only when it is there.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ANSWERS_FILE = ".copier-answers.yml"
LABELS = ("before updating", "last update", "after updating")  # copier's own conflict labels


def git(*args: str, stdin: bytes | None = None, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], input=stdin, capture_output=True, check=check)


def state_dir() -> Path:
    path = git("rev-parse", "--git-path", "mlops-scaffold-migrate").stdout.decode().strip()
    return Path(path).resolve()


def load_state(directory: Path) -> list[dict]:
    index = directory / "pending.json"
    return json.loads(index.read_text()) if index.is_file() else []


def save_state(directory: Path, pending: list[dict]) -> None:
    if not pending:
        shutil.rmtree(directory, ignore_errors=True)
        return
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "pending.json").write_text(json.dumps(pending, indent=1))


def tracked(path: str) -> bool:
    return git("ls-files", "--error-unmatch", "--", path, check=False).returncode == 0


def copier_old_copy() -> Path | None:
    """copier's own rendering of the previous version, which exists while the before stage runs.

    copier renders the previous template version into a temporary directory to compute the
    user's diff; any such directory whose answers file equals this project's (same template,
    version and answers, hence the same rendering) is the merge base. None when not found."""
    top = Path(git("rev-parse", "--show-toplevel").stdout.decode().strip())
    subdir = Path.cwd().resolve().relative_to(top.resolve())
    answers = git("show", f"HEAD:./{ANSWERS_FILE}", check=False).stdout
    if not answers:
        return None
    try:  # copier's temporary folders are its internals: mlops_scaffold.copier_compat knows them
        from mlops_scaffold.copier_compat import old_copies
    except ImportError:  # plain `copier update` without mlops-scaffold: render the base instead
        return None
    for candidate in old_copies():
        project = candidate / subdir
        try:
            if (project / ANSWERS_FILE).read_bytes() == answers:
                return project
        except OSError:
            continue
    return None


def render_previous(directory: Path) -> Path | None:
    """The project as the previous template version rendered it (the merge base), or None."""
    found = copier_old_copy()
    if found is not None:
        return found
    try:
        import copier
        import yaml

        answers = yaml.safe_load(Path(ANSWERS_FILE).read_text())
        data = {key: value for key, value in answers.items() if not key.startswith("_")}
        ref = os.environ.get("VERSION_FROM") or answers["_commit"]
        previous = directory / ("previous-" + re.sub(r"[^\w.-]", "_", ref))
        if previous.is_dir():
            return previous
        with tempfile.TemporaryDirectory() as tmp:
            rendered = Path(tmp) / "project"
            copier.run_copy(answers["_src_path"], rendered, data=data, vcs_ref=ref, defaults=True, quiet=True)
            directory.mkdir(parents=True, exist_ok=True)
            shutil.copytree(rendered, previous)
        return previous
    except Exception as error:  # the base is a nicety: without it the merge shows both versions
        print(f"migrate: could not render the previous template version ({error}); merging without a base")
        return None


def before(pairs: list[tuple[str, str]]) -> None:
    directory = state_dir()
    pending = load_state(directory)
    for old, new in pairs:
        chained = [entry for entry in pending if entry["new"] == old]
        if chained:  # renamed again by a later release in the same update: follow it
            for entry in chained:
                entry["new"] = new
            continue
        if not tracked(old) or Path(new).exists():
            continue
        previous = render_previous(directory)
        key = str(len(pending))
        directory.mkdir(parents=True, exist_ok=True)
        shutil.copy2(old, directory / f"{key}.ours")
        has_base = previous is not None and (previous / old).is_file()
        if has_base:
            shutil.copy2(previous / old, directory / f"{key}.base")
        pending.append({"old": old, "new": new, "key": key, "base": has_base})
        git("rm", "-q", "--", old)
        print(f"migrate: {old} -> {new}: your version is kept and merged into {new} after the update")
    save_state(directory, pending)


def _blob(path: Path) -> str:
    return git("hash-object", "-w", "--", str(path)).stdout.decode().strip()


def after(pairs: list[tuple[str, str]]) -> None:
    directory = state_dir()
    pending = load_state(directory)
    targets = {new for _, new in pairs}
    remaining = []
    for entry in pending:
        if entry["new"] not in targets:
            remaining.append(entry)
            continue
        ours = directory / f"{entry['key']}.ours"
        base = directory / f"{entry['key']}.base"
        if not entry["base"]:
            base.write_bytes(b"")
        target = Path(entry["new"])
        mode = "100755" if os.access(ours, os.X_OK) else "100644"
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ours, target)
            git("add", "--", entry["new"])
            continue
        theirs = directory / f"{entry['key']}.theirs"
        shutil.copy2(target, theirs)
        merge = git(
            "merge-file", "-p", *(arg for label in LABELS for arg in ("-L", label)),
            str(ours), str(base), str(theirs), check=False,
        )  # fmt: skip
        if merge.returncode >= 128:
            raise SystemExit(f"migrate: git merge-file failed for {entry['new']}: {merge.stderr.decode()}")
        target.write_bytes(merge.stdout)
        if merge.returncode == 0:
            git("add", "--", entry["new"])
            print(f"migrate: {entry['old']} -> {entry['new']}: your edits merged")
            continue
        stages = [f"0 {'0' * 40}\t{entry['new']}"]
        if entry["base"]:
            stages.append(f"{mode} {_blob(base)} 1\t{entry['new']}")
        stages.append(f"{mode} {_blob(ours)} 2\t{entry['new']}")
        stages.append(f"{mode} {_blob(theirs)} 3\t{entry['new']}")
        git("update-index", "--index-info", stdin="\n".join(stages).encode() + b"\n")
        print(f"migrate: {entry['old']} -> {entry['new']}: CONFLICT, resolve the markers in {entry['new']}")
    save_state(directory, remaining)


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[0] != "rename" or len(argv) % 2 != 1:
        print("usage: migrate.py rename OLD NEW [OLD NEW ...]", file=sys.stderr)
        return 2
    pairs = list(zip(argv[1::2], argv[2::2], strict=True))
    stage = os.environ.get("STAGE", "")
    if stage == "before":
        before(pairs)
    elif stage == "after":
        after(pairs)
    else:
        print(f"migrate: unknown STAGE {stage!r} (copier sets before or after)", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
