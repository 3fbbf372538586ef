"""Answers are data, never code: every structured file parses in its own language, and no answer
sits in a YAML file as a plain (unquoted) scalar, where `yes`, `null`, `1.10` or `a: b` would
change its type or the document's shape. Templates quote answers with jinja/escape.jinja."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import tomllib
import yaml

from mlops_scaffold import yamlio
from mlops_scaffold.checks.base import Finding, reads
from mlops_scaffold.options import QUESTIONS_BY_NAME
from mlops_scaffold.project_files import ANSWERS_FILE, iter_files, public_answers, read_answers

# Answers whose rule allows only an identifier (letters, digits, _), or a closed list: a plain
# YAML scalar of one of them can be nothing but that string, so it may be composed into names.
IDENTIFIER_ANSWERS = frozenset({"sample_name", "base_name", "location", "python_version"})
YAML_SUFFIXES = (".yml", ".yaml")
STRUCTURED_SUFFIXES = (*YAML_SUFFIXES, ".json", ".toml", ".tf", ".tfvars", ".sh")


def text_answers(project: Path) -> dict[str, str]:
    """The project's free-form text answers (no choices), by question, that are not empty."""
    try:
        answers = public_answers(read_answers(project))
    except (FileNotFoundError, ValueError, yaml.YAMLError):
        return {}
    return {
        name: value
        for name, value in answers.items()
        if isinstance(value, str) and value and name in QUESTIONS_BY_NAME and not QUESTIONS_BY_NAME[name].choices
    }


def _relative(project: Path, path: Path) -> str:
    return str(path.relative_to(project))


def _yaml_findings(project: Path, path: Path, quoted: dict[str, str]) -> list[Finding]:
    relative, text = _relative(project, path), path.read_text(encoding="utf-8")
    try:
        list(yamlio.load_all(text))
        tokens = list(yamlio.scan(text))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        return [Finding(relative, mark.line + 1 if mark else None, f"is not valid YAML: {error.problem}")]  # type: ignore[attr-defined]
    findings = []
    for token in tokens:
        if isinstance(token, yaml.ScalarToken) and token.plain:
            for name, value in quoted.items():
                if token.value == value:
                    findings.append(
                        Finding(
                            relative,
                            token.start_mark.line + 1,
                            f"the answer {name} is a plain YAML scalar: quote it with yaml_str (jinja/escape.jinja)",
                        )
                    )
    return findings


def _injected_lines(project: Path, answers: dict[str, str]) -> list[Finding]:
    """Lines an answer with a line break wrote at the start of a line (a project rendered before
    answers were refused for control characters): each is named with the answer it came from."""
    tails = {
        name: [line.strip() for line in value.splitlines()[1:] if line.strip()]
        for name, value in answers.items()
        if len(value.splitlines()) > 1
    }
    findings = []
    if not any(tails.values()):
        return findings
    for path in iter_files(project):
        if path.name == ANSWERS_FILE or path.suffix not in STRUCTURED_SUFFIXES:
            continue  # only the files @reads declares, so a cached result stays true
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (UnicodeDecodeError, OSError):
            continue
        for number, line in enumerate(lines, start=1):
            for name, injected in tails.items():
                if any(line.strip().startswith(tail) for tail in injected):
                    message = f"line injected by the answer {name}: {line.strip()!r}"
                    findings.append(Finding(_relative(project, path), number, message))
    return findings


def _parse_finding(relative: str, language: str, line: int | None, problem: str) -> Finding:
    return Finding(relative, line, f"is not valid {language}: {problem}")


def _json_findings(project: Path, path: Path) -> list[Finding]:
    try:
        json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        return [_parse_finding(_relative(project, path), "JSON", error.lineno, error.msg)]
    return []


def _toml_findings(project: Path, path: Path) -> list[Finding]:
    try:
        tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        return [_parse_finding(_relative(project, path), "TOML", None, str(error))]
    return []


def _hcl_findings(project: Path, path: Path) -> list[Finding]:
    import hcl2

    try:
        hcl2.loads(path.read_text(encoding="utf-8"))
    except Exception as error:  # python-hcl2 raises lark errors of several kinds
        line = getattr(error, "line", None)
        return [_parse_finding(_relative(project, path), "HCL", line, str(error).splitlines()[0])]
    return []


def _shell_findings(project: Path, path: Path) -> list[Finding]:
    result = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
    if result.returncode == 0:
        return []
    message = (result.stderr.strip().splitlines() or ["bash -n failed"])[0]
    numbers = [part.strip().removeprefix("line ") for part in message.split(":")[1:3]]
    line = next((int(number) for number in numbers if number.isdigit()), None)
    return [_parse_finding(_relative(project, path), "shell", line, message.split(": ", 2)[-1])]


def _plain_is_itself(value: str) -> bool:
    """True when `value` as a plain scalar reads back as that same string. Answers like `yes`,
    `null` or `1.10` are not: the template's own `on:`/`true` would look like them, so this check
    skips them and the escaping audit test (tests/test_escaping.py) covers them by parsing."""
    try:
        return yamlio.load(value) == value
    except yaml.YAMLError:
        return False


@reads("**/*.yml", "**/*.yaml", "**/*.json", "**/*.toml", "**/*.tf", "**/*.tfvars", "**/*.sh", ANSWERS_FILE)
def answers_escaped(project: Path) -> list[Finding]:
    """Every YAML, JSON, TOML, HCL and shell file parses, no YAML plain scalar is an answer, and no
    line starts with what followed a line break in an answer."""
    quoted = {
        name: value
        for name, value in text_answers(project).items()
        if name not in IDENTIFIER_ANSWERS and _plain_is_itself(value)
    }
    findings: list[Finding] = _injected_lines(project, text_answers(project))
    for path in iter_files(project):
        if path.name == ANSWERS_FILE:
            continue  # copier writes it with its own YAML dumper
        if path.suffix in YAML_SUFFIXES:
            findings += _yaml_findings(project, path, quoted)
        elif path.suffix == ".json":
            findings += _json_findings(project, path)
        elif path.suffix == ".toml":
            findings += _toml_findings(project, path)
        elif path.suffix in (".tf", ".tfvars"):
            findings += _hcl_findings(project, path)
        elif path.suffix == ".sh":
            findings += _shell_findings(project, path)
    return findings


CHECKS = (answers_escaped,)
