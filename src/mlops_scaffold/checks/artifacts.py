"""No pipeline publishes a file that may carry secrets as an artifact.

Artifacts are readable by everyone who can read the pipeline's runs (on GitHub, every reader of
the repository), for as long as they are kept. A binary Terraform plan or state holds every value
in clear, sensitive ones included; so do Terraform's working folder, key files and .env files.
Each `actions/upload-artifact` path (GitHub Actions) and `publish:` / PublishPipelineArtifact /
PublishBuildArtifacts path (Azure DevOps) is matched against SECRET_BEARING by its last segment.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from mlops_scaffold.checks.base import Finding, reads
from mlops_scaffold.checks.behaviour import PIPELINE_FILES, load
from mlops_scaffold.project_files import Project

# last path segment -> why it may carry secrets
SECRET_BEARING: tuple[tuple[str, str], ...] = (
    (r"(?:.*\.)?tfplan|.*\.plan", "a binary Terraform plan holds every value in clear"),
    (r".*\.tfstate(?:\.backup)?", "Terraform state holds every value in clear"),
    (
        r"\.terraform|tf-templates|\$\(TF_DIR\)|\$\{\{\s*env\.TF_DIR\s*\}\}",
        "the Terraform folder holds plans and state",
    ),
    (r"\.env|.*\.pem|.*\.key|.*\.pfx|.*\.p12|id_rsa.*|\.azure", "a credential file"),
)
PUBLISH_TASK = re.compile(r"^Publish(?:Pipeline|Build)Artifacts?@\d+$")
PATH_INPUTS = ("targetPath", "path", "PathtoPublish")


def _paths(value: Any) -> list[tuple[int, str]]:
    """(line, path) per line of a path value (GitHub accepts one per line)."""
    if not isinstance(value, str):
        return []
    first = getattr(value, "line", 0) + (1 if getattr(value, "block", False) else 0)
    return [
        (first + offset if getattr(value, "block", False) else first, text.strip())
        for offset, text in enumerate(str(value).splitlines())
        if text.strip() and not text.strip().startswith("!")
    ]


def _published(node: Any) -> list[tuple[int, str]]:
    """Every published path in a parsed pipeline, wherever its step sits."""
    found: list[tuple[int, str]] = []
    if isinstance(node, list):
        for item in node:
            found += _published(item)
    elif isinstance(node, dict):
        uses = node.get("uses")
        if isinstance(uses, str) and uses.split("@")[0] == "actions/upload-artifact":
            found += _paths((node.get("with") or {}).get("path"))
        if "publish" in node:
            found += _paths(node.get("publish"))
        if isinstance(node.get("task"), str) and PUBLISH_TASK.match(str(node["task"])):
            inputs = node.get("inputs") or {}
            found += [path for key in PATH_INPUTS for path in _paths(inputs.get(key))]
        for value in node.values():
            if isinstance(value, (list, dict)):
                found += _published(value)
    return found


@reads(*PIPELINE_FILES)
def check_artifacts(project: Path) -> list[Finding]:
    findings: list[Finding] = []
    opened = Project.of(project)
    files = sorted({path for pattern in PIPELINE_FILES[:-1] for path in opened.glob(pattern)})
    for path in files:
        for line, published in _published(load(path)):
            name = re.split(r"[\\/]", published.rstrip("/"))[-1]
            for pattern, why in SECRET_BEARING:
                if re.fullmatch(pattern, name):
                    message = f"publishes {published} as an artifact: {why}; publish its redacted text or nothing"
                    findings.append(Finding(path.relative_to(project).as_posix(), line, message))
                    break
    return findings


CHECKS = [check_artifacts]
