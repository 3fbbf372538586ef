"""Render each distinct IaC variant once and run the IaC schema check over it (prints findings).

The IaC depends only on iac, deployment_targets, batch_scoring, r_training and canary_release, so
these few renderings cover every combination of the matrix for this check. Usage:
    python scripts/iac_schema_variants.py [DEST]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from mlops_scaffold import fast_rendering
from mlops_scaffold.checks.iac_schema import iac_schemas
from mlops_scaffold.matrix import full_answers, valid_combinations
from mlops_scaffold.matrix_runner import snapshot_template
from mlops_scaffold.render import CHECKOUT_ROOT, render_project

KEYS = ("iac", "deployment_targets", "batch_scoring", "r_training", "canary_release")


def main() -> int:
    fast_rendering.enable()
    dest = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="iac-variants-"))
    template = snapshot_template(CHECKOUT_ROOT, dest / "template")
    variants = {}
    for combination in valid_combinations():
        key = repr([combination.answers.get(name) for name in KEYS])
        variants.setdefault(key, combination)
    total, seconds = 0, 0.0
    for number, combination in enumerate(variants.values()):
        project = dest / f"v{number}-{combination.id}"
        render_project(project, full_answers(combination), template=template)
        started = time.perf_counter()
        findings = iac_schemas(project)
        seconds += time.perf_counter() - started
        total += len(findings)
        for finding in findings:
            print(f"{combination.id}: {finding}")
    combinations = len(valid_combinations())
    print(f"{len(variants)} IaC variants of {combinations} combinations: {total} findings, check {seconds:.2f}s")
    return 1 if total else 0


if __name__ == "__main__":
    raise SystemExit(main())
