"""The committed example: `examples/diabetes_regression/` is the default rendering, kept in
sync by `make examples` and a test that re-renders it and compares (like ss-python's CI)."""

from __future__ import annotations

import filecmp
import shutil
import tempfile
from pathlib import Path

from mlops_scaffold.matrix.render_tier import snapshot_template
from mlops_scaffold.project_files import ANSWERS_FILE, iter_files
from mlops_scaffold.render import CHECKOUT_ROOT, render_project

EXAMPLE_DIR = CHECKOUT_ROOT / "examples" / "diabetes_regression"
# The example records the public template source, not the temporary snapshot it came from.
PUBLIC_SOURCE = "https://github.com/mlops-scaffold/mlops-scaffold.git"


def render_example(dest: Path, source: Path = CHECKOUT_ROOT) -> Path:
    """Render the default project (working tree of `source`, uncommitted changes included)."""
    with tempfile.TemporaryDirectory(prefix="mlops-example-") as scratch:
        template = snapshot_template(source, Path(scratch) / "template")
        if dest.exists():
            shutil.rmtree(dest)
        render_project(dest, {}, template=template)
    answers = dest / ANSWERS_FILE
    lines = answers.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith(("_commit:", "_src_path:"))]
    kept.insert(1, f"_src_path: {PUBLIC_SOURCE}\n")
    answers.write_text("".join(kept), encoding="utf-8")
    return dest


def tree_differences(expected: Path, actual: Path) -> list[str]:
    """Files that differ, are missing or are extra in `actual`, relative to the roots."""
    expected_files = {str(p.relative_to(expected)) for p in iter_files(expected)}
    actual_files = {str(p.relative_to(actual)) for p in iter_files(actual)}
    differences = [f"missing: {name}" for name in sorted(expected_files - actual_files)]
    differences += [f"extra: {name}" for name in sorted(actual_files - expected_files)]
    differences += [
        f"differs: {name}"
        for name in sorted(expected_files & actual_files)
        if not filecmp.cmp(expected / name, actual / name, shallow=False)
    ]
    return differences


def main() -> None:
    render_example(EXAMPLE_DIR)
    print(f"rendered {EXAMPLE_DIR.relative_to(CHECKOUT_ROOT)}")


if __name__ == "__main__":
    main()
