"""Environments (issue 17, ADR 28): the `environments` answer, its per-environment names and the
local promotion loop it brings. The matrix multiplies every other axis by it; these tests pin the
model and the pairs the matrix does not single out."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import copier
import pytest
import yaml
from conftest import REPO_ROOT, answers_with
from memo import Memo

from mlops_scaffold.checks import run_checks
from mlops_scaffold.cli import main as cli_main
from mlops_scaffold.cli import options_table
from mlops_scaffold.deployment_environments import (
    ALL_ENVIRONMENTS,
    ENVIRONMENT_SETS,
    SINGLE,
    environment_base,
    environment_names,
    environments_of,
    per_environment_names,
    previous,
)
from mlops_scaffold.matrix.render_tier import manifest_findings
from mlops_scaffold.naming import BASE_NAME, PER_ENVIRONMENT_DERIVED
from mlops_scaffold.options import PER_ENVIRONMENT, QUESTIONS_BY_NAME, AnswerError, resolve_answers
from mlops_scaffold.project_files import read_answers
from mlops_scaffold.variables import PER_ENVIRONMENT_KEYS, environment_variables

MULTI = [answer for answer, chosen in ENVIRONMENT_SETS.items() if chosen]


def test_the_question_is_asked_listed_and_accepted(tmp_path: Path) -> None:
    """Offered (ADR 28's flag is gone): copier asks it, `options` lists it, `new -d` renders it."""
    question = yaml.safe_load((REPO_ROOT / "copier.yml").read_text())["environments"]
    assert "when" not in question and question["default"] == SINGLE
    assert question["choices"] == list(ENVIRONMENT_SETS)
    assert "environments" in {row["name"] for row in options_table()}
    dest = tmp_path / "project"
    assert cli_main(["new", str(dest), "--defaults", "-d", "environments=dev_prod"]) == 0
    assert read_answers(dest)["environments"] == "dev_prod"
    assert (dest / "ml_service" / "promote.py").is_file()


def test_promotion_order_and_who_trains() -> None:
    assert environments_of(SINGLE) == ()
    for answer in MULTI:
        chosen = environments_of(answer)
        assert [environment.trains for environment in chosen] == [True] + [False] * (len(chosen) - 1)
        assert chosen[-1].approval and not any(environment.approval for environment in chosen[:-1])
        assert [previous(environment, chosen) for environment in chosen] == [None, *chosen[:-1]]


@pytest.mark.parametrize("answer", MULTI)
def test_each_environment_has_its_workspace_and_resource_group(answer: str) -> None:
    answers = resolve_answers(
        {"environments": answer, "workspace_name": "ml-ws", "resource_group": "ml-rg", "ci_platform": "github_actions"}
    )
    names = per_environment_names(answers, PER_ENVIRONMENT)
    assert list(names) == [environment.name for environment in environments_of(answer)]
    for environment, named in names.items():
        assert named == {"resource_group": f"ml-rg-{environment}", "workspace_name": f"ml-ws-{environment}"}


def test_each_environment_has_its_variable_group_and_service_connections() -> None:
    """On Azure DevOps each environment's values and identity are its own: `<group>-<environment>`
    beside the shared group, and a service connection of each kind per environment."""
    answers = resolve_answers({"environments": "dev_prod", "ci_platform": "azure_devops", "variable_group_name": "vg"})
    names = per_environment_names(answers, PER_ENVIRONMENT)
    assert names["prod"]["variable_group_name"] == "vg-prod"
    assert names["dev"]["azure_rm_svc_connection"] == f"{answers['azure_rm_svc_connection']}-dev"
    assert names["prod"]["workspace_svc_connection"] == f"{answers['workspace_svc_connection']}-prod"


def test_names_unique_beyond_a_resource_group_are_per_environment() -> None:
    """Endpoint names are unique in a region, web app names worldwide: each environment has its own."""
    assert set(PER_ENVIRONMENT) == {
        "resource_group",
        "workspace_name",
        "variable_group_name",
        "azure_rm_svc_connection",
        "workspace_svc_connection",
        "aks_deployment_name",
        "online_endpoint_name",
        "webapp_deployment_name",
    }
    targets = ["aks", "online_endpoint", "webapp"]
    answers = resolve_answers(answers_with(environments="dev_prod", deployment_targets=targets))
    names = environment_names(answers, PER_ENVIRONMENT, PER_ENVIRONMENT_DERIVED)
    for environment in environments_of("dev_prod"):
        named = names[environment.name]
        for key in PER_ENVIRONMENT:
            assert named[key] == f"{answers[key]}-{environment.name}"
        assert named["storage_account_name"] == f"{answers['base_name'].lower()}{environment.name}amlsa"
        assert "aml_registry_name" not in named  # one registry for every environment
    assert names["dev"]["key_vault_name"] != names["prod"]["key_vault_name"]


@pytest.mark.parametrize("environment", ALL_ENVIRONMENTS, ids=lambda environment: environment.name)
@pytest.mark.parametrize("base", ["abc", "A" + "9" * 9, "z" * 10])
def test_every_derived_name_fits_its_rule_in_every_environment(base: str, environment) -> None:
    assert BASE_NAME.check(base) is None
    for name in PER_ENVIRONMENT_DERIVED:
        value = name.value(environment_base(base, environment))
        assert name.rule.check(value) is None, f"{name.key}={value!r}: {name.rule.check(value)}"


@pytest.mark.parametrize("question", sorted(PER_ENVIRONMENT))
def test_each_per_environment_answer_is_held_to_its_rule_once_suffixed(question: str) -> None:
    """The longest valid answer for dev (`-dev`) is one character too long for prod (`-prod`)."""
    rule = QUESTIONS_BY_NAME[question].rule
    maximum = max(length for length in range(1, 300) if rule.check("a" * length) is None)
    answer = "a" * (maximum - len("-dev"))
    overrides = {"environments": "dev_prod", question: answer}
    target = question.removesuffix("_deployment_name").removesuffix("_name")
    if target in {"aks", "online_endpoint", "webapp"}:
        overrides["deployment_targets"] = [target]
    with pytest.raises(AnswerError) as error:
        resolve_answers(overrides)
    assert f"makes the prod name '{answer}-prod'" in str(error.value)
    assert resolve_answers({**overrides, "environments": SINGLE})[question] == answer


@pytest.mark.parametrize("answer", MULTI)
def test_a_name_too_long_once_suffixed_is_refused_alike_by_python_and_copier(
    answer: str, template_snapshot: Path, tmp_path: Path
) -> None:
    workspace = "w" * 29  # 33 characters with -dev (the rule's maximum), 34 with -test or -prod
    longest = next(environment.name for environment in environments_of(answer) if len(environment.name) == 4)
    with pytest.raises(AnswerError) as python_error:
        resolve_answers({"environments": answer, "workspace_name": workspace})
    assert str(python_error.value).startswith(
        f"workspace_name: '{workspace}' makes the {longest} name '{workspace}-{longest}'"
    )
    data = {**answers_with(), "environments": answer, "workspace_name": workspace}
    with pytest.raises(ValueError) as copier_error:
        copier.run_copy(str(template_snapshot), tmp_path / "bad", data=data, defaults=True, pretend=True, quiet=True)
    assert str(python_error.value) in str(copier_error.value)
    assert not (tmp_path / "bad").exists()
    assert resolve_answers({"environments": SINGLE, "workspace_name": workspace})["workspace_name"] == workspace


@pytest.mark.parametrize("answer", [SINGLE, *MULTI])
def test_the_answer_is_recorded_and_only_promotion_brings_its_files(
    answer: str, render: Callable[..., Path], template_snapshot: Path
) -> None:
    project = render(environments=answer)
    recorded = read_answers(project)
    assert recorded.get("environments", SINGLE) == answer
    promotes = answer != SINGLE
    assert (project / "diabetes_regression" / "util" / "promote.py").is_file() == promotes
    assert (project / "tests" / "test_promote.py").is_file() == promotes
    makefile = (project / "Makefile").read_text()
    assert ("\npromote:" in makefile) == promotes
    answers = resolve_answers(answers_with(environments=answer))
    assert manifest_findings(project, template_snapshot, answers) == []


# --- the rendering passes every check, and its promotion tests pass ---------------------------------


def _generated_tests(project: Path, venv: Path, *args: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "PYTEST_ADDOPTS"}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
    command = ["python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=", *args]
    return subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=900, env=env)


@pytest.mark.parametrize(
    "answer, overrides",
    [("dev_prod", {}), ("dev_test_prod", {"ci_platform": "github_actions", "iac": "terraform"})],
)
def test_a_rendering_with_environments_passes_every_check(
    answer: str, overrides: dict, render: Callable[..., Path], project_venv: Path
) -> None:
    assert run_checks(render(environments=answer, **overrides)) == []


def test_the_generated_promotion_tests_pass(render: Callable[..., Path], project_venv: Path, memo: Memo) -> None:
    """In the longest chain (its refusal loop covers test and prod); dev_prod's module is the same
    text with one environment fewer in that loop."""
    project = render(environments="dev_test_prod", deployment_targets=["aks", "online_endpoint", "webapp"])
    memo.unchanged(project, project_venv.name)
    modules = ("tests/test_promote.py", "tests/test_ml_service_promote.py")
    result = _generated_tests(project, project_venv, *modules)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert re.search(r"^\d+ passed in [\d.]+s$", result.stdout, re.MULTILINE), result.stdout[-400:]  # none skipped


def test_a_kubernetes_deployment_from_the_registry_fails_the_generated_test(
    render_copy: Callable[..., Path], project_venv: Path
) -> None:
    """Planted defect: the AKS target claims its deployments can reference a registry model, which
    azure-ai-ml's loader refuses; the generated test loads what the next environment creates."""
    project = render_copy(environments="dev_prod", deployment_targets=["aks"])
    aks = project / "ml_service" / "deploy" / "aks.py"
    aks.write_text(aks.read_text().replace("REGISTRY_MODELS = False", "REGISTRY_MODELS = True"))
    result = _generated_tests(project, project_venv, "tests/test_ml_service_promote.py", "-k", "load_with")
    assert result.returncode == 1, result.stdout[-4000:]
    assert "Registry reference for models is not supported for K8SDeployment" in result.stdout


def test_a_promotion_that_changes_the_model_fails_the_generated_test(
    render_copy: Callable[..., Path], project_venv: Path
) -> None:
    """Planted defect: promote.py adds a file to what it copies into the registry."""
    project = render_copy(environments="dev_prod")
    promote = project / "diabetes_regression" / "util" / "promote.py"
    text = promote.read_text()
    copy = "    shutil.copytree(model, destination)\n"
    assert copy in text
    promote.write_text(text.replace(copy, copy + '    (destination / "extra.txt").write_text("not trained")\n'))
    result = _generated_tests(project, project_venv, "tests/test_promote.py", "-k", "trained_one")
    assert result.returncode == 1, result.stdout[-4000:]
    assert "artifact_digest(registry_model) == promote.artifact_digest(dev_model)" in result.stdout


# --- each environment's names as the template sees them (copier.yml's computed values) ----------

PROBE_NAMES = "{{ {'names': environment_names, 'variables': environment_variables} | tojson }}\n"
PROBE_PARAMETERS = (
    "{%- from 'jinja/environment.jinja' import in_environment with context -%}\n"
    "{{ in_environment('prod', 'template/environment_setup/arm-templates/cloud-environment.parameters.json.jinja') }}\n"
)


@pytest.mark.parametrize("answer", MULTI)
def test_copier_computes_each_environments_names_as_python_does(
    answer: str, template_snapshot: Path, tmp_path: Path
) -> None:
    """environment_names and environment_variables (copier.yml) against deployment_environments and
    variables.environment_variables; in_environment renders a file with one environment's names."""
    scratch = tmp_path / "template"
    shutil.copytree(template_snapshot, scratch, symlinks=True)
    (scratch / "template" / "probe-names.json.jinja").write_text(PROBE_NAMES)
    (scratch / "template" / "probe-prod.parameters.json.jinja").write_text(PROBE_PARAMETERS)
    targets = ["aci", "aks", "online_endpoint", "webapp"]
    data = {**answers_with(deployment_targets=targets, batch_scoring=True), "environments": answer}
    copier.run_copy(str(scratch), tmp_path / "project", data=data, defaults=True, quiet=True)
    rendered = json.loads((tmp_path / "project" / "probe-names.json").read_text())
    answers = resolve_answers(answers_with(deployment_targets=targets, batch_scoring=True, environments=answer))
    expected = environment_names(answers, PER_ENVIRONMENT, PER_ENVIRONMENT_DERIVED)
    for environment, names in expected.items():
        assert {key: rendered["names"][environment][key] for key in names} == names
    assert rendered["variables"] == environment_variables(answers)
    assert set(rendered["variables"]["prod"]) >= {"RESOURCE_GROUP", "WORKSPACE_NAME", "ONLINE_ENDPOINT_NAME"}
    parameters = json.loads((tmp_path / "project" / "probe-prod.parameters.json").read_text())["parameters"]
    prod = expected["prod"]
    assert parameters["workspaceName"]["value"] == prod["workspace_name"] == f"{answers['workspace_name']}-prod"
    assert parameters["storageAccountName"]["value"] == prod["storage_account_name"]
    assert parameters["webAppName"]["value"] == prod["webapp_deployment_name"]
    assert parameters["aksClusterName"]["value"] == prod["aks_cluster_name"]


def test_in_environment_replaces_every_name_an_environment_has_its_own_of() -> None:
    text = (REPO_ROOT / "jinja" / "environment.jinja").read_text()
    replaced = re.findall(r"^\s+(\w+)=names\.(\w+),?$", text, re.MULTILINE)
    assert all(name == key for name, key in replaced)
    assert {name for name, _ in replaced} == PER_ENVIRONMENT_KEYS


# --- each environment's IaC inputs, variables and pipelines (ADR 28, "Still to come" 1) ------------


def _bash_arrays(script: Path, names: list[str]) -> dict[str, list[str]]:
    """The script's `name=( ... )` arrays, as bash reads them."""
    body = "".join(
        re.search(rf"^{name}=\(\n.*?^\)\n", script.read_text(), re.MULTILINE | re.DOTALL)[0] for name in names
    )
    printed = "for n in " + " ".join(names) + '; do a="$n[@]"; printf "%s\\n" "== $n" "${!a}"; done'
    out = subprocess.run(["bash", "-c", body + printed], capture_output=True, text=True, check=True).stdout
    arrays: dict[str, list[str]] = {}
    for line in out.splitlines():
        if line.startswith("== "):
            current = arrays.setdefault(line[3:], [])
        else:
            current.append(line)
    return arrays


@pytest.mark.parametrize("iac", ["arm", "terraform"])
def test_each_environment_has_its_iac_inputs_and_no_project_wide_one(render: Callable[..., Path], iac: str) -> None:
    project = render(environments="dev_test_prod", iac=iac)
    answers = resolve_answers(answers_with(environments="dev_test_prod", iac=iac))
    names = environment_names(answers, PER_ENVIRONMENT, PER_ENVIRONMENT_DERIVED)
    if iac == "arm":
        folder = project / "environment_setup" / "arm-templates"
        assert not (folder / "cloud-environment.parameters.json").exists()
        for environment, named in names.items():
            parameters = json.loads((folder / f"cloud-environment.{environment}.parameters.json").read_text())
            assert parameters["parameters"]["workspaceName"]["value"] == named["workspace_name"]
            assert parameters["parameters"]["keyVaultName"]["value"] == named["key_vault_name"]
    else:
        folder = project / "environment_setup" / "tf-templates"
        assert not (folder / "terraform.tfvars").exists()
        assert 'backend "azurerm" {}' in (folder / "backend.tf").read_text()
        for environment, named in names.items():
            assert (
                f'workspace_name            = "{named["workspace_name"]}"'
                in (folder / f"{environment}.tfvars").read_text()
            )
            backend = (folder / f"{environment}.tfbackend").read_text()
            assert f'storage_account_name = "{named["tf_state_storage_name"]}"' in backend
            assert f'resource_group_name  = "{named["resource_group"]}"' in backend


def test_azure_devops_has_a_variable_group_per_environment(render: Callable[..., Path]) -> None:
    """The setup script creates the shared group and one per environment with exactly that
    environment's values; the variables template keeps only what every environment shares."""
    project = render(environments="dev_test_prod", batch_scoring=True)
    answers = resolve_answers(answers_with(environments="dev_test_prod", batch_scoring=True))
    expected = environment_variables(answers)
    script = project / "environment_setup" / "create-variable-group.sh"
    arrays = _bash_arrays(script, ["shared", *expected])
    for environment, values in expected.items():
        assert arrays[environment] == [f"{name}|{value}|false" for name, value in values.items()]
        group = per_environment_names(answers, ["variable_group_name"])[environment]["variable_group_name"]
        assert f'sync_group {group} _{environment.upper()} "${{{environment}[@]}}"' in script.read_text()
    shared = {entry.split("|")[0] for entry in arrays["shared"]}
    per_environment = set(expected["dev"])
    assert shared and not shared & per_environment and {"RESOURCE_GROUP", "AZURE_RM_SVC_CONNECTION"} <= per_environment
    template = yaml.safe_load((project / ".pipelines" / "variables-template.yml").read_text())["variables"]
    assert not {row["name"] for row in template} & per_environment  # ACI_IDENTITY_NAME moved to the groups


def test_github_keeps_each_environments_variables_in_its_environment(render: Callable[..., Path]) -> None:
    project = render(environments="dev_prod", ci_platform="github_actions")
    answers = resolve_answers(answers_with(environments="dev_prod", ci_platform="github_actions"))
    expected = environment_variables(answers)
    assert {"AZURE_CLIENT_ID", "RESOURCE_GROUP"} <= set(expected["prod"])
    arrays = _bash_arrays(project / "environment_setup" / "create-github-variables.sh", ["variables", *expected])
    for environment, values in expected.items():
        assert arrays[environment] == [f"{name}|{value}" for name, value in values.items()]
    assert not {entry.split("|")[0] for entry in arrays["variables"]} & set(expected["dev"])
    workflow = yaml.safe_load((project / ".github/workflows/diabetes_regression-ci.yml").read_text())
    assert not set(workflow["env"]) & set(expected["dev"])  # read in the job, from its environment
    train = workflow["jobs"]["train"]
    assert train["environment"] == "development"
    assert train["env"] == {name: f"${{{{ vars.{name} }}}}" for name in expected["dev"]}


def test_a_single_projects_name_left_in_a_project_with_environments_is_caught(
    render: Callable[..., Path], render_copy: Callable[..., Path]
) -> None:
    """`mlops-RG` names nothing once every environment has its own (`mlops-RG-dev`, …): a doc or
    pipeline that still says it sends the user to a resource that does not exist."""
    from mlops_scaffold.checks.environment_names import no_single_names

    assert no_single_names(render(environments="dev_test_prod", batch_scoring=True, r_training="databricks")) == []
    project = render_copy(environments="dev_prod")
    answers = resolve_answers(answers_with(environments="dev_prod"))
    guide = project / "docs" / "getting_started.md"
    group, vault = answers["resource_group"], f"{answers['base_name']}-AML-KV"
    guide.write_text(guide.read_text() + f"\nDelete `{group}` (not `{group}-dev`) and `{vault}`.\n")
    findings = no_single_names(project)
    assert [(f.path, f.message.split(",")[0]) for f in findings] == [
        ("docs/getting_started.md", f"names `{answers['resource_group']}`"),
        ("docs/getting_started.md", f"names `{answers['base_name']}-AML-KV`"),
    ]
    assert findings[0].line == len(guide.read_text().splitlines())
    single = Path(shutil.copytree(render(), project.parent / "single"))
    (single / "docs" / "getting_started.md").write_text(guide.read_text())
    assert no_single_names(single) == []  # a project without environments has those names


def test_the_dry_run_without_a_dotenv_names_devs_resources(
    render: Callable[..., Path], project_venv: Path, tmp_path: Path
) -> None:
    """`make aml-dry-run` in a new dev_prod clone (no .env): every name is dev's, as the IaC creates
    them; none is the environment-less name the variables files hold as their example."""
    project = tmp_path / "project"
    shutil.copytree(
        render(environments="dev_prod", deployment_targets=["aci", "online_endpoint"]), project, symlinks=True
    )
    result = subprocess.run(
        ["make", "--no-print-directory", "aml-dry-run", f"PYTHON={project_venv / 'bin' / 'python'}"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    variables = project / "ml_service" / "variables"
    example = {
        row["name"]: row["value"]
        for part in ("core", "online_endpoint")
        for row in json.loads((variables / f"{part}.json").read_text())
    }
    written = "\n".join(path.read_text() for path in (project / "build" / "aml").rglob("*") if path.is_file())
    group, endpoint = example["RESOURCE_GROUP"], example["ONLINE_ENDPOINT_NAME"]
    assert f"resourceGroups/{group}-dev/" in written and f"endpoint_name: {endpoint}-dev\n" in written
    assert f"resourceGroups/{group}/" not in written and f"endpoint_name: {endpoint}\n" not in written
