"""`mlops-scaffold`: a thin command line over the library (render, options, checks, matrix, lifecycle).

Exit codes: 0 success, 1 findings or failures, 2 bad input (one line on stderr, no traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mlops_scaffold.destination import DestinationError
from mlops_scaffold.lifecycle import cli as lifecycle_cli
from mlops_scaffold.matrix import cli as matrix_cli
from mlops_scaffold.options import (
    QUESTIONS,
    QUESTIONS_BY_NAME,
    AnswerError,
    Derived,
    answer_message,
    parse_cli_value,
)
from mlops_scaffold.project_files import ANSWERS_FILE
from mlops_scaffold.venvs import InterpreterNotFound

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit code 2."""


def _parse_data(pairs: Sequence[str]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator:
            raise UsageError(f"-d {pair!r}: expected key=value")
        data[key.strip()] = parse_cli_value(key.strip(), value)
    return data


def _cmd_new(args: argparse.Namespace) -> int:
    from mlops_scaffold.destination import check_destination, replaced_files, snapshot
    from mlops_scaffold.render import default_template_source, render_project

    data = _parse_data(args.data)
    dest = Path(args.dest).absolute()
    check_destination(dest, overwrite=args.overwrite)
    template = args.template or default_template_source()
    before = snapshot(dest)
    if args.defaults:
        render_project(dest, data, template=template, vcs_ref=args.vcs_ref, quiet=False, overwrite=args.overwrite)
    else:
        # Interactive: check what was given now, copier asks (and validates) the rest.
        if not sys.stdin.isatty():
            raise UsageError("no terminal to ask the questions on: pass --defaults (and -d NAME=VALUE answers)")
        for name, value in data.items():
            problem = QUESTIONS_BY_NAME[name].problem(value)
            if problem:
                raise AnswerError(answer_message(name, value, problem))
        import copier

        from mlops_scaffold.copier_compat import fast_rendering

        with fast_rendering():
            copier.run_copy(template, dest, data=data, vcs_ref=args.vcs_ref, overwrite=args.overwrite, unsafe=False)
    replaced = replaced_files(dest, before)
    if replaced:
        print(
            f"mlops-scaffold: --overwrite replaced {len(replaced)} existing file(s) with the template's version: "
            f"{', '.join(replaced)}",
            file=sys.stderr,
        )
    return EXIT_OK


def _describe_default(default: Any) -> Any:
    if isinstance(default, Derived):
        return default.jinja
    return list(default) if isinstance(default, tuple) else default


def options_table() -> list[dict[str, Any]]:
    """The questions as plain data: what `options --json` prints."""
    return [
        {
            "name": question.name,
            "help": question.help,
            "type": question.type,
            "default": _describe_default(question.default),
            "choices": list(question.choices),
            "multiselect": question.multiselect,
            "when": question.when.jinja(),
            "rule": question.rule.message if question.rule else None,
            "axis": question.axis,
        }
        for question in QUESTIONS
    ]


def _allowed(row: dict[str, Any]) -> str:
    if row["choices"]:
        return ("any of " if row["multiselect"] else "") + ", ".join(row["choices"])
    if row["type"] == "bool":
        return "true, false"
    if row["name"] == "location":
        return "an Azure region code"
    return f"must {row['rule']}" if row["rule"] else "any text"


def options_markdown() -> str:
    """The questions as the Markdown table README.md carries (a test keeps the two equal)."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = ["| Question | Default | Allowed | Asked when |", "| --- | --- | --- | --- |"]
    for row in options_table():
        default = json.dumps(row["default"], ensure_ascii=False)
        when = "always" if row["when"] == "true" else f"`{row['when']}`"
        lines.append(
            f"| `{row['name']}`: {cell(row['help'])} | `{cell(default)}` | {cell(_allowed(row))} | {cell(when)} |"
        )
    return "\n".join(lines) + "\n"


def _cmd_options(args: argparse.Namespace) -> int:
    rows = options_table()
    if args.markdown:
        print(options_markdown(), end="")
        return EXIT_OK
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return EXIT_OK
    headers = ("question", "default", "allowed", "asked when")
    table = [
        (
            row["name"],
            json.dumps(row["default"], ensure_ascii=False),
            _allowed(row),
            "always" if row["when"] == "true" else row["when"],
        )
        for row in rows
    ]
    widths = [max(len(str(line[i])) for line in (headers, *table)) for i in range(len(headers))]
    for line in (headers, tuple("-" * width for width in widths), *table):
        print("  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())
    return EXIT_OK


def _cmd_check(args: argparse.Namespace) -> int:
    from mlops_scaffold.checks import run_checks

    project = Path(args.path)
    if not project.is_dir():
        raise UsageError(f"{args.path}: no such directory")
    if not (project / ANSWERS_FILE).is_file():
        # without the answers nothing says what the repo should contain: every check would fail
        raise UsageError(
            f"{args.path}: not a generated project (no {ANSWERS_FILE}; make one with `mlops-scaffold new`)"
        )
    findings = run_checks(project)
    for finding in findings:
        print(finding)
    if findings:
        print(f"{len(findings)} finding(s)", file=sys.stderr)
        return EXIT_FINDINGS
    print(f"ok: {project} passes every check")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mlops-scaffold", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    new = commands.add_parser("new", help="render a new MLOps repository")
    new.add_argument("dest", help="destination directory")
    new.add_argument("-d", "--data", action="append", default=[], metavar="KEY=VALUE", help="answer a question")
    new.add_argument("--defaults", action="store_true", help="use defaults for every unanswered question")
    new.add_argument("--vcs-ref", help="template git ref (tag, branch or commit; HEAD includes local changes)")
    new.add_argument("--template", help="template source (git URL or path); default: this checkout")
    new.add_argument(
        "--overwrite",
        action="store_true",
        help="render into a non-empty folder, replacing files the template writes (each one is listed)",
    )
    new.set_defaults(handler=_cmd_new)

    options = commands.add_parser("options", help="list the questions, defaults and valid values")
    options.add_argument("--json", action="store_true", help="machine-readable output")
    options.add_argument("--markdown", action="store_true", help="the Markdown table README.md carries")
    options.set_defaults(handler=_cmd_options)

    check = commands.add_parser("check", help="run every offline check on a generated repository")
    check.add_argument("path", help="the generated repository")
    check.set_defaults(handler=_cmd_check)

    matrix_cli.register(commands)
    lifecycle_cli.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except (AnswerError, UsageError, InterpreterNotFound, DestinationError) as error:
        print(f"mlops-scaffold: {error}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as error:  # e.g. a folder that stops being writable half-way (copier's wording varies)
        where = f"{error.filename}: {error.strerror or error}" if error.filename else str(error)
        print(f"mlops-scaffold: {where}", file=sys.stderr)
        return EXIT_USAGE
    except ValueError as error:
        # copier reports a failed validator or choice as ValueError; its last line is the reason.
        message = str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
        print(f"mlops-scaffold: {message}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("mlops-scaffold: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
