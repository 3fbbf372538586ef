"""CI/CD of the generated repo (issue 5): the static guarantees hold for every combination of the
options model's axes (environments, ci_platform, iac, deployment targets (+ canary), batch
scoring, R training), a broken rendering is caught with a one-line finding naming file and line,
and getting_started.md mentions only what the user chose.

Every combination is rendered by `-m matrix` (2016 renders; slow). The default run covers every axis
value and every pair of factor values, each deployment target a yes/no factor (a greedy pairwise
cover of the same combinations).
"""

from __future__ import annotations

import itertools
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import every_target, pairwise_cover, per_target

from mlops_scaffold import options
from mlops_scaffold.checks import pipelines
from mlops_scaffold.checks.base import Finding
from mlops_scaffold.matrix import valid_combinations

# --- the combinations ---------------------------------------------------------------------------

AXES = tuple(question.name for question in options.AXES)  # the options model's, not a copy


def all_combinations() -> list[dict[str, Any]]:
    """Every valid combination of the axes (from the matrix), with the python version it cycles to."""
    return [dict(combination.answers) for combination in valid_combinations()]


def _pairs(combination: dict[str, Any]) -> set[tuple[tuple[str, Any], tuple[str, Any]]]:
    """The pairs of factor values a combination covers. A multi-select is one yes/no factor per
    choice (the usual model in combinatorial testing): every pair of targets, and every target with
    every other answer, in and out; not each of the 16 subsets with each answer (48 renderings
    instead of 9), which the whole matrix covers."""
    values = [(axis, combination[axis]) for axis in AXES if axis != "deployment_targets"]
    values += [(f"target {target}", target in combination["deployment_targets"]) for target in every_target()]
    return set(itertools.combinations(values, 2))


def pairwise_combinations() -> list[dict[str, Any]]:
    """A small set of valid combinations in which every pair of axis values that can occur together
    occurs at least once."""
    return pairwise_cover(all_combinations(), _pairs)


def combination_id(combination: dict[str, Any]) -> str:
    targets = "+".join(combination["deployment_targets"]) or "no-targets"
    flags = [combination["ci_platform"], combination["iac"], targets]
    flags += [combination["environments"]] if combination["environments"] != "single" else []
    flags += ["canary"] if combination["canary_release"] else []
    flags += ["batch"] if combination["batch_scoring"] else []
    flags += [f"r-{combination['r_training']}"] if combination["r_training"] != "none" else []
    return "-".join([*flags, f"py{combination['python_version']}"])


def run_checks(project: Path) -> list[Finding]:
    findings: list[Finding] = []
    for check in pipelines.CHECKS:
        findings += check(project)
    return findings


def render_checked(render_copy: Callable[..., Path], **answers: Any) -> Path:
    return render_copy(**answers)


# --- every axis value and every pair ------------------------------------------------------------

PAIRWISE = pairwise_combinations()


def test_pairwise_cover_is_complete() -> None:
    every_pair = set().union(*(_pairs(combination) for combination in all_combinations()))
    covered = set().union(*(_pairs(combination) for combination in PAIRWISE))
    assert covered == every_pair
    for axis in AXES:
        wanted = {str(combination[axis]) for combination in all_combinations()}
        if axis != "deployment_targets":  # its subsets: the matrix; each target in and out: the pairs above
            assert {str(combination[axis]) for combination in PAIRWISE} == wanted
    assert {target for combination in PAIRWISE for target in combination["deployment_targets"]} == set(every_target())


def checked_copies(
    render: Callable[..., Path], tmp_path_factory: pytest.TempPathFactory, combinations: list[dict[str, Any]]
) -> dict[str, tuple[Path, list[Finding]]]:
    """Each combination rendered into a private copy with its schema
    findings (one check-jsonschema run per schema for all of them: per project it costs ~1 s)."""
    projects = {}
    for combination in combinations:
        source = render(**combination)
        project = tmp_path_factory.mktemp("checked") / source.name
        shutil.copytree(source, project, symlinks=True)
        projects[combination_id(combination)] = project
    schema = pipelines.schema_findings(list(projects.values()))
    return {label: (project, schema[project]) for label, project in projects.items()}


def remaining_findings(project: Path, schema_findings: list[Finding]) -> list[Finding]:
    findings = list(schema_findings)
    for check in pipelines.CHECKS:
        if check is not pipelines.check_schemas:
            findings += check(project)
    return findings


@pytest.fixture(scope="module")
def pairwise_projects(
    render: Callable[..., Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[Path, list[Finding]]]:
    return checked_copies(render, tmp_path_factory, PAIRWISE)


@pytest.mark.parametrize("combination", PAIRWISE, ids=combination_id)
def test_static_guarantees_hold(
    pairwise_projects: dict[str, tuple[Path, list[Finding]]], combination: dict[str, Any]
) -> None:
    label = combination_id(combination)
    findings = remaining_findings(*pairwise_projects[label])
    assert not findings, f"{label}:\n" + "\n".join(map(str, findings))


def _insert_after(path: Path, anchor: str, text: str) -> int:
    """Insert `text` as a new line after the first line containing `anchor`; returns its line number."""
    lines = path.read_text().splitlines(keepends=True)
    index = next(number for number, line in enumerate(lines) if anchor in line)
    indent = re.match(r"\s*", lines[index]).group(0)
    lines.insert(index + 1, f"{indent}{text}\n")
    path.write_text("".join(lines))
    return index + 2


def _only_finding(project: Path) -> Finding:
    findings = run_checks(project)
    assert len(findings) == 1, "\n".join(map(str, findings))
    (finding,) = findings
    assert "\n" not in str(finding)
    return finding


def test_undefined_variable_is_caught_ado(render_copy: Callable[..., Path]) -> None:
    project = render_checked(render_copy, ci_platform="azure_devops")
    ci = project / ".pipelines" / "diabetes_regression-ci.yml"
    line = _insert_after(ci, "displayName: Run the Azure ML training pipeline", "continueOnError: $(NOT_A_VARIABLE)")
    finding = _only_finding(project)
    assert str(finding).startswith(f".pipelines/diabetes_regression-ci.yml:{line}: variable NOT_A_VARIABLE")


def test_undefined_variable_is_caught_github(render_copy: Callable[..., Path]) -> None:
    project = render_checked(render_copy, ci_platform="github_actions")
    ci = project / ".github" / "workflows" / "diabetes_regression-ci.yml"
    line = _insert_after(ci, "timeout-minutes: 360", "continue-on-error: ${{ vars.NOT_A_VARIABLE == 'x' }}")
    finding = _only_finding(project)
    assert str(finding).startswith(f".github/workflows/diabetes_regression-ci.yml:{line}: vars.NOT_A_VARIABLE")


def test_missing_template_is_caught_ado(render_copy: Callable[..., Path]) -> None:
    project = render_checked(render_copy, ci_platform="azure_devops")
    (project / ".pipelines" / "code-quality-template.yml").unlink()
    findings = run_checks(project)
    assert findings, "a missing template went unnoticed"
    pr_line = pipelines._line_of(project / ".pipelines" / "pr.yml", "template: code-quality-template.yml")
    assert f".pipelines/pr.yml:{pr_line}: template code-quality-template.yml does not exist" in map(str, findings)


def test_missing_action_is_caught_github(render_copy: Callable[..., Path]) -> None:
    project = render_checked(render_copy, ci_platform="github_actions")
    (project / ".github" / "actions" / "azure-ml-setup" / "action.yml").unlink()
    findings = run_checks(project)
    assert findings and all(str(f).endswith("./.github/actions/azure-ml-setup does not exist") for f in findings)
    assert all(f.line for f in findings)


TEMPLATE_REF = "- template: code-quality-template.yml"
CHECKOUT = "- uses: actions/checkout@"


@pytest.mark.parametrize(
    ("ci_platform", "file", "anchor", "text", "expected"),
    [
        (
            "azure_devops",
            ".pipelines/code-quality-template.yml",
            "displayName: Lint",
            "timeoutInMinutes: [60]",
            "timeoutInMinutes",
        ),
        (
            "azure_devops",
            ".pipelines/pr.yml",
            TEMPLATE_REF,
            "- task: AzureCLI@1",
            "current major",
        ),
        (
            "azure_devops",
            ".pipelines/pr.yml",
            TEMPLATE_REF,
            "- script: make deploy-all",
            "make deploy-all",
        ),
        (
            "azure_devops",
            ".pipelines/pr.yml",
            TEMPLATE_REF,
            "- script: python -m ml_service.no_such_module",
            "ml_service.no_such_module",
        ),
        (
            "azure_devops",
            ".pipelines/pr.yml",
            TEMPLATE_REF,
            "- script: bash environment_setup/no-such-script.sh",
            "environment_setup/no-such-script.sh does not exist",
        ),
        (
            "github_actions",
            ".github/workflows/code-quality.yml",
            "- uses: actions/checkout@",
            "- uses: actions/cache@main",
            "floating",
        ),
        (
            "github_actions",
            ".github/workflows/code-quality.yml",
            "- uses: actions/checkout@",
            "- uses: actions/cache@some-branch",
            "not pinned",
        ),
        (
            "github_actions",
            ".github/workflows/code-quality.yml",
            "run: make lint",
            "if: ${{ inputs.not-declared }}",
            "inputs.not-declared is not declared",
        ),
    ],
    ids=["schema", "old-task", "make-target", "module", "script-path", "floating-ref", "unpinned-action", "input"],
)
def test_broken_pipeline_is_caught(
    render_copy: Callable[..., Path], ci_platform: str, file: str, anchor: str, text: str, expected: str
) -> None:
    project = render_checked(render_copy, ci_platform=ci_platform)
    line = _insert_after(project / file, anchor, text)
    findings = run_checks(project)
    assert findings, f"{text!r} in {file} went unnoticed"
    assert all((finding.path, finding.line) == (file, line) for finding in findings), "\n".join(map(str, findings))
    assert any(expected in finding.message for finding in findings), "\n".join(map(str, findings))


def test_dead_documentation_is_caught(render_copy: Callable[..., Path]) -> None:
    project = render_checked(render_copy)
    doc = project / "docs" / "variable_group.md"
    line = _insert_after(doc, "| `WORKSPACE_NAME` |", "| `NOBODY_READS_ME` | optional | variable group | `x` | Dead |")
    finding = _only_finding(project)
    assert (
        str(finding)
        == f"docs/variable_group.md:{line}: NOBODY_READS_ME is documented but no pipeline or ml_service code reads it"
    )


def test_shell_problems_are_caught(render_copy: Callable[..., Path]) -> None:
    project = render_checked(render_copy)
    script = project / "environment_setup" / "create-variable-group.sh"
    line = _insert_after(script, "group=", 'echo "$never_assigned"')
    finding = _only_finding(project)
    assert (finding.path, finding.line) == ("environment_setup/create-variable-group.sh", line)
    assert "SC2154" in finding.message


def test_floating_image_is_caught(render_copy: Callable[..., Path]) -> None:
    project = render_checked(render_copy)
    dockerfile = project / "environment_setup" / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace("-slim-bookworm", "-slim-bookworm\nFROM python:latest", 1))
    finding = _only_finding(project)
    assert finding.path == "environment_setup/Dockerfile" and "latest" in finding.message


@pytest.mark.parametrize(
    ("default", "expected"),
    [("=20250701.v1", None), ("=latest", "(= mcr.microsoft.com/azureml/"), ("", "has no default")],
)
def test_base_image_tag_from_an_arg_is_read(
    render_copy: Callable[..., Path], default: str, expected: str | None
) -> None:
    """The scoring image pins its base with `ARG BASE_IMAGE_TAG=<dated tag>`; the check reads that default."""
    project = render_checked(render_copy)  # aci: environments/scoring-image/Dockerfile
    dockerfile = project / "environments" / "scoring-image" / "Dockerfile"
    text = dockerfile.read_text()
    assert "ARG BASE_IMAGE_TAG=20250701.v1\nFROM mcr.microsoft.com/azureml/" in text
    dockerfile.write_text(text.replace("ARG BASE_IMAGE_TAG=20250701.v1", f"ARG BASE_IMAGE_TAG{default}"))
    findings = [finding for finding in pipelines.check_pins(project) if "scoring-image" in finding.path]
    if expected is None:
        assert not findings
    else:
        (finding,) = findings
        assert expected in finding.message, finding


# --- getting_started.md mentions only what was chosen -------------------------------------------

# Words that only belong in the guide when the option is chosen.
OPTION_WORDS: dict[tuple[str, Any], tuple[str, ...]] = {
    ("ci_platform", "azure_devops"): ("Azure DevOps", "variable group", ".pipelines/", "service connection"),
    ("ci_platform", "github_actions"): ("GitHub Actions", ".github/workflows", "gh variable", "federated"),
    ("iac", "arm"): ("ARM", "arm-templates", "-arm.yml"),
    ("iac", "terraform"): ("Terraform", "tf-templates", "-tf.yml"),
    # each target's words, declared by tests/test_target_<target>.py
    **{("target", target): words for target, words in per_target("DOC_WORDS").items()},
    ("canary_release", True): ("canary", "Canary"),
    ("batch_scoring", True): ("batch", "Batch"),
    ("r_training", "aml"): ("R model", "R training", "run_r_training"),
    ("r_training", "databricks"): ("Databricks", "R model", "run_r_training"),
}


def _chosen(combination: dict[str, Any]) -> set[tuple[str, Any]]:
    chosen = {
        (axis, combination[axis]) for axis in ("ci_platform", "iac", "canary_release", "batch_scoring", "r_training")
    }
    return chosen | {("target", target) for target in combination["deployment_targets"]}


def test_every_target_declares_its_doc_words() -> None:
    assert set(per_target("DOC_WORDS")) == set(every_target())


@pytest.mark.parametrize("combination", PAIRWISE, ids=combination_id)
def test_docs_mention_only_chosen_options(render: Callable[..., Path], combination: dict[str, Any]) -> None:
    """getting_started.md (and custom_model.md, observability.md) say nothing about options not chosen."""
    project = render(**combination)
    chosen = _chosen(combination)
    allowed = {word for option in chosen for word in OPTION_WORDS.get(option, ())}
    for doc in ("getting_started.md", "custom_model.md", "observability.md"):
        path = project / "docs" / doc
        if doc == "observability.md" and not combination["deployment_targets"]:
            assert not path.exists(), "observability.md is about scoring requests: no targets, no doc"
            continue
        lines = path.read_text().splitlines()
        for option, words in OPTION_WORDS.items():
            for word in set(words) - allowed if option not in chosen else ():
                boundary = r"(?<![\w-])" if word[0].isalnum() else ""
                for number, line in enumerate(lines, start=1):
                    assert not re.search(boundary + re.escape(word), line), (
                        f"{combination_id(combination)}: docs/{doc}:{number} mentions {word!r} "
                        f"({option[0]}={option[1]} was not chosen): {line}"
                    )


@pytest.mark.parametrize(
    ("ci_platform", "iac", "pipeline", "missing"),
    [
        # "@$(TEMPLATE_DIR)/cloud-environment.parameters.json": az's @file, through an ADO variable
        (
            "azure_devops",
            "arm",
            "environment_setup/iac-create-environment-pipeline-arm.yml",
            "cloud-environment.parameters.json",
        ),
        # "$TEMPLATE_DIR/cloud-environment.json": a workflow's env, read as a shell variable
        ("github_actions", "arm", ".github/workflows/iac-create-environment.yml", "cloud-environment.json"),
    ],
)
def test_a_path_through_a_pipeline_variable_is_checked(
    ci_platform: str, iac: str, pipeline: str, missing: str, render_copy: Callable[..., Path]
) -> None:
    """Planted defect: the file a deployment reads is gone (e.g. inputs renamed per environment)."""
    project = render_checked(render_copy, ci_platform=ci_platform, iac=iac)
    (project / "environment_setup" / "arm-templates" / missing).unlink()
    messages = [str(finding) for finding in pipelines.check_references(project)]
    expected = f"environment_setup/arm-templates/{missing} does not exist"
    assert messages and all(message.startswith(f"{pipeline}:") and message.endswith(expected) for message in messages)


def test_a_file_a_step_writes_is_not_a_reference_but_one_read_through_env_is(
    render_copy: Callable[..., Path],
) -> None:
    """`${{ env.TF_DIR }}/tfplan.txt` is written by `terraform show > tfplan.txt` before it is
    uploaded; a file only read through the same variable must exist."""
    project = render_checked(render_copy, ci_platform="github_actions", iac="terraform")
    workflow = project / ".github" / "workflows" / "iac-create-environment.yml"
    assert "path: ${{ env.TF_DIR }}/tfplan.txt" in workflow.read_text()
    assert pipelines.check_references(project) == []
    line = _insert_after(
        workflow, "terraform show -no-color tfplan > tfplan.txt", "cat ${{ env.TF_DIR }}/reviewed.tfvars"
    )
    messages = [str(finding) for finding in pipelines.check_references(project)]
    expected = f".github/workflows/iac-create-environment.yml:{line}: environment_setup/tf-templates/reviewed.tfvars"
    assert messages == [f"{expected} does not exist"]
