"""`mlops-scaffold matrix`: list the valid combinations, render and check them (optionally a
shard or a few of them), or merge the JSON reports of shards."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from mlops_scaffold.matrix.combinations import Combination, parse_shard, shard, valid_combinations
from mlops_scaffold.venvs import CACHE_ROOT


class SelectionError(ValueError):
    """A bad --only, --limit or --shard: one line, exit code 2."""


def select(args: argparse.Namespace) -> list[Combination]:
    """The combinations this invocation covers: --only, then --shard, then --limit."""
    combinations = valid_combinations()
    if args.only:
        wanted = [name for item in args.only for name in item.split(",") if name]
        known = {combination.id for combination in combinations}
        unknown = [name for name in wanted if name not in known]
        if unknown:
            raise SelectionError(f"--only {unknown[0]}: no such combination (see `mlops-scaffold matrix --list`)")
        combinations = [combination for combination in combinations if combination.id in set(wanted)]
    if args.shard:
        combinations = shard(combinations, *parse_shard(args.shard))
    if args.limit is not None:
        if args.limit < 1:
            raise SelectionError(f"--limit {args.limit}: expected a positive number")
        combinations = combinations[: args.limit]
    return combinations


def _cmd_matrix(args: argparse.Namespace) -> int:
    from mlops_scaffold.matrix.progress import Progress
    from mlops_scaffold.matrix.render_tier import run_render_tier
    from mlops_scaffold.matrix.report import report

    combinations = select(args)
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
    with tempfile.TemporaryDirectory(prefix="mlops-matrix-") as workdir:
        print(f"render tier: {len(combinations)} combinations", file=sys.stderr)
        progress = Progress(len(combinations))
        outcomes = run_render_tier(
            combinations,
            Path(workdir),
            jobs=args.jobs,
            cache_dir=Path(args.cache_dir),
            on_outcome=lambda outcome: progress.advance(outcome.id, outcome.passed),
            venv_cache=Path(args.venv_cache),
        )
        render_seconds = time.perf_counter() - started
        runs = None
        if not args.render_only:
            runs = _run_tier(args, combinations, outcomes, Path(workdir))
    summary = report(outcomes, time.perf_counter() - started, shard=args.shard)
    summary["render_seconds"] = round(render_seconds, 1)
    if runs is not None:
        summary.update(runs)
        failed_ids = {failure["id"] for failure in summary["failures"]} | {f["id"] for f in runs["run_failures"]}
        summary["passed"], summary["failed"] = len(combinations) - len(failed_ids), len(failed_ids)
    return _write_and_print(summary, args.report)


def _write_and_print(summary: dict, path: str) -> int:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(summary, indent=2))
    _print_table(summary)
    for failure in summary["failures"] + summary.get("run_failures", []):
        print(f"\nFAILED {failure['id']}\n  reproduce: {failure['reproduce']}", file=sys.stderr)
        for line in ([failure["error"]] if failure.get("error") else []) + failure["findings"][:20]:
            print(f"  {line}", file=sys.stderr)
    print(f"report: {path}")
    return 1 if summary["failed"] else 0


def _cmd_merge(args: argparse.Namespace) -> int:
    from mlops_scaffold.matrix.report import merge

    reports = []
    for path in args.reports:
        try:
            reports.append(json.loads(Path(path).read_text()))
        except (OSError, ValueError) as error:
            raise SelectionError(f"{path}: not a readable JSON report ({type(error).__name__})") from None
    return _write_and_print(merge(reports), args.report)


def _run_tier(args: argparse.Namespace, combinations, outcomes, workdir: Path) -> dict:
    """Every combination's generated tests and local loop, each distinct run once."""
    from mlops_scaffold.matrix.progress import Progress
    from mlops_scaffold.matrix.run_tier.runner import plan_tasks, run_run_tier
    from mlops_scaffold.matrix.run_tier.sharing import core_runs_by_environment, unshared
    from mlops_scaffold.matrix.run_tier.units import CORE_UNITS

    started = time.perf_counter()
    indexes = {outcome.id: outcome.index for outcome in outcomes}
    tasks = plan_tasks(combinations, indexes)[0]
    print(f"run tier: {len(tasks)} tasks (units with distinct run-relevant files)", file=sys.stderr)
    progress = Progress(len(tasks))
    runs, results = run_run_tier(
        combinations,
        indexes,
        workdir / "_template",
        workdir / "runs",
        Path(args.run_cache_dir),
        jobs=args.jobs,
        on_result=lambda task, result: progress.advance(f"{task.unit.name} {task.combination.id}", result.passed),
        venv_cache=Path(args.venv_cache),
    )
    answers = {combination.id: dict(combination.answers) for combination in combinations}
    run_failures = []
    for combination_runs in runs.values():
        failed = [results[key] for key in combination_runs.runs.values() if not results[key].passed]
        if failed or combination_runs.error:
            findings = [f"{r.unit} (ran in {r.combination}): {'; '.join(r.failures) or 'failed'}" for r in failed]
            run_failures.append(
                {
                    "id": combination_runs.id,
                    "answers": answers[combination_runs.id],
                    "reproduce": combination_runs.reproduce,
                    "error": combination_runs.error,
                    "findings": findings,
                }
            )
    versions = {combination.id: combination.answers["python_version"] for combination in combinations}
    combination_keys = {combination_id: c.runs for combination_id, c in runs.items()}
    # A core test that depends on options makes the matrix slow, not wrong: a warning here, a
    # failure in the test suite (tests/test_matrix.py).
    not_shared = [
        f"{unit} in {line}"
        for unit in CORE_UNITS
        for line in unshared(core_runs_by_environment(versions, indexes, combination_keys, unit))
    ]
    for line in not_shared:
        print(f"warning: not shared as a core unit should be: {line}", file=sys.stderr)
    ran_here = [result for result in results.values() if not result.cached]
    units = sorted({result.unit for result in ran_here})
    return {
        "distinct_keys": len(results),
        "runs_passed": sum(result.passed for result in results.values()),
        "runs_failed": sum(not result.passed for result in results.values()),
        "run_seconds": round(time.perf_counter() - started, 1),
        "runs_cached": len(results) - len(ran_here),
        "run_seconds_by_unit": {unit: round(sum(r.seconds for r in ran_here if r.unit == unit), 1) for unit in units},
        "keys": {key: {k: v for k, v in result.__dict__.items() if k != "log_tail"} for key, result in results.items()},
        "combination_keys": combination_keys,
        "core_not_shared": not_shared,
        "run_failures": run_failures,
    }


def _print_table(summary: dict) -> None:
    rows = [("combinations", summary["combinations"])]
    if "distinct_keys" in summary:
        rows.append(("distinct keys", summary["distinct_keys"]))
    rows += [("passed", summary["passed"]), ("failed", summary["failed"]), ("seconds", summary["seconds"])]
    for name, value in rows:
        print(f"{name:<14}{value:>10}")


def register(commands: argparse._SubParsersAction) -> None:
    matrix = commands.add_parser(
        "matrix",
        help="list, or render and check, every valid combination of options; `matrix merge` joins shard reports",
    )
    matrix.add_argument("--list", action="store_true", help="print the count, then one combination per line (default)")
    matrix.add_argument("--json", action="store_true", help="machine-readable list")
    matrix.add_argument("--run", action="store_true", help="render, check and run the selected combinations")
    matrix.add_argument("--render-only", action="store_true", help="with --run: the render tier only")
    matrix.add_argument(
        "--only", action="append", default=[], metavar="ID[,ID…]", help="only these combinations (ids from --list)"
    )
    matrix.add_argument("--shard", metavar="K/N", help="the K-th of N deterministic, disjoint parts (CI job matrix)")
    matrix.add_argument("--limit", type=int, metavar="N", help="only the first N selected combinations")
    matrix.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="parallel processes (default: cores)")
    matrix.add_argument("--report", default="build/matrix-report.json", help="where --run writes its JSON report")
    matrix.add_argument("--cache-dir", default=str(CACHE_ROOT / "checks"), help="content-keyed cache of slow checks")
    matrix.add_argument(
        "--run-cache-dir", default=str(CACHE_ROOT / "runs"), help="recorded dependencies and passing runs"
    )
    matrix.add_argument(
        "--venv-cache",
        default=str(CACHE_ROOT),
        help="where the generated projects' shared venvs are built and reused (default: $MLOPS_SCAFFOLD_CACHE, "
        "else .cache in the checkout)",
    )
    matrix.set_defaults(handler=_cmd_matrix)
    subcommands = matrix.add_subparsers(dest="matrix_command", required=False)
    merge = subcommands.add_parser("merge", help="join the JSON reports of shards into one")
    merge.add_argument("reports", nargs="+", metavar="REPORT", help="JSON reports of `matrix --run --shard K/N`")
    merge.add_argument("--report", default="build/matrix-report.json", help="where the merged report goes")
    merge.set_defaults(handler=_cmd_merge)
