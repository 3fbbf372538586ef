"""The IaC pipelines read only outputs that exist: every `terraform output NAME` is an output
of the Terraform module and every `properties.outputs.NAME` an output of the ARM template. A
renamed or dropped output would otherwise surface only as an empty variable mid-deployment.
"""

from __future__ import annotations

import re
from pathlib import Path

from mlops_scaffold.checks.base import Finding, reads
from mlops_scaffold.checks.iac._common import ARM_DIR, TF_DIR, _iac_pipelines, _line_of, _rel
from mlops_scaffold.checks.iac.arm import _arm_outputs
from mlops_scaffold.checks.iac.terraform import load_terraform

_TF_OUTPUT_USE = re.compile(r"terraform output(?: -raw| -json)? ([a-z0-9_]+)")
_ARM_OUTPUT_USE = re.compile(r"properties\.outputs\.([A-Za-z0-9_]+)")


@reads("environment_setup/**/*", ".github/workflows/iac-*.yml")
def pipeline_outputs(project: Path) -> list[Finding]:
    """The outputs the IaC pipelines read (`terraform output NAME`, `properties.outputs.NAME`) exist."""
    findings: list[Finding] = []
    scratch: list[Finding] = []
    module = load_terraform(project, scratch)
    tf_outputs = set(module.named("output")) if module else set()
    arm_outputs = _arm_outputs(project) if (project / ARM_DIR).is_dir() else None
    for pipeline in _iac_pipelines(project):
        text = pipeline.read_text(encoding="utf-8")
        relative = _rel(project, pipeline)
        for pattern, outputs, flavour in (
            (_TF_OUTPUT_USE, tf_outputs, TF_DIR),
            (_ARM_OUTPUT_USE, arm_outputs, ARM_DIR),
        ):
            for match in pattern.finditer(text):
                name = match.group(1)
                if outputs is None or (module is None and flavour == TF_DIR) or name not in outputs:
                    findings.append(
                        Finding(relative, _line_of(text, match.group(0)), f"reads output {name}, which {flavour} lacks")
                    )
    return findings
