"""The matrix's JSON report: one per run (or shard), and the merge of the shards' reports."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any


def report(outcomes: Sequence[Any], seconds: float, shard: str | None = None) -> dict:
    """The render tier's report; `ids` lists every combination it covers, so merges can check."""
    failed = [outcome for outcome in outcomes if not outcome.passed]
    return {
        "combinations": len(outcomes),
        "passed": len(outcomes) - len(failed),
        "failed": len(failed),
        "seconds": round(seconds, 1),
        "reused": sum(bool(getattr(outcome, "reused", False)) for outcome in outcomes),
        "shard": shard,
        "ids": [outcome.id for outcome in outcomes],
        "failures": [{k: v for k, v in asdict(outcome).items() if k != "index"} for outcome in failed],
    }


def _missing_shards(reports: Sequence[dict]) -> list[str]:
    shards = [re.fullmatch(r"(\d+)/(\d+)", report.get("shard") or "") for report in reports]
    if not all(shards):
        return []
    totals = {int(found.group(2)) for found in shards}
    if len(totals) != 1:
        raise ValueError(f"the reports come from different shard counts: {sorted(totals)}")
    (total,) = totals
    have = {int(found.group(1)) for found in shards}
    return [f"{k}/{total}" for k in range(1, total + 1) if k not in have]


def merge(reports: Sequence[dict]) -> dict:
    """One report over the union of `reports` (shards of one matrix run). Raises ValueError for
    reports that overlap or leave a shard out, so a merged report always covers what it says."""
    seen: set[str] = set()
    for index, one in enumerate(reports):
        if "ids" not in one:
            raise ValueError(f"report {index + 1} is not a matrix report (no `ids`)")
        overlap = seen & set(one["ids"])
        if overlap:
            raise ValueError(f"combination {sorted(overlap)[0]} is in two reports")
        seen |= set(one["ids"])
    missing = _missing_shards(reports)
    if missing:
        raise ValueError(f"shard(s) {', '.join(missing)} missing from the merge")
    failures = [failure for one in reports for failure in one["failures"]]
    run_failures = [failure for one in reports for failure in one.get("run_failures", [])]
    failed_ids = {failure["id"] for failure in failures + run_failures}
    merged: dict[str, Any] = {
        "combinations": len(seen),
        "passed": len(seen) - len(failed_ids),
        "failed": len(failed_ids),
        "seconds": max((one["seconds"] for one in reports), default=0.0),  # shards run side by side
        "shard_seconds": [one["seconds"] for one in reports],
        "shard": None,
        "ids": [combination for one in reports for combination in one["ids"]],
        "failures": failures,
    }
    if any("render_seconds" in one for one in reports):
        merged["render_seconds"] = max(one.get("render_seconds", 0.0) for one in reports)
    if any("distinct_keys" in one for one in reports):
        keys = {key: value for one in reports for key, value in one.get("keys", {}).items()}
        units: dict[str, float] = {}
        for one in reports:
            for unit, seconds in one.get("run_seconds_by_unit", {}).items():
                units[unit] = round(units.get(unit, 0.0) + seconds, 1)
        merged.update(
            distinct_keys=len(keys),
            runs_passed=sum(bool(value.get("passed")) for value in keys.values()),
            runs_failed=sum(not value.get("passed") for value in keys.values()),
            run_seconds=max(one.get("run_seconds", 0.0) for one in reports),
            runs_cached=sum(one.get("runs_cached", 0) for one in reports),
            run_seconds_by_unit=units,
            keys=keys,
            combination_keys={cid: runs for one in reports for cid, runs in one.get("combination_keys", {}).items()},
            run_failures=run_failures,
        )
    return merged
