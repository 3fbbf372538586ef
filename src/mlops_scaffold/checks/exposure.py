"""Nothing of a generated repo is open to whoever asks: no anonymous scoring endpoint, no floating
GitHub Action reference.

- action pins: every external `uses:` is `owner/repo@<40-hex commit sha> # vX.Y.Z`, the version
  in a comment for the reader and for Dependabot; a tag or branch can be moved to other code.
- dependabot: a repo with GitHub workflows has .github/dependabot.yml keeping those pins current.
- scoring auth: the managed online endpoint takes Entra ID tokens (aad_token), the Kubernetes one
  tokens (never keys); the ACI container group has no public address; the web app answers 401
  without a token, in the IaC (ARM or Terraform) and in the deploy template.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from mlops_scaffold.checks.base import Finding, reads

WORKFLOW_GLOBS = (".github/workflows/*.yml", ".github/workflows/*.yaml", ".github/actions/*/action.yml")
USES = re.compile(r"^\s*-?\s*uses:\s*['\"]?(?P<ref>[^'\"\s#]+)['\"]?\s*(?:#\s*(?P<comment>\S.*))?$")
PINNED = re.compile(r"^[\w.\-]+/[\w.\-/]+@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"^v\d+(\.\d+){0,2}\b")
DEPENDABOT = ".github/dependabot.yml"
DEPLOY = Path("ml_service/deploy")
AUTH_MODE = re.compile(r"""auth_mode\s*=\s*["'](?P<mode>\w+)["']""")
# What each Azure ML endpoint target may accept: tokens only, Entra ID where the service offers it.
ALLOWED_AUTH = {"online_endpoint.py": {"aad_token"}, "aks.py": {"aad_token", "aml_token"}}
ARM_TEMPLATE = "environment_setup/arm-templates/cloud-environment.json"
TF_MAIN = "environment_setup/tf-templates/main.tf"
REFUSING = {"Return401", "Return403", "RedirectToLoginPage"}


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


def _line_of(text: str, needle: str, start: int = 0) -> int:
    index = text.find(needle, start)
    return text.count("\n", 0, index) + 1 if index >= 0 else 1


def _endpoint_auth(project: Path) -> list[Finding]:
    findings: list[Finding] = []
    for name, allowed in ALLOWED_AUTH.items():
        path = project / DEPLOY / name
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        modes = [(match.group("mode"), _line_of(text, match.group(0))) for match in AUTH_MODE.finditer(text)]
        if not modes:
            findings.append(Finding(_rel(project, path), None, "the endpoint sets no auth_mode (the default is key)"))
        for mode, line in modes:
            if mode not in allowed:
                wanted = " or ".join(sorted(allowed))
                findings.append(Finding(_rel(project, path), line, f"auth_mode {mode}: use {wanted}, never keys"))
    return findings


def _aci(project: Path) -> list[Finding]:
    path = project / DEPLOY / "aci.py"
    if not path.is_file():
        return []
    text = path.read_text(encoding="utf-8")
    public = re.search(r"""["']type["']\s*:\s*["']Public["']|dnsNameLabel""", text)
    if public:
        message = "the container group has a public address: ACI is a private test target inside its VNet"
        return [Finding(_rel(project, path), _line_of(text, public.group(0)), message)]
    if not re.search(r"""["']type["']\s*:\s*["']Private["']""", text) or "subnetIds" not in text:
        return [Finding(_rel(project, path), None, "the container group is not placed in a subnet with a private IP")]
    return []


def _refuses(properties: Any) -> bool:
    validation = (properties or {}).get("globalValidation") or {}
    return validation.get("requireAuthentication") is True and validation.get("unauthenticatedClientAction") in REFUSING


def _arm_web_apps(project: Path) -> list[Finding]:
    path = project / ARM_TEMPLATE
    if not path.is_file():
        return []
    text = path.read_text(encoding="utf-8")
    try:
        resources = json.loads(text).get("resources", [])
    except ValueError:
        return []  # the IaC checks report a template that does not parse
    sites = [r for r in resources if isinstance(r, dict) and r.get("type") == "Microsoft.Web/sites"]
    top_level = [r for r in resources if isinstance(r, dict) and r.get("type") == "Microsoft.Web/sites/config"]
    findings = []
    for site in sites:
        configs = [r for r in site.get("resources", []) if isinstance(r, dict) and r.get("type") == "config"]
        auth = [r for r in configs + top_level if str(r.get("name", "")).endswith("authsettingsV2")]
        if not any(_refuses(r.get("properties")) for r in auth):
            line = _line_of(text, '"type": "Microsoft.Web/sites"')
            message = "the web app serves /score anonymously: add authsettingsV2 requiring authentication (401)"
            findings.append(Finding(ARM_TEMPLATE, line, message))
    return findings


def _hcl_block(text: str, start: int) -> str:
    """The text of the block whose `{` is the first one at or after `start` (braces balanced)."""
    opening = text.find("{", start)
    depth = 0
    for index in range(opening, len(text)):
        depth += {"{": 1, "}": -1}.get(text[index], 0)
        if depth == 0:
            return text[opening : index + 1]
    return text[opening:]


def _tf_web_apps(project: Path) -> list[Finding]:
    path = project / TF_MAIN
    if not path.is_file():
        return []
    text = path.read_text(encoding="utf-8")
    findings = []
    for match in re.finditer(r'resource\s+"azurerm_(?:linux|windows)_web_app"\s+"\w+"', text):
        block = _hcl_block(text, match.end())
        auth = re.search(r"auth_settings_v2\s*\{", block)
        settings = _hcl_block(block, auth.start()) if auth else ""
        refuses = all(
            re.search(pattern, settings)
            for pattern in (r"auth_enabled\s*=\s*true", r"require_authentication\s*=\s*true")
        ) and re.search(r'unauthenticated_action\s*=\s*"(Return401|Return403|RedirectToLoginPage)"', settings)
        if not refuses:
            message = "the web app serves /score anonymously: add auth_settings_v2 requiring authentication (401)"
            findings.append(Finding(TF_MAIN, _line_of(text, match.group(0)), message))
    return findings


def _webapp_deploy(project: Path) -> list[Finding]:
    path = project / DEPLOY / "webapp.py"
    if not path.is_file():
        return []
    text = path.read_text(encoding="utf-8")
    if re.search(r"""["']requireAuthentication["']\s*:\s*True""", text) and "Return401" in text:
        return []
    message = "the deploy template does not require authentication: the web app would serve /score anonymously"
    return [Finding(_rel(project, path), _line_of(text, "def web_app"), message)]


@reads("ml_service/deploy/*.py", ARM_TEMPLATE, TF_MAIN)
def check_scoring_auth(project: Path) -> list[Finding]:
    """No deployment target serves /score to anonymous callers, nor takes a static key."""
    return [
        *_endpoint_auth(project),
        *_aci(project),
        *_arm_web_apps(project),
        *_tf_web_apps(project),
        *_webapp_deploy(project),
    ]


CHECKS = [check_action_pins, check_dependabot, check_scoring_auth]
