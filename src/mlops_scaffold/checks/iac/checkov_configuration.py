"""The generated `.checkov.yaml`: it exists, is YAML, and lists each skipped checkov check on a
line of its own with a justification comment. A skip without a reason hides a finding nobody can
review, so the configuration is checked offline here; running checkov itself is checkov.py's job.
"""

from __future__ import annotations

import re
from pathlib import Path

from mlops_scaffold import yamlio
from mlops_scaffold.checks.base import Finding, reads
from mlops_scaffold.checks.iac._common import CHECKOV_CONFIG, _line_of

_SKIP_LINE = re.compile(r"^\s*-\s*(?P<id>CKV2?_[A-Z0-9_]+)\s*(?:#\s*(?P<reason>.*?))?\s*$")


def checkov_skips(text: str) -> dict[str, str]:
    """skip-check IDs of a .checkov.yaml -> their one-line justification ('' when missing).

    The justification is the comment on the skip's own line: `  - CKV_AZURE_35  # reason`."""
    skips: dict[str, str] = {}
    in_skips = False
    for line in text.splitlines():
        if re.match(r"^skip-check\s*:", line):
            in_skips = True
            continue
        if in_skips and re.match(r"^\S", line) and not line.startswith("#"):
            in_skips = False
        if in_skips:
            match = _SKIP_LINE.match(line)
            if match:
                skips[match.group("id")] = (match.group("reason") or "").strip()
    return skips


@reads(".checkov.yaml")
def checkov_config(project: Path) -> list[Finding]:
    """.checkov.yaml exists, is YAML, and every skipped check carries a justification comment."""
    import yaml

    path = project / CHECKOV_CONFIG
    if not path.is_file():
        return [Finding(CHECKOV_CONFIG, None, "missing: checkov needs it to scan the IaC")]
    text = path.read_text(encoding="utf-8")
    try:
        config = yamlio.load(text) or {}
    except yaml.YAMLError as error:
        return [Finding(CHECKOV_CONFIG, None, f"not valid YAML: {error}")]
    listed = [str(item) for item in config.get("skip-check", []) or []]
    parsed = checkov_skips(text)
    findings = []
    for check_id in listed:
        if check_id not in parsed:
            findings.append(Finding(CHECKOV_CONFIG, _line_of(text, check_id), f"skip {check_id} is not one per line"))
        elif len(parsed[check_id]) < 10:
            findings.append(Finding(CHECKOV_CONFIG, _line_of(text, check_id), f"skip {check_id} has no justification"))
    return findings
