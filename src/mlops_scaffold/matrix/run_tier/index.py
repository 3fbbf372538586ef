"""What the run tier knows of a rendering without keeping it: the content hash of every file,
plus derived facts computed while the rendering existed (the local loop's make plan)."""

from __future__ import annotations

import fnmatch
import hashlib
import os
import re
import subprocess
from pathlib import Path, PurePosixPath

from mlops_scaffold.project_files import Project

# Never read by the generated tests or the local loop (a run that reads one fails).
RUN_IRRELEVANT = (
    ".copier-answers.yml",
    ".checkov.yaml",
    ".pipelines/*",
    ".github/*",
    "environment_setup/*",
    "docs/*",
    "README.md",
    "*/README.md",
)
ABSENT = "absent"
DIRECTORY = "dir"
LOCAL_LOOP = "<local loop>"  # a pseudo path: the make targets of the local loop
MAKE_PLAN = "<make plan>"  # a pseudo path: the local loop's commands and environment, as make expands them
LOCAL_LOOP_TARGETS = ("train", "production-model", "smoke-test")
VENV_PLACEHOLDER = "/<venv>"
PROJECT_PLACEHOLDER = "/<project>"


def is_run_irrelevant(relative: str) -> bool:
    return any(fnmatch.fnmatchcase(relative, pattern) for pattern in RUN_IRRELEVANT)


def local_loop_targets(makefile: str) -> list[str]:
    """The local loop as the Makefile offers it: train, serve and smoke-test, then batch scoring."""
    has_batch = re.search(r"^batch-score:", makefile, re.MULTILINE) is not None
    return [*LOCAL_LOOP_TARGETS, *(["batch-score"] if has_batch else [])]


def make_plan(project: Path, targets: list[str]) -> str:
    """The commands `make` would run for `targets` and the environment it gives them, with the
    project's and the venv's paths replaced, so two projects with equal plans run the same."""
    variables = [f"VENV={VENV_PLACEHOLDER}", "BUILD_ID=matrix", "PORT=5001"]
    environ = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/")}

    def make(*args: str) -> str:
        result = subprocess.run(
            ["make", "--no-print-directory", "-s", *args, *variables],
            cwd=project,
            env=environ,
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout

    commands = make("-n", *targets)
    exported = make("--eval", "__mlops_scaffold_env: ; @env", "__mlops_scaffold_env")
    ignored = ("MAKEFLAGS=", "MFLAGS=", "MAKELEVEL=", "PWD=", "OLDPWD=", "SHLVL=", "_=", "PATH=", "HOME=")
    environment = sorted(line for line in exported.splitlines() if not line.startswith(ignored))
    plan = commands + "\n".join(environment)
    return plan.replace(str(project.resolve()), PROJECT_PLACEHOLDER).replace(str(project), PROJECT_PLACEHOLDER)


def content_index(project: Path) -> dict[str, str]:
    """{relative path: sha256} of every rendered file, plus the local loop's make plan."""
    opened = Project.of(project)  # the render tier's checks have read these files already
    index = {}
    for path in opened.files():
        relative = str(path.relative_to(project).as_posix())
        index[relative] = opened.digest(relative)
    if (project / "Makefile").is_file():
        targets = local_loop_targets((project / "Makefile").read_text(encoding="utf-8"))
        index[LOCAL_LOOP] = " ".join(targets)
        index[MAKE_PLAN] = hashlib.sha256(make_plan(project, targets).encode()).hexdigest()
    return index


def directories(index: dict[str, str], hidden: frozenset[str] = frozenset()) -> dict[str, list[str]]:
    """Each directory of the rendering and its run-relevant entries (what a listing of it shows).

    `hidden` paths are left out of listings: pytest lists a test folder but collects only the test
    modules named on its command line, which the command (part of every key) already names."""
    listing: dict[str, set[str]] = {".": set()}
    for path in index:
        if path.startswith("<") or path in hidden:
            continue
        parts = PurePosixPath(path).parts
        for depth in range(len(parts)):
            parent = "/".join(parts[:depth]) or "."
            child = "/".join(parts[: depth + 1])
            listing.setdefault(parent, set())
            if not is_run_irrelevant(child) and not is_run_irrelevant(child + "/x"):
                listing[parent].add(parts[depth])
    return {parent: sorted(children) for parent, children in listing.items()}


def dependency_value(dependency: str, index: dict[str, str], listing: dict[str, list[str]]) -> str:
    """What a recorded dependency ("R path", "L dir" or a pseudo path) is in this rendering."""
    kind, _, path = dependency.partition(" ")
    if kind == "L":
        children = listing.get(path)
        return ABSENT if children is None else hashlib.sha256("\n".join(children).encode()).hexdigest()
    if path in index:
        return index[path]
    return DIRECTORY if path in listing else ABSENT
