"""examples/diabetes_regression never drifts from a fresh rendering of the template."""

from __future__ import annotations

from conftest import REPO_ROOT

from mlops_scaffold.examples import EXAMPLE_DIR, render_example, tree_differences
from mlops_scaffold.matrix.render_tier import snapshot_template


def test_example_matches_a_fresh_rendering(tmp_path):
    fresh = render_example(tmp_path / "fresh")
    differences = tree_differences(fresh, EXAMPLE_DIR)
    assert not differences, "examples/diabetes_regression is stale, run `make examples`:\n" + "\n".join(differences)


def test_drift_is_detected_when_the_template_changes(tmp_path):
    source = snapshot_template(REPO_ROOT, tmp_path / "source")
    readme = source / "template" / "README.md.jinja"
    readme.write_text(readme.read_text() + "\nA template change nobody rendered.\n")
    changed = render_example(tmp_path / "changed", source=source)
    assert tree_differences(changed, EXAMPLE_DIR) == ["differs: README.md"]
