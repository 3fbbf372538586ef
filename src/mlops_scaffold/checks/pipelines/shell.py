"""Shell: every shell script of the project passes `bash -n` and shellcheck, so a syntax error
or an unquoted expansion in a script a pipeline runs is found before the pipeline runs it.
Without shellcheck installed the check says so in one finding instead of passing silently.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from mlops_scaffold.checks.base import Finding, reads, uses
from mlops_scaffold.checks.pipelines.files import _rel, _walk_files


def shell_scripts(project: Path) -> list[Path]:
    return [path for path in _walk_files(project) if path.suffix == ".sh"]


@reads("**/*.sh")
@uses("shellcheck")
def check_shell(project: Path) -> list[Finding]:
    """Every shell script passes `bash -n` and shellcheck."""
    scripts = shell_scripts(project)
    if not scripts:
        return []
    findings: list[Finding] = []
    for script in scripts:
        result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, check=False)
        for line in result.stderr.splitlines():
            found = re.search(r"line (\d+): (.*)", line)
            number = int(found.group(1)) if found else None
            findings.append(Finding(_rel(project, script), number, f"bash -n: {found.group(2) if found else line}"))
    if shutil.which("shellcheck") is None:
        findings.append(Finding(".", None, "shellcheck is not installed: the shell scripts were not linted"))
        return findings
    result = subprocess.run(
        ["shellcheck", "--format=gcc", *(str(script) for script in scripts)],
        capture_output=True,
        text=True,
        check=False,
        cwd=project,
    )
    for line in result.stdout.splitlines():
        found = re.match(r"^(.*?):(\d+):\d+: (\w+): (.*)$", line)
        if found:
            path = Path(found.group(1))
            rel = _rel(project, path if path.is_absolute() else project / path)
            findings.append(Finding(rel, int(found.group(2)), f"shellcheck {found.group(3)}: {found.group(4)}"))
    return findings
