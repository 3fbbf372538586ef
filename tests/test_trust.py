"""Credential trust (checks/trust.py): every credential the CI/CD deploys with is usable only from
a context protected like its target; a planted opening is named in one line with file and line."""

from __future__ import annotations

from pathlib import Path

from mlops_scaffold.checks import trust

SETUP = "environment_setup/create-github-variables.sh"
DOCS = "docs/getting_started.md"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def _line(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def test_both_platforms_are_clean(render) -> None:
    for platform in ("github_actions", "azure_devops"):
        assert trust.credential_trust(render(ci_platform=platform)) == []


def test_github_trusted_environment_open_to_every_branch_is_named(render_copy) -> None:
    project = render_copy(ci_platform="github_actions")
    _edit(project / SETUP, 'protect_environment staging ""', 'gh api --method PUT "repos/$repo/environments/staging"')
    findings = trust.credential_trust(project)
    assert len(findings) == 1, findings
    finding = findings[0]
    assert (finding.path, finding.line) == (DOCS, _line(project / DOCS, "for subject in"))
    assert "environment:staging" in finding.message and "\n" not in finding.message


def test_github_branch_policy_dropped_from_the_setup_script_is_named(render_copy) -> None:
    project = render_copy(ci_platform="github_actions")
    _edit(project / SETUP, '"custom_branch_policies": true', '"custom_branch_policies": false')
    messages = [finding.message for finding in trust.credential_trust(project)]
    assert len(messages) == 2 and any("staging" in m for m in messages) and any("production" in m for m in messages)


def test_github_subject_of_a_feature_branch_or_pull_request_is_named(render_copy) -> None:
    project = render_copy(ci_platform="github_actions")
    _edit(project / DOCS, "for subject in ref:refs/heads/main", "for subject in ref:refs/heads/dev pull_request")
    messages = [finding.message for finding in trust.credential_trust(project)]
    assert len(messages) == 2, messages
    assert "ref:refs/heads/dev" in messages[0] and "pull_request" in messages[1]


def test_devops_service_connection_without_branch_control_is_named(render_copy) -> None:
    project = render_copy(ci_platform="azure_devops")
    text = (project / DOCS).read_text(encoding="utf-8")
    first = text.index("Branch control**")
    (project / DOCS).write_text(
        text[:first] + "Approvals**" + text[first + len("Branch control**") :], encoding="utf-8"
    )
    findings = trust.credential_trust(project)
    assert len(findings) == 1, findings
    assert findings[0].path == DOCS and findings[0].line is not None
    assert "service connection" in findings[0].message
