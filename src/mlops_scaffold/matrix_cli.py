"""`mlops-scaffold matrix`: list the valid combinations, or render and check all of them."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from mlops_scaffold.matrix import valid_combinations


def _cmd_matrix(args: argparse.Namespace) -> int:
    from mlops_scaffold.matrix_runner import Progress, report, run_render_tier

    combinations = valid_combinations()
    if args.json and not args.run:
        print(
            json.dumps({"count": len(combinations), "combinations": [dict(c.answers, id=c.id) for c in combinations]})
        )
        return 0
    if not args.run:
        print(f"{len(combinations)} valid combinations")
        for combination in combinations:
            print(combination.id)
        return 0
    started = time.perf_counter()
    progress = Progress(len(combinations))
    with tempfile.TemporaryDirectory(prefix="mlops-matrix-") as workdir:
        outcomes = run_render_tier(
            combinations, Path(workdir), jobs=args.jobs, cache_dir=Path(args.cache_dir), on_outcome=progress.advance
        )
    summary = report(outcomes, time.perf_counter() - started)
    Path(args.report).parent.mkdir(parents=True, exist_ok=True)
    Path(args.report).write_text(json.dumps(summary, indent=2))
    _print_table(summary)
    for failure in summary["failures"]:
        print(f"\nFAILED {failure['id']}\n  reproduce: {failure['reproduce']}", file=sys.stderr)
        for line in ([failure["error"]] if failure["error"] else []) + failure["findings"][:20]:
            print(f"  {line}", file=sys.stderr)
    print(f"report: {args.report}")
    return 1 if summary["failed"] else 0


def _print_table(summary: dict) -> None:
    rows = [("combinations", summary["combinations"]), ("passed", summary["passed"])]
    rows += [("failed", summary["failed"]), ("seconds", summary["seconds"])]
    for name, value in rows:
        print(f"{name:<14}{value:>10}")


def register(commands: argparse._SubParsersAction) -> None:
    matrix = commands.add_parser("matrix", help="list, or render and check, every valid combination of options")
    matrix.add_argument("--list", action="store_true", help="print the count, then one combination per line (default)")
    matrix.add_argument("--json", action="store_true", help="machine-readable list")
    matrix.add_argument("--run", action="store_true", help="render and check every combination")
    matrix.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="parallel processes (default: cores)")
    matrix.add_argument("--report", default="build/matrix-report.json", help="where --run writes its JSON report")
    matrix.add_argument("--cache-dir", default=".cache/checks", help="content-keyed cache of slow checks")
    matrix.set_defaults(handler=_cmd_matrix)
