"""The behaviour model of the generated CI/CD (checks/behaviour.py): correct renderings have no
finding, and each planted defect is named in one line with file and line."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import every_target, production_image_target, staging_target, target_row

from mlops_scaffold import traits
from mlops_scaffold.checks.behaviour import INVARIANTS, check_behaviour, pipeline_graphs

BOTH_ENDPOINTS = {"deployment_targets": ["online_endpoint", "aks"], "canary_release": True}
PLATFORMS = ("azure_devops", "github_actions")
# A staging target and a production one serving the same scoring image: the image checked in
# staging is promoted; OTHER is neither of them (to plant an unchosen target).
STAGING, PRODUCTION = staging_target(), production_image_target()
OTHER = next(target for target in every_target() if target not in (STAGING, PRODUCTION))
STAGING_AND_PRODUCTION = [STAGING, PRODUCTION]
CD = {
    "azure_devops": ".pipelines/diabetes_regression-cd.yml",
    "github_actions": ".github/workflows/diabetes_regression-cd.yml",
}


def _iac(platform: str, iac: str) -> str:
    if platform == "github_actions":
        return ".github/workflows/iac-create-environment.yml"
    return f"environment_setup/iac-create-environment-pipeline-{'tf' if iac == 'terraform' else 'arm'}.yml"


def _edit(project: Path, relative: str, old: str, new: str, count: int = 1) -> None:
    path = project / relative
    text = path.read_text()
    assert old in text, f"{old!r} not in {relative}"
    path.write_text(text.replace(old, new, count))


def _line_of(project: Path, relative: str, needle: str) -> int:
    lines = (project / relative).read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if needle in line)


def _one(findings: list[Any], needle: str) -> str:
    matching = [str(finding) for finding in findings if needle in finding.message]
    assert len(matching) == 1, "\n".join(map(str, findings))
    assert "\n" not in matching[0]
    return matching[0]


@pytest.mark.parametrize(
    "answers",
    [
        {},
        BOTH_ENDPOINTS,
        {**BOTH_ENDPOINTS, "deployment_targets": every_target(), "iac": "terraform"},
        {"deployment_targets": ["aks"], "canary_release": True},
        {"deployment_targets": [], "batch_scoring": False, "iac": "terraform"},
    ],
    ids=["default", "both-endpoints-canary", "all-targets-tf", "aks-canary", "no-targets-tf"],
)
@pytest.mark.parametrize("platform", PLATFORMS)
def test_generated_pipelines_keep_the_invariants(render: Callable[..., Path], platform: str, answers: dict) -> None:
    project = render(ci_platform=platform, **answers)
    assert check_behaviour(project) == []


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_graph_reads_jobs_needs_and_template_commands(render: Callable[..., Path], platform: str) -> None:
    graphs = pipeline_graphs(render(ci_platform=platform, **BOTH_ENDPOINTS))
    jobs = {job.name.split(".")[-1]: job for job in graphs[CD[platform]]}
    deploy_aks = next(job for name, job in jobs.items() if "aks" in name.lower() and "deploy" in name.lower())
    # the command passed to ml-service-step-template.yml (ADO) or written in a run step (GitHub)
    assert any("python -m ml_service.deploy.aks" in command.text for command in deploy_aks.commands)
    assert deploy_aks.environment == "production" and deploy_aks.needs


@pytest.mark.parametrize("platform", PLATFORMS)
def test_smoke_test_of_a_target_nobody_deploys_is_caught(render_copy: Callable[..., Path], platform: str) -> None:
    """The defect of issue 13: canary on the managed endpoint, AKS smoke-tested but never deployed."""
    project = render_copy(ci_platform=platform, **BOTH_ENDPOINTS)
    lines = (project / CD[platform]).read_text().splitlines(keepends=True)
    index = next(number for number, line in enumerate(lines) if "python -m ml_service.deploy.aks" in line)
    del lines[index]  # the command alone: the step is left without effect
    (project / CD[platform]).write_text("".join(lines))
    smoke_line = _line_of(project, CD[platform], "smoke_test --target aks")
    finding = _one(check_behaviour(project), "smoke-tests aks")
    assert finding.startswith(f"{CD[platform]}:{smoke_line}: ")


@pytest.mark.parametrize("platform", PLATFORMS)
def test_rollback_behind_the_approval_is_caught(render_copy: Callable[..., Path], platform: str) -> None:
    project = render_copy(ci_platform=platform, **BOTH_ENDPOINTS)
    text = (project / CD[platform]).read_text()
    rollback = text.rindex("environment: staging")
    (project / CD[platform]).write_text(text[:rollback] + "environment: production" + text[rollback + 20 :])
    finding = _one(check_behaviour(project), "behind the approval it is meant to undo")
    assert finding.startswith(f"{CD[platform]}:{_line_of(project, CD[platform], '--step rollback')}: ")


@pytest.mark.parametrize("environments", ["single", "dev_test_prod"])
def test_a_github_rollback_that_fires_after_failures_before_the_canary_is_caught(
    render_copy: Callable[..., Path], environments: str
) -> None:
    """failure() alone sees every ancestor job: a failed deployment before the canary would roll back a
    canary that never started."""
    project = render_copy(ci_platform="github_actions", environments=environments, **BOTH_ENDPOINTS)
    cd = CD["github_actions"]
    assert check_behaviour(project) == []
    text = (project / cd).read_text()
    assert text.count("failure() && contains(needs.*.result, 'failure') && ") == 1
    (project / cd).write_text(text.replace("failure() && contains(needs.*.result, 'failure') && ", "failure() && "))
    finding = _one(check_behaviour(project), "rolls back after any failure before it")
    assert finding.startswith(f"{cd}:{_line_of(project, cd, '--step rollback')}: ")


@pytest.mark.parametrize("platform", PLATFORMS)
def test_rollback_that_a_failed_step_cannot_trigger_is_caught(render_copy: Callable[..., Path], platform: str) -> None:
    project = render_copy(ci_platform=platform, **BOTH_ENDPOINTS)
    # Azure DevOps' failed() sees direct dependencies only, GitHub's failure() every ancestor
    step = "      - Canary_50\n" if platform == "azure_devops" else "      - canary-100\n"
    text = (project / CD[platform]).read_text()
    last = text.rindex(step)  # in the rollback's list of dependencies
    (project / CD[platform]).write_text(text[:last] + text[last + len(step) :])
    finding = _one(check_behaviour(project), "so a failure there cannot trigger the rollback")
    assert finding.startswith(f"{CD[platform]}:{_line_of(project, CD[platform], '--step rollback')}: ")
    assert ("Canary_50" if platform == "azure_devops" else "canary-100") in finding


@pytest.mark.parametrize("platform", PLATFORMS)
def test_production_deploy_outside_the_gated_environment_is_caught(
    render_copy: Callable[..., Path], platform: str
) -> None:
    project = render_copy(ci_platform=platform, deployment_targets=STAGING_AND_PRODUCTION)
    text = (project / CD[platform]).read_text()
    deploy = text.index(f"Deploy to {target_row(PRODUCTION).title}")
    gate = text.index("environment: production", deploy - 600 if platform == "github_actions" else deploy)
    (project / CD[platform]).write_text(text[:gate] + "environment: staging   " + text[gate + 23 :])
    finding = _one(check_behaviour(project), "outside an approval-gated environment")
    assert finding.startswith(f"{CD[platform]}:{_line_of(project, CD[platform], f'ml_service.deploy.{PRODUCTION}')}: ")


@pytest.mark.parametrize("platform", PLATFORMS)
def test_production_before_staging_is_caught(render_copy: Callable[..., Path], platform: str) -> None:
    project = render_copy(ci_platform=platform, deployment_targets=STAGING_AND_PRODUCTION)
    if platform == "azure_devops":  # job names of the CD templates: Deploy_<TARGET>, deploy-<target>
        _edit(project, CD[platform], f"dependsOn: Deploy_{STAGING.upper()}", "dependsOn: []")
    else:
        staging_job = f"deploy-{STAGING.replace('_', '-')}"
        _edit(project, CD[platform], f"      - model\n      - {staging_job}\n", "      - model\n")
    finding = _one(check_behaviour(project), "without depending on the staging job")
    assert finding.startswith(f"{CD[platform]}:{_line_of(project, CD[platform], f'ml_service.deploy.{PRODUCTION}')}: ")


@pytest.mark.parametrize("platform", PLATFORMS)
def test_an_unchosen_target_is_caught(render_copy: Callable[..., Path], platform: str) -> None:
    project = render_copy(ci_platform=platform, deployment_targets=STAGING_AND_PRODUCTION)
    _edit(project, CD[platform], f"--target {PRODUCTION}", f"--target {OTHER}")
    finding = _one(check_behaviour(project), f"touches {OTHER}, which this project did not choose")
    assert finding.startswith(f"{CD[platform]}:{_line_of(project, CD[platform], f'--target {OTHER}')}: ")


@pytest.mark.parametrize("iac", ["arm", "terraform"])
@pytest.mark.parametrize("platform", PLATFORMS)
def test_apply_without_a_reviewed_plan_is_caught(render_copy: Callable[..., Path], platform: str, iac: str) -> None:
    project = render_copy(ci_platform=platform, iac=iac)
    pipeline = _iac(platform, iac)
    if platform == "azure_devops":
        _edit(project, pipeline, "    dependsOn: Plan\n", "    dependsOn: []\n")
    else:
        _edit(project, pipeline, "    needs: plan\n", "")
    apply = "terraform apply -input" if iac == "terraform" else "az deployment group create"
    finding = _one(check_behaviour(project), "without a plan/what-if job before it")
    assert finding.startswith(f"{pipeline}:{_line_of(project, pipeline, apply)}: ")


def test_a_chosen_target_nobody_deploys_is_caught(render_copy: Callable[..., Path]) -> None:
    project = render_copy(ci_platform="azure_devops", deployment_targets=STAGING_AND_PRODUCTION)
    text = (project / CD["azure_devops"]).read_text()
    for needle in (f"python -m ml_service.deploy.{PRODUCTION}", f"smoke_test --target {PRODUCTION}"):
        text = "".join(line for line in text.splitlines(keepends=True) if needle not in line)
    (project / CD["azure_devops"]).write_text(text)
    findings = check_behaviour(project)
    monitoring = _line_of(project, CD["azure_devops"], "python -m ml_service.monitoring")
    assert [str(finding) for finding in findings] == [
        f"{CD['azure_devops']}: no pipeline deploys the chosen target {PRODUCTION}",
        f"{CD['azure_devops']}: no pipeline smoke-tests the chosen target {PRODUCTION}",
        # the monitor of the target, still scheduled, now follows no deployment of it
        f"{CD['azure_devops']}:{monitoring}: job Schedules.Schedules_Job: schedules monitoring of {PRODUCTION} "
        f"before anything deploys {PRODUCTION} (an earlier step or a job it depends on)",
    ]


def test_invariants_and_traits_are_data_over_known_effects() -> None:
    rules = {
        "chosen-target",
        "after-same-target",
        "after-in-dependency",
        "after-every-in-dependency",
        "on-failure",
        "own-failures-only",
        "gated",
        "ungated",
        "after-staging",
        "targets-chosen",
        "promoted-first",
        "trains-here",
        "after-previous-environment",
    }
    for row in INVARIANTS:
        assert row.kind in traits.EFFECT_KINDS and row.rule in rules, row
        assert not row.argument or re.fullmatch(r"[a-z-]+", row.argument)
    assert traits.command_effects("python -m ml_service.deploy.canary --model-json m.json --step 50", ["aks"]) == [
        ("traffic", "aks", True)
    ]
    assert traits.command_effects("python -m ml_service.smoke_test --target online_endpoint", []) == [
        ("smoke-test", "online_endpoint", False)
    ]
    assert traits.command_effects("python -m ml_service.promote --model-json m.json --output p/m.json", []) == [
        ("share", None, False)
    ]
    assert traits.command_effects("python -m ml_service.monitoring --target aci --target aks", ["aci", "aks"]) == [
        ("monitor", "aci", True),
        ("monitor", "aks", True),
        ("retrain", None, True),
    ]


# --- production monitoring and retraining (docs/monitoring.md of a generated repo) ---------------

MONITORING = "python -m ml_service.monitoring"


@pytest.mark.parametrize("platform", PLATFORMS)
def test_monitoring_scheduled_before_the_deployment_is_caught(render_copy: Callable[..., Path], platform: str) -> None:
    project = render_copy(ci_platform=platform, **BOTH_ENDPOINTS)
    if platform == "azure_devops":
        _edit(project, CD[platform], "dependsOn: Canary_Promote", "dependsOn: []")
    else:
        _edit(project, CD[platform], "      - model\n      - canary-promote\n", "      - model\n")
    finding = _one(check_behaviour(project), "schedules monitoring of aks before anything deploys aks")
    assert finding.startswith(f"{CD[platform]}:{_line_of(project, CD[platform], MONITORING)}: ")


@pytest.mark.parametrize("platform", PLATFORMS)
def test_monitoring_outside_the_gated_environment_is_caught(render_copy: Callable[..., Path], platform: str) -> None:
    project = render_copy(ci_platform=platform, deployment_targets=[PRODUCTION])
    text = (project / CD[platform]).read_text()
    gate = text.rindex("environment: production")  # the schedules job is the last one
    (project / CD[platform]).write_text(text[:gate] + "environment: staging   " + text[gate + 23 :])
    finding = _one(check_behaviour(project), "outside an approval-gated environment")
    assert finding.startswith(f"{CD[platform]}:{_line_of(project, CD[platform], MONITORING)}: ")


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_chosen_target_nobody_monitors_is_caught(render_copy: Callable[..., Path], platform: str) -> None:
    project = render_copy(ci_platform=platform, deployment_targets=STAGING_AND_PRODUCTION)
    _edit(
        project,
        CD[platform],
        f"{MONITORING} --target {STAGING} --target {PRODUCTION}",
        f"{MONITORING} --target {STAGING}",
    )
    findings = check_behaviour(project)
    assert [str(finding) for finding in findings] == [
        f"{CD[platform]}: no pipeline creates the monitoring and retraining schedules of the chosen target {PRODUCTION}"
    ]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_retraining_without_a_deployment_target_is_caught(render_copy: Callable[..., Path], platform: str) -> None:
    project = render_copy(ci_platform=platform, deployment_targets=[], batch_scoring=False)
    if platform == "azure_devops":  # the CI's code-quality step template: reported where the CI uses it
        ci, step = CD[platform].replace("-cd.yml", "-ci.yml"), "template: code-quality-template.yml"
        _edit(project, ".pipelines/code-quality-template.yml", "make lint", f"make lint && {MONITORING}")
    else:
        ci, step = ".github/workflows/diabetes_regression-ci.yml", MONITORING
        anchor = "python -m ml_service.pipelines.run_training"
        _edit(project, ci, anchor, f"{anchor} && {MONITORING}")
    findings = [finding for finding in check_behaviour(project) if finding.path == ci]  # pr.yml shares the template
    finding = _one(findings, "no deployment target to retrain for")
    assert finding.startswith(f"{ci}:{_line_of(project, ci, step)}: ")


REMOVE = {
    "azure_devops": "environment_setup/iac-remove-environment-pipeline.yml",
    "github_actions": ".github/workflows/iac-remove-environment.yml",
}


@pytest.mark.parametrize("iac", ("arm", "terraform"))
@pytest.mark.parametrize("platform", PLATFORMS)
def test_removal_outside_the_gated_environment_is_caught(
    render_copy: Callable[..., Path], platform: str, iac: str
) -> None:
    project = render_copy(ci_platform=platform, iac=iac)
    _edit(project, REMOVE[platform], "environment: production", "environment: staging")
    findings = [f for f in check_behaviour(project) if "outside an approval-gated environment" in f.message]
    # every removing command is named: terraform destroy or the workspace purge, then the group delete
    needle = "terraform destroy -input" if iac == "terraform" else "az rest --method delete"
    lines = {_line_of(project, REMOVE[platform], needle), _line_of(project, REMOVE[platform], "az group delete")}
    assert {finding.line for finding in findings} == lines, findings
    assert all(finding.path == REMOVE[platform] for finding in findings)


@pytest.mark.parametrize("command", ["az role assignment create --role Owner", "az ml online-endpoint delete -n x"])
def test_other_azure_changes_outside_the_gated_environment_are_caught(
    render_copy: Callable[..., Path], command: str
) -> None:
    project = render_copy(ci_platform="github_actions")
    ci = ".github/workflows/diabetes_regression-ci.yml"
    text = (project / ci).read_text()
    run = re.search(r"^( +)run: ", text, re.MULTILINE)
    (project / ci).write_text(text[: run.end()] + f"{command} && " + text[run.end() :])
    finding = _one(check_behaviour(project), "outside an approval-gated environment")
    assert finding.startswith(f"{ci}:{_line_of(project, ci, command)}: ")


# --- environments (ADR 28): which environment a job changes -----------------------------------------


def _after(project: Path, relative: str, anchor: str, old: str, new: str) -> None:
    """Replace the first `old` after `anchor` (a job or stage of one environment)."""
    path = project / relative
    text = path.read_text()
    start = text.index(anchor)
    at = text.index(old, start)
    path.write_text(text[:at] + new + text[at + len(old) :])


APPLY_PROD = {"azure_devops": "- stage: Apply_prod", "github_actions": "  apply-prod:"}


@pytest.mark.parametrize("iac", ("arm", "terraform"))
@pytest.mark.parametrize("platform", PLATFORMS)
def test_each_environment_applies_in_its_own_ci_environment(
    render: Callable[..., Path], platform: str, iac: str
) -> None:
    """dev's and test's applies change no production resource, so they need no approval; prod's does."""
    project = render(environments="dev_test_prod", ci_platform=platform, iac=iac)
    jobs = pipeline_graphs(project)[_iac(platform, iac)]
    apply = "terraform apply" if iac == "terraform" else "az deployment group create"
    applies = [job.environment for job in jobs if any(apply in command.text for command in job.commands)]
    assert applies == ["development", "test", "production"]
    assert check_behaviour(project) == []


@pytest.mark.parametrize("platform", PLATFORMS)
def test_prod_applied_outside_its_gated_environment_is_caught(render_copy: Callable[..., Path], platform: str) -> None:
    project = render_copy(environments="dev_prod", ci_platform=platform)
    _after(project, _iac(platform, "arm"), APPLY_PROD[platform], "environment: production", "environment: staging")
    findings = check_behaviour(project)
    gated = [
        f for f in findings if "changes production outside an approval-gated environment (runs in staging)" in f.message
    ]
    assert gated and all("apply-prod" in f.message or "Apply_prod" in f.message for f in gated), findings
    _one(findings, "runs in staging, none of the environments' (development, production, production-rollback)")


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_job_that_uses_another_environments_names_is_caught(render_copy: Callable[..., Path], platform: str) -> None:
    """prod's apply moved into test's CI environment would change prod behind test's (absent)
    approvals: it still names prod's variable group (Azure DevOps) or prod's inputs (both)."""
    project = render_copy(environments="dev_test_prod", ci_platform=platform)
    iac = _iac(platform, "arm")
    _after(project, iac, APPLY_PROD[platform], "environment: production", "environment: test")
    finding = _one(check_behaviour(project), "but uses prod's cloud-environment.prod.parameters.json")
    assert "runs in test (test)" in finding
    if platform == "azure_devops":
        _one(check_behaviour(project), "but uses prod's devopsforai-aml-vg-prod")


def test_an_environments_ci_environment_does_not_hide_production_in_a_single_project(
    render_copy: Callable[..., Path],
) -> None:
    """Without environments every apply changes production, whatever its CI environment is called."""
    project = render_copy(ci_platform="github_actions")
    _edit(project, _iac("github_actions", "arm"), "environment: production", "environment: development")
    findings = check_behaviour(project)
    assert findings and all(
        "changes production outside an approval-gated environment (runs in development)" in f.message for f in findings
    ), findings


# --- environments: what leaves dev, and in which order (ADR 28, issue 17's CD invariants) ----------

TEST_FIRST_DEPLOY = {"azure_devops": "- stage: Deploy_ACI_test", "github_actions": "  deploy-aci-test:"}
PROD_FIRST_DEPLOY = {"azure_devops": "- stage: Deploy_ACI_prod", "github_actions": "  deploy-aci-prod:"}
LAST_TEST_DEPLOY = {"azure_devops": "Deploy_AKS_test", "github_actions": "deploy-aks-test"}
PROMOTION = {"azure_devops": "Promote", "github_actions": "promote"}
CHAIN = {"environments": "dev_test_prod", "deployment_targets": ["aci", "aks"]}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_cd_promotes_in_dev_then_deploys_each_environment_in_order(render: Callable[..., Path], platform: str) -> None:
    project = render(ci_platform=platform, **CHAIN, canary_release=False)
    jobs = pipeline_graphs(project)[CD[platform]]
    shares = [job.environment for job in jobs if any("ml_service.promote" in c.text for c in job.commands)]
    deploys = [job.environment for job in jobs if any("ml_service.deploy." in c.text for c in job.commands)]
    assert shares == ["development"]
    assert deploys == ["test", "test", "production", "production"]
    assert check_behaviour(project) == []


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_deployment_of_a_model_nobody_promoted_is_caught(render_copy: Callable[..., Path], platform: str) -> None:
    """test's first deployment no longer waits for the promotion: it could deploy before the
    registry holds the version."""
    project = render_copy(ci_platform=platform, **CHAIN)
    cd = CD[platform]
    if platform == "azure_devops":
        _after(project, cd, TEST_FIRST_DEPLOY[platform], "dependsOn: Promote", "dependsOn: []")
    else:
        _after(project, cd, TEST_FIRST_DEPLOY[platform], "      - promote\n", "")
    # every deployment after it (test's, then prod's) no longer follows a promotion
    findings = [
        f for f in check_behaviour(project) if "a model.json that no job before it wrote by promoting" in f.message
    ]
    deploys = [job for job in pipeline_graphs(project)[cd] if any("ml_service.deploy." in c.text for c in job.commands)]
    assert len(findings) == len(deploys) == 4, findings
    assert TEST_FIRST_DEPLOY[platform].split()[-1].rstrip(":") in findings[0].message


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_deployment_of_devs_own_model_json_is_caught(render_copy: Callable[..., Path], platform: str) -> None:
    """Deploying the Model CI run's model.json (dev's workspace) instead of the promoted one."""
    project = render_copy(ci_platform=platform, **CHAIN)
    cd = CD[platform]
    promoted = "$(Pipeline.Workspace)/promoted/model.json" if platform == "azure_devops" else "promoted/model.json"
    dev_own = "$(Pipeline.Workspace)/model/model.json" if platform == "azure_devops" else "model/model.json"
    _after(
        project,
        cd,
        PROD_FIRST_DEPLOY[platform],
        f'--model-json "{promoted}"' if platform == "azure_devops" else f"--model-json {promoted}",
        f'--model-json "{dev_own}"' if platform == "azure_devops" else f"--model-json {dev_own}",
    )
    _one(check_behaviour(project), "deploys in production a model.json that no job before it wrote")


@pytest.mark.parametrize("platform", PLATFORMS)
def test_prod_not_waiting_for_tests_smoke_tests_is_caught(render_copy: Callable[..., Path], platform: str) -> None:
    project = render_copy(ci_platform=platform, **CHAIN)
    cd = CD[platform]
    last, promotion = LAST_TEST_DEPLOY[platform], PROMOTION[platform]
    old, new = (
        (f"dependsOn: {last}", f"dependsOn: {promotion}")
        if platform == "azure_devops"
        else (f"- {last}", f"- {promotion}")
    )
    _after(project, cd, PROD_FIRST_DEPLOY[platform], old, new)
    findings = [f for f in check_behaviour(project) if "without depending on the smoke test of job" in f.message]
    assert findings and all("deploys in production" in f.message for f in findings), findings
    assert any(PROD_FIRST_DEPLOY[platform].split()[-1].rstrip(":") in f.message for f in findings)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_retraining_is_scheduled_in_dev_and_production_only_watches(render: Callable[..., Path], platform: str) -> None:
    project = render(ci_platform=platform, **CHAIN, canary_release=False)
    effects = [
        (kind, job.environment)
        for job in pipeline_graphs(project)[CD[platform]]
        for command in job.commands
        for kind, _, _ in traits.command_effects(command.text, CHAIN["deployment_targets"])
        if kind in ("monitor", "retrain")
    ]
    assert sorted(set(effects)) == [("monitor", "production"), ("retrain", "development")]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_retraining_scheduled_in_production_is_caught(render_copy: Callable[..., Path], platform: str) -> None:
    """prod's monitoring step without --scope monitors would also create the retraining schedules there."""
    project = render_copy(ci_platform=platform, **CHAIN)
    anchor = "- stage: Schedules_prod" if platform == "azure_devops" else "  schedules-prod:"
    _after(project, CD[platform], anchor, "ml_service.monitoring --scope monitors", "ml_service.monitoring")
    _one(check_behaviour(project), "creates retraining schedules in production: only dev trains")


def test_training_outside_dev_is_caught(render_copy: Callable[..., Path]) -> None:
    project = render_copy(ci_platform="github_actions", environments="dev_test_prod")
    ci = ".github/workflows/diabetes_regression-ci.yml"
    _after(project, ci, "  train:", "environment: development", "environment: test")
    _one(check_behaviour(project), "trains in test: only dev trains")
