"""The GitHub setup script (environment_setup/create-github-variables.sh) run end to end against a
stand-in for GitHub: a `gh` on PATH that keeps repository variables and environments in a JSON file
and answers GitHub's REST shapes. Its `--jq` filters run through the real jq (gh embeds a jq
implementation), so the script's own filters are what is tested.

The reviewers of `production` are the point: the script replaces an environment's protection rules,
so a re-run without PRODUCTION_REVIEWERS must keep the reviewers production already has."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import require

REPO = "octo/mlops"
USERS = {"alice": 101, "bob": 202}

FAKE_GH = r"""
import json, subprocess, sys
from pathlib import Path

STATE = Path(__file__).with_name("github.json")
state = json.loads(STATE.read_text()) if STATE.exists() else {"variables": {}, "secrets": {}, "environments": {}}
args = sys.argv[1:]


def option(name, default=None):
    return args[args.index(name) + 1] if name in args else default


def answer(document):
    jq = option("--jq")
    if jq is None:
        print(json.dumps(document))
        return
    run = subprocess.run(["jq", "-r", jq], input=json.dumps(document), capture_output=True, text=True, check=True)
    sys.stdout.write(run.stdout)


def save():
    STATE.write_text(json.dumps(state, indent=2))


if args[:2] in (["variable", "set"], ["secret", "set"]):
    kind = "variables" if args[0] == "variable" else "secrets"
    scope = option("--env", "")
    state[kind].setdefault(scope, {})[args[2]] = option("--body")
    save()
elif args[0] == "api":
    method = option("--method", "GET")
    path = next(a for a in args[1:] if a.startswith(("repos/", "users/")))
    parts = path.split("/")
    if parts[0] == "users":
        answer({"login": parts[1], "id": USERS[parts[1]]})
    elif parts[3:4] == ["environments"] and len(parts) == 5:
        name = parts[4]
        if method == "PUT":
            body = json.loads(sys.stdin.read())
            rules = [{"type": "branch_policy"}]
            if body["reviewers"]:
                reviewers = [{"type": r["type"], "reviewer": {"id": r["id"], "login": "?"}} for r in body["reviewers"]]
                rules.insert(0, {"type": "required_reviewers", "reviewers": reviewers})
            policies = state["environments"].get(name, {}).get("policies", [])
            state["environments"][name] = {"name": name, "protection_rules": rules, "policies": policies}
            save()
        elif name in state["environments"]:
            answer(state["environments"][name])
        else:
            print("gh: Not Found (HTTP 404)", file=sys.stderr)
            sys.exit(1)
    elif parts[-1] == "deployment-branch-policies":
        environment = state["environments"][parts[4]]
        if method == "POST":
            environment["policies"].append(option("-f").split("=", 1)[1])
            save()
        else:
            answer({"branch_policies": [{"name": name} for name in environment["policies"]]})
    else:
        sys.exit(f"fake gh: unexpected api call {args}")
else:
    sys.exit(f"fake gh: unexpected command {args}")
"""


def _github(tmp_path: Path) -> Callable[..., tuple[dict, str]]:
    """A runner of the script with only the fake gh and the tools it calls on PATH (no az): returns
    GitHub's state afterwards and what the script printed."""
    require(shutil.which("jq"), "jq")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(f"#!{sys.executable}\nUSERS = {USERS!r}\n{FAKE_GH}")
    gh.chmod(0o755)
    for tool in ("bash", "jq", "grep", "env"):
        (bin_dir / tool).symlink_to(shutil.which(tool))

    def run(script: Path, **environ: str) -> tuple[dict, str]:
        env = {"PATH": str(bin_dir), "HOME": str(tmp_path), "GITHUB_REPOSITORY": REPO, **environ}
        printed = subprocess.run(["bash", str(script)], env=env, check=True, capture_output=True, text=True).stdout
        return json.loads((bin_dir / "github.json").read_text()), printed

    return run


def _reviewers(state: dict, environment: str = "production") -> list[int]:
    rules = state["environments"][environment]["protection_rules"]
    return [r["reviewer"]["id"] for rule in rules if rule["type"] == "required_reviewers" for r in rule["reviewers"]]


@pytest.mark.parametrize("environments", ["single", "dev_prod"])
def test_a_rerun_without_reviewers_keeps_productions_reviewers(
    render: Callable[..., Path], tmp_path: Path, environments: str
) -> None:
    project = render(ci_platform="github_actions", environments=environments, canary_release=True)
    script = project / "environment_setup" / "create-github-variables.sh"
    run = _github(tmp_path)
    state, _ = run(script, PRODUCTION_REVIEWERS="alice bob")
    assert _reviewers(state) == [101, 202]
    assert all(environment["policies"] == ["main"] for environment in state["environments"].values())
    state, printed = run(script)
    assert _reviewers(state) == [101, 202] and "no required reviewers" not in printed  # kept
    assert _reviewers(run(script, PRODUCTION_REVIEWERS="bob")[0]) == [202]  # replaced when given
    unreviewed = [name for name in state["environments"] if name != "production"]
    assert unreviewed and all(_reviewers(state, name) == [] for name in unreviewed)


def test_the_rerun_test_fails_on_a_script_that_empties_the_reviewers(render_copy: Callable[..., Path], tmp_path: Path):
    """Planted defect: the script as it was before it kept them."""
    project = render_copy(ci_platform="github_actions")
    script = project / "environment_setup" / "create-github-variables.sh"
    text = script.read_text()
    start = text.index('if [[ -z "${PRODUCTION_REVIEWERS:-}" ]]; then')
    end = text.index("fi\n", start) + len("fi\n")
    script.write_text(text[:start] + text[end:])
    run = _github(tmp_path)
    assert _reviewers(run(script, PRODUCTION_REVIEWERS="alice")[0]) == [101]
    assert _reviewers(run(script)[0]) == []


def test_the_first_run_without_reviewers_says_production_has_none(render: Callable[..., Path], tmp_path: Path):
    state, printed = _github(tmp_path)(
        render(ci_platform="github_actions") / "environment_setup/create-github-variables.sh"
    )
    assert _reviewers(state) == []
    assert 'production has no required reviewers yet: re-run with PRODUCTION_REVIEWERS="<github logins>".' in printed
