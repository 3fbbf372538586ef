"""OPTIONAL_PATHS (traits/paths.py): template names carry no conditions, every row names a real
template path, and copier's `_exclude` entries leave out exactly what the manifest leaves out."""

from __future__ import annotations

import jinja2
import yaml
from conftest import REPO_ROOT
from jinja2.sandbox import SandboxedEnvironment

from mlops_scaffold.manifest import TEMPLATE_SUFFIX, render_context
from mlops_scaffold.matrix.combinations import full_answers, valid_combinations
from mlops_scaffold.options import resolve_answers
from mlops_scaffold.traits.paths import OPTIONAL_PATHS, absent_paths, is_absent

TEMPLATE = REPO_ROOT / "template"


def _rendered_template_paths(answers: dict) -> set[str]:
    """Every file and folder of template/ as rendered (names only), before any exclusion."""
    env = SandboxedEnvironment(undefined=jinja2.StrictUndefined)
    context = render_context(answers)
    paths = set()
    for path in TEMPLATE.rglob("*"):
        parts = [env.from_string(part).render(context) for part in path.relative_to(TEMPLATE).parts]
        paths.add("/".join(parts).removesuffix(TEMPLATE_SUFFIX))
    return paths


def test_template_names_carry_no_conditions() -> None:
    conditional = [str(path.relative_to(TEMPLATE)) for path in TEMPLATE.rglob("*") if "{%" in path.name]
    assert conditional == [], "switch these with a row of traits/paths.py, not in the name"


def test_every_optional_path_is_a_template_path() -> None:
    answers = resolve_answers({"sample_name": "some_sample"})
    existing = _rendered_template_paths(answers)
    stale = [entry.path for entry in OPTIONAL_PATHS if entry.rendered(answers) not in existing]
    assert stale == []


def test_exclude_entries_leave_out_what_the_manifest_leaves_out() -> None:
    """copier.yml's `_exclude` (rendered as copier does, one pattern per item) against the Python
    evaluation of the same rows, for every combination."""
    entries = yaml.safe_load((REPO_ROOT / "copier.yml").read_text(encoding="utf-8"))["_exclude"]
    assert len(entries) == len(OPTIONAL_PATHS)
    env = SandboxedEnvironment(undefined=jinja2.StrictUndefined)
    templates = [env.from_string(entry) for entry in entries]
    for combination in valid_combinations():
        context = render_context(full_answers(combination))
        jinja = sorted(path.lstrip("/") for path in (t.render(context) for t in templates) if path)
        assert jinja == sorted(absent_paths(context)), combination.id


def test_a_folder_row_covers_what_is_under_it() -> None:
    assert is_absent("environment_setup/tf-templates/main.tf", ("environment_setup/tf-templates",))
    assert not is_absent("environment_setup/tf-templates-old/main.tf", ("environment_setup/tf-templates",))
