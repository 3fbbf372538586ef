"""The IaC checks read each environment's inputs (issue 17, ADR 28): the environments' ARM template
with one parameters file per environment (`cloud-environment.<environment>.parameters.json`), the
Terraform module with one values file per environment (`<environment>.tfvars`, state settings in
`<environment>.tfbackend`), and docs/variable_group.md with a column per environment.

The template writes them together with the IaC pipelines that deploy them (issue 17's next step);
until then these tests turn a rendered project's one input file into one per environment, as the
template will, and show that each check reads every environment's file and fails on a defect
planted in one of them."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from mlops_scaffold.checks import iac
from mlops_scaffold.checks.iac.names import read_variable_group_doc
from mlops_scaffold.checks.iac_schema import iac_schemas

ENVIRONMENTS = ("dev", "prod")
ARM = "environment_setup/arm-templates"
TF = "environment_setup/tf-templates"
# The input that changes per environment here, and the pipeline variable that holds it.
PER_ENVIRONMENT = {"arm": ("workspaceName", "WORKSPACE_NAME"), "terraform": ("workspace_name", "WORKSPACE_NAME")}
DERIVED = {"arm": "storageAccountName", "terraform": "storage_account_name"}


def _per_environment(project: Path, flavour: str) -> Path:
    """The project's one IaC input file made one per environment, the variable group doc and
    docs/infrastructure.md given each environment's names."""
    key, variable = PER_ENVIRONMENT[flavour]
    derived_key = DERIVED[flavour]
    names: dict[str, dict[str, str]] = {}
    if flavour == "arm":
        single = project / ARM / "cloud-environment.parameters.json"
        data = json.loads(single.read_text())
        for environment in ENVIRONMENTS:
            values = json.loads(json.dumps(data))
            for name in (key, derived_key):
                values["parameters"][name]["value"] += environment if name == derived_key else f"-{environment}"
            names[environment] = {name: values["parameters"][name]["value"] for name in (key, derived_key)}
            (project / ARM / f"cloud-environment.{environment}.parameters.json").write_text(json.dumps(values))
    else:
        single = project / TF / "terraform.tfvars"
        text = single.read_text()
        for environment in ENVIRONMENTS:
            changed = text
            for name in (key, derived_key):
                value = re.search(rf'^{name}\s*=\s*"([^"]+)"', text, re.MULTILINE).group(1)
                new = value + (environment if name == derived_key else f"-{environment}")
                changed = re.sub(rf'^({name}\s*=\s*)"[^"]+"', rf'\1"{new}"', changed, flags=re.MULTILINE)
                names.setdefault(environment, {})[name] = new
            (project / TF / f"{environment}.tfvars").write_text(changed)
            state = f"mlopsdiabestatestor{environment}"
            names[environment]["state"] = state
            (project / TF / f"{environment}.tfbackend").write_text(
                f'resource_group_name = "mlops-RG-{environment}"\nstorage_account_name = "{state}"\n'
                f'container_name = "tfstate-cont"\nkey = "{environment}.tfstate"\n'
            )
    single.unlink()
    group = project / "docs" / "variable_group.md"
    text = group.read_text()
    text = re.sub(rf"(\| `{variable}` \|[^|]*\|[^|]*\| )`[^`]*`", r"\1*(per environment, below)*", text)
    header = "| Variable | " + " | ".join(ENVIRONMENTS) + " |\n| --- |" + " --- |" * len(ENVIRONMENTS) + "\n"
    row = f"| `{variable}` |" + "".join(f" `{names[env][key]}` |" for env in ENVIRONMENTS) + "\n"
    derived_header = "| Resource | " + " | ".join(ENVIRONMENTS) + " |\n| --- |" + " --- |" * len(ENVIRONMENTS) + "\n"
    derived_row = "| Storage account |" + "".join(f" `{names[env][derived_key]}` |" for env in ENVIRONMENTS) + "\n"
    if flavour == "terraform":
        states = "".join(f" `{names[env]['state']}` |" for env in ENVIRONMENTS)
        derived_row += f"| Terraform state storage |{states}\n"
    text = text.replace("Derived resource names", "\n" + header + row + "\n" + derived_header + derived_row + "\nOld:")
    text = re.sub(r"\| Storage account \| `[^`]+` \|\n", "", text)
    group.write_text(text)
    infrastructure = project / "docs" / "infrastructure.md"
    mentions = "".join(f"- `{value}`\n" for named in names.values() for value in named.values())
    infrastructure.write_text(infrastructure.read_text() + "\n" + mentions)
    return project


@pytest.fixture(params=sorted(PER_ENVIRONMENT))
def per_environment(request, render_copy: Callable[..., Path]) -> tuple[Path, str]:
    flavour = request.param
    overrides = {"iac": flavour} if flavour == "arm" else {"iac": flavour, "ci_platform": "github_actions"}
    return _per_environment(render_copy(**overrides), flavour), flavour


def test_the_variable_group_doc_is_read_per_environment(per_environment: tuple[Path, str]) -> None:
    project, _ = per_environment
    doc = read_variable_group_doc((project / "docs" / "variable_group.md").read_text())
    assert set(doc.per_environment) == set(ENVIRONMENTS) == set(doc.derived_per_environment)
    assert doc.value("WORKSPACE_NAME", "prod") == "mlops-AML-WS-prod"
    assert doc.value("LOCATION", "prod") == doc.variables["LOCATION"] == "centralus"
    assert doc.derived_per_environment["dev"]["Storage account"] == "mlopsdiabeamlsadev"


def test_a_state_storage_that_is_not_the_environments_is_found(render_copy: Callable[..., Path]) -> None:
    project = _per_environment(render_copy(iac="terraform", ci_platform="github_actions"), "terraform")
    assert iac.names_consistent(project) == []
    backend = project / TF / "prod.tfbackend"
    backend.write_text(backend.read_text().replace("mlopsdiabestatestorprod", "mlopsdiabestatestorprd"))
    expected = "docs/variable_group.md: Terraform state storage 'mlopsdiabestatestorprod' is not a name the IaC creates"
    assert expected in [str(finding) for finding in iac.names_consistent(project)]


def test_every_environments_inputs_pass_the_checks(per_environment: tuple[Path, str]) -> None:
    project, _ = per_environment
    inputs = iac.iac_inputs(project)
    assert [each.environment for each in inputs] == list(ENVIRONMENTS)
    checks = (iac.arm_structure, iac.terraform_structure, iac.names_consistent, iac_schemas)
    assert [str(finding) for check in checks for finding in check(project)] == []


def _plant(project: Path, flavour: str, old: str, new: str) -> str:
    path = project / (f"{ARM}/cloud-environment.prod.parameters.json" if flavour == "arm" else f"{TF}/prod.tfvars")
    text = path.read_text()
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1))
    return path.relative_to(project).as_posix()


def test_a_name_that_differs_from_its_environments_variable_is_found(per_environment: tuple[Path, str]) -> None:
    project, flavour = per_environment
    source = _plant(project, flavour, "mlops-AML-WS-prod", "mlops-AML-WS-prd")
    key = PER_ENVIRONMENT[flavour][0]
    expected = (
        f"{source}: {key}='mlops-AML-WS-prd' but docs/variable_group.md has WORKSPACE_NAME='mlops-AML-WS-prod' (prod)"
    )
    assert expected in [str(finding) for finding in iac.names_consistent(project)]


def test_a_value_missing_from_one_environment_is_found(per_environment: tuple[Path, str]) -> None:
    project, flavour = per_environment
    if flavour == "arm":
        source = _plant(project, flavour, '"keyVaultName"', '"keyVaultNam"')
        messages = [str(finding) for finding in iac.arm_structure(project)]
        assert f"{source}: required parameter keyVaultName is missing" in messages
        assert f"{source}:1: keyVaultNam is not a parameter of the template" in messages
    else:
        source = _plant(project, flavour, "key_vault_name ", "# key_vault_name ")
        assert f"{source}: variable key_vault_name has no default and no value" in [
            str(finding) for finding in iac.terraform_structure(project)
        ]
        assert any(
            'argument "name" comes from var.key_vault_name, which has no value or default' in str(finding)
            for finding in iac_schemas(project)
        )
