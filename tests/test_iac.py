"""The generated infrastructure as code: for both flavours and every combination of the answers
that change it (every subset of the targets with infrastructure of their own × batch scoring ×
Databricks), checkov reports no failed
check with only justified skips, the structural checks pass, the IaC pipelines validate against
their platform's schema, and the docs say how to create and remove the infrastructure."""

from __future__ import annotations

import itertools
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO_ROOT, every_target, per_target, require, subset_renderer
from conftest import edit_once as _edit

from mlops_scaffold.checks import iac, run_checks
from mlops_scaffold.naming import DERIVED_NAMES

# The matrix renders are shared by the tests of this module; `make test` distributes tests by
# module (--dist loadscope), so one worker renders them once.

# Each target's own resource in the IaC (ARM, Terraform), declared by tests/test_target_<target>.py;
# a target without one (a managed endpoint lives in the workspace) adds nothing to sweep.
TARGET_MARKS: dict[str, tuple[str, str]] = per_target("IAC_MARKS")
IAC_TARGETS = tuple(TARGET_MARKS)


def _combinations() -> list[dict[str, Any]]:
    combos = []
    subsets = [
        list(subset) for size in range(len(IAC_TARGETS) + 1) for subset in itertools.combinations(IAC_TARGETS, size)
    ]
    for index, (flavour, targets, batch, r_training) in enumerate(
        itertools.product(("arm", "terraform"), subsets, (False, True), ("none", "databricks"))
    ):
        combos.append(
            {
                "iac": flavour,
                "deployment_targets": targets,
                "batch_scoring": batch,
                "r_training": r_training,
                # alternate the platform so each flavour's pipelines are rendered for both
                "ci_platform": ("azure_devops", "github_actions")[index % 2],
            }
        )
    return combos


COMBINATIONS = _combinations()


def combo_id(combo: dict[str, Any]) -> str:
    targets = "+".join(combo["deployment_targets"]) or "no-target"
    extras = [
        name for name, on in (("batch", combo["batch_scoring"]), ("databricks", combo["r_training"] != "none")) if on
    ]
    platform = "ado" if combo["ci_platform"] == "azure_devops" else "gh"
    return "-".join([combo["iac"], targets, *extras, platform])


# Only what the IaC checks read is rendered for the matrix: the real template, the real copier.
IAC_PATHS = ["/*", "!/environment_setup", "!/docs", "!/.checkov.yaml", "!/.github"]


@pytest.fixture(scope="session")
def iac_render(tmp_path_factory: pytest.TempPathFactory, template_snapshot: Path):
    return subset_renderer(tmp_path_factory, template_snapshot, IAC_PATHS, combo_id)


@pytest.mark.parametrize("combo", COMBINATIONS, ids=combo_id)
def test_structural_checks_pass(iac_render, combo: dict[str, Any]) -> None:
    project = iac_render(combo)
    findings = [str(finding) for check in iac.CHECKS for finding in check(project)]
    assert findings == [], f"{combo_id(combo)}:\n" + "\n".join(findings)


@pytest.mark.parametrize("combo", COMBINATIONS, ids=combo_id)
def test_resources_follow_the_answers(iac_render, combo: dict[str, Any]) -> None:
    """Each optional resource exists exactly when its answer asks for it."""
    project = iac_render(combo)
    folder = iac.iac_folder(project)
    assert folder is not None
    text = "\n".join(path.read_text() for path in sorted(folder.iterdir()))
    marks = dict(TARGET_MARKS)
    wanted = {target: target in combo["deployment_targets"] for target in marks}
    wanted_batch = {"batch": combo["batch_scoring"], "databricks": combo["r_training"] == "databricks"}
    marks |= {
        "batch": ("blobServices/containers", "azurerm_storage_container"),
        "databricks": ("Microsoft.Databricks/workspaces", "azurerm_databricks_workspace"),
    }
    mark = 0 if combo["iac"] == "arm" else 1
    for name, present in (wanted | wanted_batch).items():
        assert (marks[name][mark] in text) is present, f"{combo_id(combo)}: {name} should be {present}"


INSTALL_CHECKOV = (
    "python3 -m venv /tmp/checkov-venv && /tmp/checkov-venv/bin/pip install checkov==3.3.30 && "
    "export CHECKOV_BIN=/tmp/checkov-venv/bin/checkov"
)


def _checkov_or_skip() -> str:
    binary = iac.checkov_binary()
    require(binary, f"checkov: {INSTALL_CHECKOV}")
    return binary


def test_checkov_finds_nothing_in_any_rendering(iac_render) -> None:
    """Acceptance 1: zero failed checkov checks for every combination, scanned in one checkov run
    over the distinct IaC folders (cached by content under .cache/checkov)."""
    binary = _checkov_or_skip()
    projects = {combo_id(combo): iac_render(combo) for combo in COMBINATIONS}
    folders = {key: iac.iac_folder(project) for key, project in projects.items()}
    # Each rendering skips only the checks of its own resources: scan with its own .checkov.yaml,
    # one checkov run per distinct configuration.
    by_config: dict[bytes, tuple[Path, list[Path]]] = {}
    for key, project in projects.items():
        if folders[key]:
            config = project / iac.CHECKOV_CONFIG
            by_config.setdefault(config.read_bytes(), (config, []))[1].append(folders[key])
    started = time.monotonic()
    results = {}
    for config, group in by_config.values():
        results.update(iac.run_checkov(group, config, cache_dir=REPO_ROOT / ".cache" / "checkov", binary=binary))
    elapsed = time.monotonic() - started
    distinct = len({iac.content_hash(folder) for folder in folders.values() if folder})
    print(f"\ncheckov: {len(folders)} renderings, {distinct} distinct IaC folders, {elapsed:.1f}s")
    failures = [
        f"{key}: {failure.check_id} {failure.resource} ({failure.file}:{failure.line}) {failure.name}"
        for key, folder in folders.items()
        for failure in results[folder].failed
    ]
    assert failures == []
    assert all(results[folder].passed >= 10 for folder in folders.values()), "checkov ran too few checks"


def test_checkov_catches_an_enabled_registry_admin(render_copy) -> None:
    binary = _checkov_or_skip()
    project = render_copy(iac="terraform")
    main = project / iac.TF_DIR / "main.tf"
    main.write_text(main.read_text().replace("admin_enabled          = false", "admin_enabled          = true"))
    assert [finding.message.split()[1] for finding in iac.checkov_findings(project, binary=binary)] == ["CKV_AZURE_137"]


def test_every_checkov_skip_is_justified(render) -> None:
    every = render(deployment_targets=every_target(), r_training="databricks")
    text = (every / iac.CHECKOV_CONFIG).read_text()
    skips = iac.checkov_skips(text)
    assert len(skips) > 10
    assert all(len(reason) >= 10 for reason in skips.values()), skips


def test_an_unjustified_skip_is_a_finding(render_copy) -> None:
    project = render_copy()
    config = project / iac.CHECKOV_CONFIG
    config.write_text(
        config.read_text().replace("skip-check:\n", "skip-check:\n  - CKV_AZURE_1\n  - CKV_AZURE_2  # ok\n")
    )
    messages = [finding.message for finding in iac.checkov_config(project)]
    assert messages == ["skip CKV_AZURE_1 has no justification", "skip CKV_AZURE_2 has no justification"]


@pytest.mark.parametrize("flavour", ["arm", "terraform"])
def test_registry_admin_switched_on_by_hand_is_caught(render_copy, flavour: str) -> None:
    """Acceptance 2: `mlops-scaffold check` (these CHECKS) reports an enabled ACR admin user."""
    project = render_copy(iac=flavour)
    if flavour == "arm":
        path = project / iac.ARM_TEMPLATE
        path.write_text(path.read_text().replace('"adminUserEnabled": false', '"adminUserEnabled": true'))
    else:
        path = project / iac.TF_DIR / "main.tf"
        path.write_text(path.read_text().replace("admin_enabled          = false", "admin_enabled          = true"))
    findings = run_checks(project, iac.CHECKS)
    assert len(findings) == 1 and "admin user enabled" in findings[0].message, findings
    assert findings[0].path == path.relative_to(project).as_posix() and findings[0].line


def test_pipelines_must_read_existing_outputs(render_copy) -> None:
    project = render_copy(iac="terraform", ci_platform="github_actions")
    _edit(project / ".github/workflows/iac-create-environment.yml", "-raw workspace_name", "-raw ws_name")
    messages = [finding.message for finding in iac.pipeline_outputs(project)]
    assert messages == [f"reads output ws_name, which {iac.TF_DIR} lacks"]


def test_names_must_agree_across_iac_docs_and_pipelines(render_copy) -> None:
    project = render_copy(iac="terraform")
    _edit(project / iac.TF_DIR / "terraform.tfvars", '"mlops-AML-WS"', '"other-ws"')
    _edit(
        project / "environment_setup/iac-create-environment-pipeline-tf.yml", "value: mlopsdiabestatestor", "value: x"
    )
    doc = project / iac.INFRASTRUCTURE_DOC
    doc.write_text(doc.read_text().replace("`mlopsdiabeamlcr`", "the registry"))
    messages = [finding.message for finding in iac.names_consistent(project)]
    assert "workspace_name='other-ws' but docs/variable_group.md has WORKSPACE_NAME='mlops-AML-WS'" in messages
    assert f"TF_STATE_STORAGE must be 'mlopsdiabestatestor' as in {iac.TF_DIR}/backend.tf" in messages
    assert "does not mention the resource name `mlopsdiabeamlcr`" in messages


def test_pipelines_validate_against_their_schemas(iac_render) -> None:
    check_jsonschema = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent)) or shutil.which(
        "check-jsonschema"
    )
    assert check_jsonschema, "check-jsonschema is a dev dependency"
    files: dict[str, dict[str, Path]] = {"ado": {}, "gh": {}}
    for combo in COMBINATIONS:
        project = iac_render(combo)
        for path in sorted((project / "environment_setup").glob("iac-*.yml")):
            files["ado"].setdefault(path.read_text(), path)
        for path in sorted((project / ".github" / "workflows").glob("iac-*.yml")):
            files["gh"].setdefault(path.read_text(), path)
    assert files["ado"] and files["gh"]
    ado_schema = ["--builtin-schema", "vendor.azure-pipelines", "--data-transform", "azure-pipelines"]
    commands = {
        # the Azure Pipelines schema has regexes only the non-unicode ECMAScript mode accepts
        "ado": [*ado_schema, "--regex-variant", "nonunicode"],
        "gh": ["--builtin-schema", "vendor.github-workflows"],
    }
    for platform, distinct in files.items():
        done = subprocess.run(
            [check_jsonschema, *commands[platform], *map(str, distinct.values())], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stdout + done.stderr


def test_pipelines_pin_their_tools(iac_render) -> None:
    """No floating refs: actions by commit sha with the release in a comment, Terraform by exact version."""
    for combo in COMBINATIONS[:4]:
        project = iac_render(combo)
        for path in [*project.glob("environment_setup/iac-*.yml"), *project.glob(".github/workflows/iac-*.yml")]:
            text = path.read_text()
            for ref in re.findall(r"uses:\s*(\S+\s*#\s*\S+|\S+)", text):
                assert re.search(r"@[0-9a-f]{40} # v\d+\.\d+\.\d+$", ref), f"{path.name}: {ref} is not pinned to a sha"
            if combo["iac"] == "terraform":
                assert re.search(r"TERRAFORM_VERSION:?\s*(?:\n\s*value:\s*)?\d+\.\d+\.\d+", text), path.name


@pytest.mark.parametrize(
    ("flavour", "platform"),
    [
        ("arm", "azure_devops"),
        ("arm", "github_actions"),
        ("terraform", "azure_devops"),
        ("terraform", "github_actions"),
    ],
)
def test_docs_describe_create_and_remove(iac_render, flavour: str, platform: str) -> None:
    """Acceptance 3: docs/infrastructure.md says how to create and remove this flavour on this platform,
    and the pipelines it names exist."""
    project = iac_render({**COMBINATIONS[0], "iac": flavour, "ci_platform": platform})
    doc = (project / iac.INFRASTRUCTURE_DOC).read_text()
    assert "## Create (or update) the infrastructure" in doc and "## Remove the infrastructure" in doc
    for link in re.findall(r"\]\(\.\./([^)]+)\)", doc):
        assert (project / link).exists(), f"docs link to missing {link}"
    if flavour == "terraform":
        assert "terraform apply" in doc and "terraform destroy" in doc and "cloud-environment.json" not in doc
    else:
        assert "az deployment group create" in doc and "terraform" not in doc.lower()
    assert "az group delete" in doc
    create = "iac-create-environment" + ("-pipeline-tf" if flavour == "terraform" else "-pipeline-arm")
    assert (create if platform == "azure_devops" else "IaC create environment") in doc


def test_derived_names_fit_azure_rules_for_the_longest_base_name() -> None:
    for base in ("abc", "Abcdefghij"):
        for name in DERIVED_NAMES:
            assert name.rule.check(name.value(base)) is None, (name.key, name.value(base))


def test_parameters_file_has_no_secrets(iac_render) -> None:
    for combo in COMBINATIONS:
        project = iac_render(combo)
        if combo["iac"] == "arm":
            parameters = json.loads((project / iac.ARM_PARAMETERS).read_text())["parameters"]
            assert not any(word in name.lower() for name in parameters for word in ("secret", "password", "accesskey"))
        else:
            tfvars = (project / iac.TF_DIR / "terraform.tfvars").read_text().lower()
            assert "secret" not in tfvars and "password" not in tfvars


@pytest.mark.parametrize("flavour", ["arm", "terraform"])
def test_values_that_change_every_run_are_caught(render_copy, flavour: str) -> None:
    """Idempotence by construction: nothing in the IaC may differ between two runs."""
    project = render_copy(iac=flavour)
    if flavour == "arm":
        _edit(project / iac.ARM_TEMPLATE, '"retentionInDays": 30', '"retentionInDays": "[utcNow()]"')
        findings = iac.arm_structure(project)
    else:
        _edit(project / iac.TF_DIR / "main.tf", "retention_in_days   = 30", "retention_in_days   = timestamp()")
        findings = iac.terraform_structure(project)
    assert [finding.message.split(": ")[-1] for finding in findings] == [
        ("utcNow() changes on every run" if flavour == "arm" else "timestamp() changes on every run")
    ]


def test_terraform_is_parsed_once_per_content(render, render_copy) -> None:
    """The matrix renders the same Terraform folder in many combinations: one parse serves every
    project with those files (findings name files relative to the project), and a changed file is
    parsed again."""
    original = render(iac="terraform")
    copy = render_copy(iac="terraform")
    assert iac.load_terraform(copy, []) is iac.load_terraform(original, [])
    _edit(copy / iac.TF_DIR / "main.tf", "retention_in_days   = 30", "retention_in_days   = {")
    findings: list = []
    assert iac.load_terraform(copy, findings) is not iac.load_terraform(original, [])
    assert [(finding.path, finding.message[:15]) for finding in findings] == [
        (f"{iac.TF_DIR}/main.tf", "does not parse:")
    ]


def test_role_assignment_scope_must_name_a_resource(render_copy) -> None:
    project = render_copy(iac="arm", deployment_targets=["aci"])
    _edit(
        project / iac.ARM_TEMPLATE,
        "\"scope\": \"[format('Microsoft.ContainerRegistry/registries/{0}', parameters('containerRegistryName'))]\"",
        "\"scope\": \"[format('Microsoft.ContainerRegistry/registries/{0}', parameters('keyVaultName'))]\"",
    )
    messages = [finding.message for finding in iac.arm_structure(project)]
    assert messages == [
        "format names Microsoft.ContainerRegistry/registries parameters('keyVaultName'), "
        "which the template does not declare"
    ]


def _pipeline_scripts(path: Path) -> list[str]:
    """The bash scripts of an Azure Pipelines or GitHub Actions file, with pipeline macros
    ($(VAR), ${{ expr }}) replaced by a plain word as the agent does before bash runs."""
    import yaml

    document = yaml.safe_load(path.read_text())
    steps = [step for job in (document.get("jobs") or {}).values() for step in job.get("steps", [])]
    steps += document.get("steps", [])
    scripts = [
        step.get("script") or step.get("run") or (step.get("inputs") or {}).get("inlineScript") for step in steps
    ]

    def word(match: re.Match[str]) -> str:
        return "macro_" + re.sub(r"\W", "_", match.group(0))

    return [re.sub(r"\$\([\w.]+\)|\$\{\{[^}]*\}\}", word, script) for script in scripts if script]


def test_pipeline_scripts_pass_shellcheck(iac_render) -> None:
    shellcheck = shutil.which("shellcheck")
    require(shellcheck, "shellcheck (apt-get install shellcheck)")
    seen: set[str] = set()
    for combo in COMBINATIONS:
        project = iac_render(combo)
        for path in [*project.glob("environment_setup/iac-*.yml"), *project.glob(".github/workflows/iac-*.yml")]:
            for script in _pipeline_scripts(path):
                if script in seen:
                    continue
                seen.add(script)
                # tenantId, servicePrincipalId, idToken… come from AzureCLI@2's addSpnToEnvironment
                source = "#!/usr/bin/env bash\n# shellcheck disable=SC2154\n" + script
                done = subprocess.run([shellcheck, "-"], input=source, capture_output=True, text=True)
                assert done.returncode == 0, f"{path.name}:\n{script}\n{done.stdout}"
    assert len(seen) > 10
