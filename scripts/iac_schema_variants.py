"""Render each distinct IaC variant once and run the IaC schema check over it: prints every
finding, then how many distinct inputs the check sees and what it costs (docs/performance.md).

The IaC depends only on iac, deployment_targets, batch_scoring, r_training and canary_release, so
these renderings cover every combination of the matrix for this check. Usage:
    python scripts/iac_schema_variants.py [DEST]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from mlops_scaffold import fast_rendering
from mlops_scaffold.checks.base import content_key
from mlops_scaffold.checks.iac_schema import READS, iac_schemas
from mlops_scaffold.matrix import full_answers, valid_combinations
from mlops_scaffold.matrix_runner import snapshot_template
from mlops_scaffold.render import CHECKOUT_ROOT, render_project

KEYS = ("iac", "deployment_targets", "batch_scoring", "r_training", "canary_release")


def main() -> int:
    fast_rendering.enable()
    dest = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="iac-variants-"))
    template = snapshot_template(CHECKOUT_ROOT, dest / "template")
    combinations = valid_combinations()
    variants = {}
    for combination in combinations:
        variants.setdefault(repr([combination.answers.get(name) for name in KEYS]), combination)
    total, seconds, distinct = 0, [], set()
    for number, combination in enumerate(variants.values()):
        project = dest / f"v{number}-{combination.id}"
        if not project.is_dir():
            render_project(project, full_answers(combination), template=template)
        distinct.add(content_key(project, READS))
        started = time.process_time()  # CPU time: on a shared machine wall time measures the neighbours
        findings = iac_schemas(project)
        seconds.append(time.process_time() - started)
        total += len(findings)
        for finding in findings:
            print(f"{combination.id}: {finding}")
    print(
        f"{len(combinations)} combinations, {len(variants)} IaC variants, {len(distinct)} distinct check inputs: "
        f"{total} findings. Check CPU time: first {seconds[0]:.2f} s (loads the schemas), then median "
        f"{statistics.median(seconds[1:]):.3f} s, max {max(seconds[1:]):.3f} s, total {sum(seconds):.1f} s"
    )
    return 1 if total else 0


if __name__ == "__main__":
    raise SystemExit(main())
