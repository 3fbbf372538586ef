"""Nothing of a generated repo is open to whoever asks: no anonymous scoring endpoint, no floating
GitHub Action reference.

- action pins: every external `uses:` is `owner/repo@<40-hex commit sha> # vX.Y.Z`, the version
  in a comment for the reader and for Dependabot; a tag or branch can be moved to other code.
- dependabot: a repo with GitHub workflows has .github/dependabot.yml keeping those pins current.
- scoring auth: an Azure ML endpoint target takes the auth modes its module allows (ENDPOINT_AUTH:
  tokens, never keys); every other rule on a target's exposure is a check in its module
  (EXPOSURE_CHECKS of mlops_scaffold/targets/<target>.py), e.g. no public address, or 401 without
  a token in the IaC (ARM or Terraform) and in the deploy template.
"""

from __future__ import annotations

import re
from pathlib import Path

from mlops_scaffold import targets
from mlops_scaffold.checks.base import Finding, reads
from mlops_scaffold.model import line_of

WORKFLOW_GLOBS = (".github/workflows/*.yml", ".github/workflows/*.yaml", ".github/actions/*/action.yml")
USES = re.compile(r"^\s*-?\s*uses:\s*['\"]?(?P<ref>[^'\"\s#]+)['\"]?\s*(?:#\s*(?P<comment>\S.*))?$")
PINNED = re.compile(r"^[\w.\-]+/[\w.\-/]+@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"^v\d+(\.\d+){0,2}\b")
DEPENDABOT = ".github/dependabot.yml"
DEPLOY = Path("ml_service/deploy")
# The files the targets' exposure checks read (each module's EXPOSURE_READS).
TARGET_FILES = tuple(dict.fromkeys(targets.collect("EXPOSURE_READS")))
AUTH_MODE = re.compile(r"""auth_mode\s*=\s*["'](?P<mode>\w+)["']""")
# What each Azure ML endpoint target may accept: tokens only, Entra ID where the service offers it.
ALLOWED_AUTH = {
    f"{targets.value(module)}.py": module.ENDPOINT_AUTH for module in targets.with_attribute("ENDPOINT_AUTH")
}


def _workflows(project: Path) -> list[Path]:
    return sorted({path for pattern in WORKFLOW_GLOBS for path in project.glob(pattern) if path.is_file()})


def _rel(project: Path, path: Path) -> str:
    return path.relative_to(project).as_posix()


@reads(*WORKFLOW_GLOBS)
def check_action_pins(project: Path) -> list[Finding]:
    """Every external action pinned to a full commit sha with its version in a comment."""
    findings: list[Finding] = []
    for path in _workflows(project):
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
            match = USES.match(line)
            if not match or match.group("ref").startswith(("./", "docker://")):
                continue
            ref, comment = match.group("ref"), match.group("comment") or ""
            if not PINNED.match(ref):
                message = f"{ref} is a floating action ref: pin a full commit sha (owner/repo@<40 hex> # vX.Y.Z)"
                findings.append(Finding(_rel(project, path), number, message))
            elif not VERSION_COMMENT.match(comment):
                message = f"{ref} has no version comment: add `# vX.Y.Z` (the release that sha is)"
                findings.append(Finding(_rel(project, path), number, message))
    return findings


@reads(*WORKFLOW_GLOBS, DEPENDABOT)
def check_dependabot(project: Path) -> list[Finding]:
    """A repo with GitHub workflows has a Dependabot config for its action pins."""
    if not _workflows(project):
        return []
    path = project / DEPENDABOT
    if not path.is_file():
        return [Finding(DEPENDABOT, None, "missing: nothing keeps the action pins of the workflows current")]
    if not re.search(r"package-ecosystem:\s*['\"]?github-actions", path.read_text(encoding="utf-8")):
        return [Finding(DEPENDABOT, None, "has no github-actions update: the action pins would go stale")]
    return []


def _endpoint_auth(project: Path) -> list[Finding]:
    findings: list[Finding] = []
    for name, allowed in ALLOWED_AUTH.items():
        path = project / DEPLOY / name
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        modes = [(match.group("mode"), line_of(text, match.group(0))) for match in AUTH_MODE.finditer(text)]
        if not modes:
            findings.append(Finding(_rel(project, path), None, "the endpoint sets no auth_mode (the default is key)"))
        for mode, line in modes:
            if mode not in allowed:
                wanted = " or ".join(sorted(allowed))
                findings.append(Finding(_rel(project, path), line, f"auth_mode {mode}: use {wanted}, never keys"))
    return findings


@reads("ml_service/deploy/*.py", *TARGET_FILES)
def check_scoring_auth(project: Path) -> list[Finding]:
    """No deployment target serves /score to anonymous callers, nor takes a static key."""
    return [
        *_endpoint_auth(project),
        *(finding for check in targets.collect("EXPOSURE_CHECKS") for finding in check(project)),
    ]


CHECKS = [check_action_pins, check_dependabot, check_scoring_auth]
