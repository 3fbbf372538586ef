"""Checks that hold for every rendering: no Jinja left behind, Python that compiles, answers
that still satisfy the options model, and variable docs that cover every pipeline variable."""

from __future__ import annotations

import functools
import json
import re
import subprocess
import sys
from pathlib import Path

from mlops_scaffold.checks.base import Finding, reads, uses
from mlops_scaffold.options import AnswerError, resolve_answers
from mlops_scaffold.project_files import ANSWERS_FILE, iter_files, public_answers, read_answers, read_text
from mlops_scaffold.variables import pipeline_variables

# `{{` not preceded by `$` (GitHub's `${{ }}` expressions are legitimate), and any `{%`.
_JINJA_MARKER = re.compile(r"(?<!\$)\{\{|\{%")


def leftover_jinja(project: Path) -> list[Finding]:
    from mlops_scaffold.checks.answers import text_answers

    # An answer may itself hold `{{` (a project called "A {{ b }}"): that is data, not a leftover.
    # Raw, and as the JSON/YAML/TOML/HCL helpers escape it (jinja/escape.jinja).
    values = text_answers(project).values()
    forms = {form for value in values for form in (value, json.dumps(value)[1:-1])}
    forms |= {json.dumps(value, ensure_ascii=False)[1:-1] for value in values}
    # Only an answer holding a brace can account for a marker; keeping the others out of the key
    # lets the matrix scan each text once for all the combinations that render it.
    answers = tuple(sorted((form for form in forms if "{" in form), key=len, reverse=True))
    findings = []
    for path in iter_files(project):
        text = read_text(path)
        if text is not None:
            relative = str(path.relative_to(project))
            findings += [Finding(relative, number, "leftover Jinja marker") for number in _marker_lines(text, answers)]
    return findings


# The matrix checks the same file text in many combinations: each text is scanned once per process.
@functools.lru_cache(maxsize=8192)
def _marker_lines(text: str, answers: tuple[str, ...]) -> tuple[int, ...]:
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if "{" not in line:  # no marker, and removing answers cannot make one
            continue
        for answer in answers:
            line = line.replace(answer, "")
        if _JINJA_MARKER.search(line):
            found.append(number)
    return tuple(found)


def python_compiles(project: Path) -> list[Finding]:
    findings = []
    for path in iter_files(project):
        if path.suffix != ".py":
            continue
        error = _syntax_error(path.read_text(encoding="utf-8"))
        if error is not None:
            findings.append(Finding(str(path.relative_to(project)), error[0], f"does not compile: {error[1]}"))
    return findings


@functools.lru_cache(maxsize=8192)  # as _marker_lines: the same source in many combinations
def _syntax_error(source: str) -> tuple[int | None, str] | None:
    try:
        compile(source, "<rendered>", "exec")
    except SyntaxError as error:
        return error.lineno, error.msg
    return None


def answers_valid(project: Path) -> list[Finding]:
    if not (project / ANSWERS_FILE).is_file():
        return [Finding(ANSWERS_FILE, None, "missing: this is not a rendered mlops-scaffold project")]
    try:
        resolve_answers(public_answers(read_answers(project)))
    except (AnswerError, ValueError) as error:
        return [Finding(ANSWERS_FILE, None, str(error))]
    return []


def variables_documented(project: Path) -> list[Finding]:
    """.env.example and docs/variable_group.md name every pipeline variable of these answers."""
    try:
        answers = resolve_answers(public_answers(read_answers(project)))
    except (AnswerError, ValueError, FileNotFoundError):
        return []  # answers_valid reports it
    findings = []
    for relative, pattern in ((".env.example", "^{name}="), ("docs/variable_group.md", r"^\| `{name}` \|")):
        path = project / relative
        if not path.is_file():
            findings.append(Finding(relative, None, "missing"))
            continue
        text = path.read_text(encoding="utf-8")
        for variable in pipeline_variables(answers):
            if not re.search(pattern.format(name=variable["name"]), text, re.MULTILINE):
                findings.append(Finding(relative, None, f"does not list the variable {variable['name']}"))
    return findings


_MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+)\)")


def markdown_links(project: Path) -> list[Finding]:
    """Every relative link in the generated docs points at a file or folder that was rendered."""
    findings = []
    for path in iter_files(project):
        if path.suffix != ".md":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for target in _MARKDOWN_LINK.findall(line):
                if re.match(r"^[a-z]+:|^#", target):
                    continue
                if not (path.parent / target.split("#", 1)[0]).exists():
                    findings.append(Finding(str(path.relative_to(project)), number, f"broken link to {target}"))
    return findings


def ruff_many(projects: list[Path]) -> dict[Path, list[Finding]]:
    """ruff check and format --check, each project with its own configuration, in one run each."""
    findings: dict[Path, list[Finding]] = {project: [] for project in projects}
    if not projects:
        return findings
    roots = sorted((project.resolve(), project) for project in projects)

    def owner(filename: str) -> tuple[Path, str]:
        path = Path(filename).resolve()
        root, project = next((root, project) for root, project in roots if path.is_relative_to(root))
        return project, str(path.relative_to(root))

    ruff = [sys.executable, "-m", "ruff"]
    checked = subprocess.run(
        [*ruff, "check", "--no-cache", "--output-format", "json", *map(str, projects)], capture_output=True, text=True
    )
    for row in json.loads(checked.stdout or "[]"):
        project, relative = owner(row["filename"])
        findings[project].append(Finding(relative, row["location"]["row"], f"ruff {row['code']}: {row['message']}"))
    formatted = subprocess.run(
        [*ruff, "format", "--no-cache", "--check", *map(str, projects)], capture_output=True, text=True
    )
    for line in formatted.stdout.splitlines():
        if line.startswith("Would reformat: "):
            project, relative = owner(line.removeprefix("Would reformat: "))
            findings[project].append(Finding(relative, None, "ruff format would reformat it"))
    return findings


@reads("**/*.py", "pyproject.toml")
@uses("ruff")
def ruff_clean(project: Path) -> list[Finding]:
    """Generated Python passes ruff check and ruff format --check with the project's own settings."""
    return ruff_many([project])[project]


CHECKS = (answers_valid, leftover_jinja, python_compiles, variables_documented, markdown_links, ruff_clean)
