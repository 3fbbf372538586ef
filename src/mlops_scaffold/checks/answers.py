"""Answers are data, never code: every structured file parses in its own language, and no answer
sits in a YAML file as a plain (unquoted) scalar, where `yes`, `null`, `1.10` or `a: b` would
change its type or the document's shape. Templates quote answers with jinja/escape.jinja."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from mlops_scaffold import yamlio
from mlops_scaffold.checks.base import Finding, reads
from mlops_scaffold.checks.hcl import parse_hcl
from mlops_scaffold.options import QUESTIONS_BY_NAME
from mlops_scaffold.project_files import ANSWERS_FILE, iter_files, public_answers, read_answers, read_text

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


# (language, file text) -> (line, problem) when it does not parse, else None; for YAML also its
# plain scalars. The matrix checks the same text in many combinations: each is parsed once per process.
_PARSED: dict[tuple[str, str], Any] = {}


def _parsed_once(language: str, path: Path, parse: Callable[[Path, str], Any]) -> Any:
    text = read_text(path)  # the opened Project's reading, when run_checks opened one
    if text is None:
        text = path.read_text(encoding="utf-8")  # not UTF-8: the same error as before
    key = (language, text)
    if key not in _PARSED:
        if len(_PARSED) > 8192:
            _PARSED.clear()
        _PARSED[key] = parse(path, text)
    return _PARSED[key]


def _parse_yaml(path: Path, text: str) -> tuple[tuple[int | None, str] | None, tuple[tuple[int, str], ...]]:
    """(problem, ((line, value) of every plain scalar))."""
    try:
        list(yamlio.load_all(text))
        tokens = list(yamlio.scan(text))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        return (mark.line + 1 if mark else None, str(error.problem)), ()  # type: ignore[attr-defined]
    plain = tuple(
        (token.start_mark.line + 1, token.value)
        for token in tokens
        if isinstance(token, yaml.ScalarToken) and token.plain
    )
    return None, plain


def _yaml_findings(project: Path, path: Path, quoted: dict[str, str]) -> list[Finding]:
    relative = _relative(project, path)
    problem, plain = _parsed_once("YAML", path, _parse_yaml)
    if problem is not None:
        return [Finding(relative, problem[0], f"is not valid YAML: {problem[1]}")]
    return [
        Finding(
            relative, line, f"the answer {name} is a plain YAML scalar: quote it with yaml_str (jinja/escape.jinja)"
        )
        for line, scalar in plain
        for name, value in quoted.items()
        if scalar == value
    ]


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


def _json_problem(path: Path, text: str) -> tuple[int | None, str] | None:
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        return error.lineno, error.msg
    return None


def _toml_problem(path: Path, text: str) -> tuple[int | None, str] | None:
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        return None, str(error)
    return None


def _hcl_problem(path: Path, text: str) -> tuple[int | None, str] | None:
    parsed, line, error = parse_hcl(text)
    return None if parsed is not None else (line, (error.splitlines() or ["does not parse"])[0])


def _shell_problem(path: Path, text: str) -> tuple[int | None, str] | None:
    result = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)  # the file: its line numbers
    if result.returncode == 0:
        return None
    message = (result.stderr.strip().splitlines() or ["bash -n failed"])[0]
    numbers = [part.strip().removeprefix("line ") for part in message.split(":")[1:3]]
    line = next((int(number) for number in numbers if number.isdigit()), None)
    return line, message.split(": ", 2)[-1]


# A fenced shell block in Markdown is a command a reader pastes: answers in it must be shell words.
_SHELL_FENCE = re.compile(r"^[ \t]*```(?:bash|sh|shell)[ \t]*\n(.*?)^[ \t]*```", re.M | re.S)
# `<your input csv>`: a placeholder the reader replaces, a word of its own once replaced.
_PLACEHOLDER = re.compile(r"<[A-Za-z][^<>\n]*>")


def _markdown_shell_problem(path: Path, text: str) -> tuple[int | None, str] | None:
    """Where `bash -n` refuses the fenced bash/sh blocks of the Markdown file (one run for all of
    them: each block's lines keep their place, so a line of the script maps back to the file)."""
    script = [""] * (text.count("\n") + 1)
    blocks = list(_SHELL_FENCE.finditer(text))
    for match in blocks:
        first = text.count("\n", 0, match.start(1))
        for offset, line in enumerate(_PLACEHOLDER.sub("PLACEHOLDER", match.group(1)).splitlines()):
            script[first + offset] = line
    if not blocks:
        return None
    result = subprocess.run(["bash", "-n"], input="\n".join(script) + "\n", capture_output=True, text=True)
    if result.returncode == 0:
        return None
    message = (result.stderr.strip().splitlines() or ["bash -n failed"])[0]
    numbers = [part.strip().removeprefix("line ") for part in message.split(":")[1:3]]
    return next((int(number) for number in numbers if number.isdigit()), None), message.split(": ", 2)[-1]


_PARSERS: dict[str, tuple[str, Callable[[Path, str], tuple[int | None, str] | None]]] = {
    ".json": ("JSON", _json_problem),
    ".toml": ("TOML", _toml_problem),
    ".tf": ("HCL", _hcl_problem),
    ".tfvars": ("HCL", _hcl_problem),
    ".sh": ("shell", _shell_problem),
    ".md": ("shell in Markdown", _markdown_shell_problem),
}


def _parse_findings(project: Path, path: Path) -> list[Finding]:
    language, parse = _PARSERS[path.suffix]
    problem = _parsed_once(language, path, parse)
    return [] if problem is None else [_parse_finding(_relative(project, path), language, *problem)]


def _plain_is_itself(value: str) -> bool:
    """True when `value` as a plain scalar reads back as that same string. Answers like `yes`,
    `null` or `1.10` are not: the template's own `on:`/`true` would look like them, so this check
    skips them and the escaping audit test (tests/test_escaping.py) covers them by parsing."""
    try:
        return yamlio.load(value) == value
    except yaml.YAMLError:
        return False


@reads("**/*.yml", "**/*.yaml", "**/*.json", "**/*.toml", "**/*.tf", "**/*.tfvars", "**/*.sh", "**/*.md", ANSWERS_FILE)
def answers_escaped(project: Path) -> list[Finding]:
    """Every YAML, JSON, TOML, HCL and shell file parses, and so does every shell block of the
    Markdown; no YAML plain scalar is an answer, and no line starts with what followed a line break
    in an answer."""
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
        elif path.suffix in _PARSERS:
            findings += _parse_findings(project, path)
    return findings


CHECKS = (answers_escaped,)
