"""`mlops-scaffold update` and `mlops-scaffold fleet status|update`; the main CLI calls register().

Exit codes: 0 ok, 1 conflicts or failed repos, 2 refused or bad input (one line on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

EXIT_OK, EXIT_CONFLICTS, EXIT_REFUSED = 0, 1, 2


def _refuse(message: str) -> int:
    print(f"mlops-scaffold: {message}", file=sys.stderr)
    return EXIT_REFUSED


def _answers(pairs: list[str]) -> dict[str, Any]:
    """`-d key=value` answers to change on the way, checked against the options model."""
    from mlops_scaffold.options import QUESTIONS_BY_NAME, AnswerError, answer_message, parse_cli_value

    data: dict[str, Any] = {}
    for pair in pairs:
        key, separator, text = pair.partition("=")
        if not separator:
            raise AnswerError(f"-d {pair!r}: expected key=value")
        value = parse_cli_value(key.strip(), text)
        problem = QUESTIONS_BY_NAME[key.strip()].problem(value)
        if problem:
            raise AnswerError(answer_message(key.strip(), value, problem))
        data[key.strip()] = value
    return data


def cmd_update(args: argparse.Namespace) -> int:
    from mlops_scaffold.lifecycle.update import UpdateRefused, format_result, update_project
    from mlops_scaffold.options import AnswerError

    try:
        data = _answers(args.data)
        result = update_project(
            args.path, vcs_ref=args.vcs_ref, conflict=args.conflict, pretend=args.pretend, data=data
        )
    except (UpdateRefused, AnswerError) as error:
        return _refuse(str(error))
    print(format_result(result))
    return EXIT_CONFLICTS if result.conflicts else EXIT_OK


def cmd_fleet_status(args: argparse.Namespace) -> int:
    from mlops_scaffold.lifecycle.fleet import fleet_status, format_status

    statuses = fleet_status(args.dirs)
    if args.json:
        print(json.dumps([status.as_json() for status in statuses], indent=2))
    else:
        print(format_status(statuses))
    return EXIT_CONFLICTS if any(status.error for status in statuses) else EXIT_OK


def cmd_fleet_update(args: argparse.Namespace) -> int:
    from mlops_scaffold.lifecycle.fleet import CONFLICTS, FAILED, fleet_update, format_update

    rows = fleet_update(args.dirs, branch=args.branch)
    print(format_update(rows))
    return EXIT_CONFLICTS if any(row.outcome in (CONFLICTS, FAILED) for row in rows) else EXIT_OK


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `update` and `fleet` to the `mlops-scaffold` command line."""
    update = subparsers.add_parser(
        "update",
        help="update a generated repo to a newer template version (exit 1 on conflicts)",
        description="Run copier's update (trusting only this template's own migrations), then list every "
        "conflict it left (unmerged files, conflict markers, .rej files) and the changelog in between.",
    )
    update.add_argument("path", nargs="?", default=".", help="the generated repo (default: .)")
    update.add_argument("--vcs-ref", help="template version to update to (default: the latest vX.Y.Z tag)")
    update.add_argument(
        "--conflict",
        choices=("inline", "rej"),
        default="inline",
        help="conflicts as inline markers (default) or .rej files",
    )
    update.add_argument("--pretend", action="store_true", help="update a throw-away clone; change nothing")
    update.add_argument(
        "-d", "--data", action="append", default=[], metavar="KEY=VALUE", help="change an answer on the way"
    )
    update.set_defaults(handler=cmd_update)

    fleet = subparsers.add_parser("fleet", help="template versions of many generated repos; update them")
    fleet_commands = fleet.add_subparsers(dest="fleet_command", required=True)
    status = fleet_commands.add_parser("status", help="per repo: template, current/latest version, tree, conflicts")
    status.add_argument("dirs", nargs="+", metavar="DIR", help="generated repos")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(handler=cmd_fleet_status)
    fleet_update = fleet_commands.add_parser(
        "update", help="update every clean repo on a new branch and commit; dirty repos are skipped"
    )
    fleet_update.add_argument("dirs", nargs="+", metavar="DIR", help="generated repos")
    fleet_update.add_argument("--branch", help="branch to create in each repo (default: template-update-<version>)")
    fleet_update.set_defaults(handler=cmd_fleet_update)
