"""The leak check (no unchosen option in a rendering) and the docs check (docs match the code):
planted defects, and the defects of issue 13 they found, each fixed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib
import pytest
from conftest import every_target, production_image_target, staging_target, target_row

from mlops_scaffold.checks import docs, leaks
from mlops_scaffold.traits import TRAITS, unchosen_words
from mlops_scaffold.traits.values import SCORING_IMAGE


def findings(project: Path, module) -> list[str]:
    return [str(finding) for check in module.CHECKS for finding in check(project)]


def test_every_value_declares_a_vocabulary() -> None:
    """Every value of a matrix axis that adds something (not `none`, not `single`, not false) has its row."""
    from mlops_scaffold.options import AXES

    values = {(question.name, value) for question in AXES for value in question.choices or (True,)}
    assert values - {("r_training", "none"), ("environments", "single")} == set(TRAITS)
    assert all(traits.vocabulary for traits in TRAITS.values())
    # a production target serving the scoring image: the staging target's image words are its too
    shared = unchosen_words({"deployment_targets": [production_image_target()], "r_training": "aml"})
    assert "scoring-image" not in shared
    assert "rscript" not in shared and "databricks" in shared


def test_planted_unchosen_target_word_is_named_with_file_and_line(render_copy: Callable[..., Path]) -> None:
    project = render_copy(deployment_targets=["online_endpoint", "aks"])
    assert findings(project, leaks) == []
    doc = project / "docs" / "getting_started.md"
    lines = doc.read_text().splitlines()
    lines.insert(2, "Then restart the Azure Container Instances group.")
    doc.write_text("\n".join(lines) + "\n")
    assert findings(project, leaks) == [
        "docs/getting_started.md:3: names 'Azure Container Instances', of deployment_targets='aci', "
        "which was not chosen"
    ]


def test_a_file_named_for_an_unchosen_value_is_named(render_copy: Callable[..., Path]) -> None:
    chosen, unchosen = staging_target(), production_image_target()
    project = render_copy(deployment_targets=[chosen])
    (project / "ml_service" / "deploy" / f"{unchosen}.py").write_text('"""Deploy."""\n')
    assert findings(project, leaks) == [
        f"ml_service/deploy/{unchosen}.py: names '{unchosen}', of deployment_targets='{unchosen}', which was not chosen"
    ]


def test_pyproject_declares_databricks_sdk_only_for_r_on_databricks(render: Callable[..., Path]) -> None:
    # Issue 13: databricks-sdk was in requirements.txt with r_training=none. The locks hold it in
    # every rendering, as a dependency of mlflow (asserted here, so the exemption in
    # checks/leaks.py stays true); only R on Databricks declares it.
    for r_training in ("none", "aml"):
        project = render(r_training=r_training)
        assert "databricks-sdk" not in (project / "pyproject.toml").read_text()
        lock = tomllib.loads((project / "uv.lock").read_text())
        requiring = {
            package["name"]
            for package in lock["package"]
            if any(dependency["name"] == "databricks-sdk" for dependency in package.get("dependencies", []))
        }
        assert requiring and all(name.startswith("mlflow") for name in requiring), requiring
        for environment in (project / "environments").glob("*.yml"):  # exported from the lock
            named = [line.strip() for line in environment.read_text().splitlines() if "databricks" in line]
            assert all(line.startswith("- databricks-sdk==") for line in named), named
    assert '"databricks-sdk==' in (render(r_training="databricks") / "pyproject.toml").read_text()


def test_shared_venv_requirements_hold_every_rendering(render: Callable[..., Path], template_snapshot: Path) -> None:
    from mlops_scaffold.venvs import shared_requirements

    superset = set(shared_requirements(template_snapshot / "template").read_text().splitlines())
    for r_training in ("none", "aml", "databricks"):
        assert set((render(r_training=r_training) / "requirements.txt").read_text().splitlines()) <= superset


def test_ml_service_readme_names_only_the_chosen_targets(render: Callable[..., Path]) -> None:
    # Issue 13: with the endpoint targets chosen (no scoring image of ours), it documented the other
    # targets' modules, which do not exist then.
    chosen = [target for target in every_target() if SCORING_IMAGE not in target_row(target).flags]
    project = render(deployment_targets=chosen, canary_release=True, r_training="none")
    assert findings(project, leaks) == []
    text = (project / "ml_service" / "README.md").read_text()
    assert all(f"ml_service.deploy.{target}" in text for target in chosen)
    unchosen = [target for target in every_target() if target not in chosen]
    assert unchosen and all(target_row(target).short_title not in text for target in unchosen)
    assert "Databricks" not in text


def test_checkov_config_skips_only_rendered_resources(render: Callable[..., Path]) -> None:
    # Issue 13: .checkov.yaml carried skips for the production targets' and Databricks resources
    # not rendered.
    from mlops_scaffold.checks.iac import checkov_skips

    staging = staging_target()
    production = [target for target in every_target() if target != staging]
    only_staging = checkov_skips(
        (render(deployment_targets=[staging], r_training="none") / ".checkov.yaml").read_text()
    )
    every = checkov_skips(
        (render(deployment_targets=production, r_training="databricks") / ".checkov.yaml").read_text()
    )
    for check_id in ("CKV_AZURE_6", "CKV_AZURE_222", "CKV_AZURE_158", "CKV2_AZURE_48", "CKV_AZURE_88"):
        assert check_id not in only_staging and check_id in every


def test_planted_missing_make_target_is_named_with_file_and_line(render_copy: Callable[..., Path]) -> None:
    project = render_copy()
    assert findings(project, docs) == []
    doc = project / "docs" / "local_loop.md"
    doc.write_text(doc.read_text() + "\nThen run `make deploy-everything`.\n")
    line = len(doc.read_text().splitlines())
    expected = f"docs/local_loop.md:{line}: names `make deploy-everything`, not a Makefile target"
    assert findings(project, docs) == [expected]


def test_planted_missing_module_and_path_are_named(render_copy: Callable[..., Path]) -> None:
    project = render_copy()
    doc = project / "README.md"
    planted = "\nRun `python -m ml_service.deploy.nowhere`.\n\nSee `environment_setup/nothing.sh`.\n"
    doc.write_text(doc.read_text() + planted)
    lines = len(doc.read_text().splitlines())
    assert findings(project, docs) == [
        f"README.md:{lines - 2}: names `python -m ml_service.deploy.nowhere`, which does not exist",
        f"README.md:{lines}: names the path environment_setup/nothing.sh, which does not exist",
    ]


def test_pipeline_identity_can_create_the_role_assignments(render: Callable[..., Path]) -> None:
    # Issue 13: getting_started gave the pipeline identity only Contributor.
    for ci_platform in ("azure_devops", "github_actions"):
        project = render(ci_platform=ci_platform)
        assert findings(project, docs) == []
        text = " ".join((project / "docs" / "getting_started.md").read_text().split())
        assert "Role Based Access Control Administrator" in text


def test_planted_contributor_only_identity_is_named(render_copy: Callable[..., Path]) -> None:
    project = render_copy(ci_platform="github_actions")
    doc = project / "docs" / "getting_started.md"
    text = doc.read_text()
    planted = '--role "Role Based Access Control Administrator"'
    doc.write_text(text.replace(planted, "--role Reader").replace("**Role Based Access Control Administrator**", "x"))
    found = findings(project, docs)
    assert len(found) == 1 and found[0].startswith("docs/getting_started.md:")
    assert "without Owner or Role Based Access Control Administrator" in found[0]


@pytest.mark.parametrize("iac", ["arm", "terraform"])
def test_aks_is_not_attached_by_hand(render_copy: Callable[..., Path], iac: str) -> None:
    # Issue 13: getting_started told users to attach the AKS cluster that the IaC already attaches.
    project = render_copy(deployment_targets=["aks"], iac=iac)
    assert findings(project, docs) == []
    doc = project / "docs" / "getting_started.md"
    doc.write_text(doc.read_text() + "\n```bash\naz k8s-extension create --name azureml\n```\n")
    line = len(doc.read_text().splitlines()) - 1
    assert findings(project, docs) == [
        f"docs/getting_started.md:{line}: asks to run `az k8s-extension create`, "
        "but the IaC already creates the Azure ML extension"
    ]


def test_a_role_the_iac_never_assigns_is_named(render_copy: Callable[..., Path]) -> None:
    # no target and no batch scoring: nothing pulls images (the scoring cluster holds AcrPull)
    project = render_copy(deployment_targets=[], batch_scoring=False)
    doc = project / "docs" / "local_loop.md"
    doc.write_text(doc.read_text() + "\nThe scoring identity holds AcrPull.\n")
    line = len(doc.read_text().splitlines())
    expected = f"docs/local_loop.md:{line}: names the role AcrPull, which the IaC assigns to no one"
    assert findings(project, docs) == [expected]


@pytest.mark.parametrize(
    ("platform", "scope", "other"),
    [
        ("github_actions", "resource group `mlops-RG`", "subscription"),
        ("azure_devops", "subscription", "resource group"),
    ],
)
def test_a_role_scope_that_differs_between_docs_is_named(render_copy, platform, scope, other) -> None:
    project = render_copy(ci_platform=platform)
    assert docs.scopes_agree(project) == []
    doc = project / "docs" / "infrastructure.md"
    doc.write_text(doc.read_text().replace(f"on the {scope}", f"on the {other}", 1))
    found = docs.scopes_agree(project)
    assert len(found) == 1 and found[0].path == "docs/infrastructure.md", (platform, found)
    assert f"on the {other}, but docs/getting_started.md:" in found[0].message
