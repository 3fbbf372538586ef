"""Every credential the CI/CD deploys with is usable only from a context protected like its target.

GitHub Actions: the deploy identity's federated credentials (the subjects in
docs/getting_started.md) trust `ref:refs/heads/main` and environments. A trusted environment that
any branch may deploy to lets anyone who can push a branch obtain a token with the production
identity, so environment_setup/create-github-variables.sh must create every trusted environment
with a deployment branch policy, and only the main branch and environments may be trusted.

Azure DevOps: a service connection granted to all pipelines is usable by any pipeline run on any
branch, so the docs must restrict every service connection they create with a Branch control check.
"""

from __future__ import annotations

import re
from pathlib import Path

from mlops_scaffold.checks.base import Finding, reads

DOCS = "docs/getting_started.md"
GITHUB_SETUP = "environment_setup/create-github-variables.sh"
TRUSTED_BRANCHES = frozenset({"main"})
SUBJECT_LIST = re.compile(r"for subject in ([^;]+);")
# the setup script's calls that create an environment restricted to main (see its protect_environment)
PROTECTED = re.compile(r"^\s*protect_environment\s+(\w[\w-]*)\b", re.MULTILINE)
PROTECT_BODY = re.compile(r"protect_environment\(\)\s*\{(.*?)^\}", re.MULTILINE | re.DOTALL)
SERVICE_CONNECTION = re.compile(r"^\d+\.\s+Name it `([^`]+)`", re.MULTILINE)


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def github_findings(project: Path, docs: str) -> list[Finding]:
    setup = project / GITHUB_SETUP
    script = setup.read_text(encoding="utf-8") if setup.is_file() else ""
    body = PROTECT_BODY.search(script)
    restricts = bool(
        body and re.search(r'"custom_branch_policies":\s*true', body.group(1)) and "name=main" in body.group(1)
    )
    protected = set(PROTECTED.findall(script)) if restricts else set()
    findings: list[Finding] = []
    for match in SUBJECT_LIST.finditer(docs):
        line = _line(docs, match.start())
        for subject in match.group(1).split():
            kind, _, name = subject.partition(":")
            if kind == "environment" and name not in protected:
                findings.append(
                    Finding(
                        DOCS,
                        line,
                        f"the deploy identity trusts environment:{name}, but {GITHUB_SETUP} does not restrict "
                        f"{name} to main: anyone who can push a branch could deploy with it",
                    )
                )
            elif kind == "ref" and name.removeprefix("refs/heads/") not in TRUSTED_BRANCHES:
                findings.append(Finding(DOCS, line, f"the deploy identity trusts {subject}, an unprotected ref"))
            elif kind not in ("environment", "ref"):
                findings.append(
                    Finding(DOCS, line, f"the deploy identity trusts {subject}: only main and environments")
                )
    return findings


def devops_findings(docs: str) -> list[Finding]:
    findings: list[Finding] = []
    for match in SERVICE_CONNECTION.finditer(docs):
        # the numbered steps of this connection: up to the next heading
        section_end = docs.find("\n#", match.end())
        section = docs[match.end() : section_end if section_end != -1 else len(docs)]
        if not re.search(r"Branch control\*\*: allowed branches\s+`refs/heads/main`", section):
            findings.append(
                Finding(
                    DOCS,
                    _line(docs, match.start()),
                    f"service connection {match.group(1)} is open to every pipeline on every branch: "
                    "add a Branch control check limited to refs/heads/main",
                )
            )
    return findings


@reads(DOCS, GITHUB_SETUP, ".copier-answers.yml")
def credential_trust(project: Path) -> list[Finding]:
    path = project / DOCS
    if not path.is_file():
        return []
    docs = path.read_text(encoding="utf-8")
    if (project / ".github").is_dir():
        return github_findings(project, docs)
    return devops_findings(docs)


CHECKS = [credential_trust]
