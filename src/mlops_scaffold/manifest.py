"""The files a rendering must contain, derived from the answers without copier.

Every path of `template/` is rendered with the answers (in a plain Jinja environment, not
copier's), then the optional paths the answers leave out are dropped: the same table
(`traits.paths.OPTIONAL_PATHS`) that copier.yml's `_exclude` entries are generated from. A name
that renders empty (`{% if x %}name{% endif %}`) is dropped too, as copier does.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from mlops_scaffold.naming import derived_names
from mlops_scaffold.project_files import ANSWERS_FILE
from mlops_scaffold.traits.paths import absent_paths, computed_flags, is_absent
from mlops_scaffold.traits.values import target_rows
from mlops_scaffold.variables import pipeline_variables

TEMPLATE_SUFFIX = ".jinja"


def render_context(answers: Mapping[str, Any]) -> dict[str, Any]:
    """What the template sees: answers (with every question's default), derived names, variables."""
    from mlops_scaffold.options import QUESTIONS

    context: dict[str, Any] = {}
    for question in QUESTIONS:
        context[question.name] = answers.get(question.name, question.default_for(context))
    context.update(derived_names(str(context["base_name"])))
    context["pipeline_variables"] = pipeline_variables(answers)
    context["target_rows"] = target_rows()
    context.update({name: flag.holds(context) for name, flag in computed_flags().items()})
    context["_copier_conf"] = {"answers_file": ANSWERS_FILE}
    return context


@functools.cache  # the matrix renders the same names for every combination
def _name_template(part: str) -> jinja2.Template:
    return SandboxedEnvironment(undefined=jinja2.StrictUndefined).from_string(part)


def expected_files(template_dir: Path, answers: Mapping[str, Any]) -> set[str]:
    context = render_context(answers)
    absent = absent_paths(context)
    expected = set()
    for path in template_dir.rglob("*"):
        if not path.is_file():
            continue
        parts = [
            _name_template(part).render(context) if "{" in part else part
            for part in path.relative_to(template_dir).parts
        ]
        if parts[-1].endswith(TEMPLATE_SUFFIX):
            parts[-1] = parts[-1][: -len(TEMPLATE_SUFFIX)]
        # A name that renders empty (`{% if x %}name{% endif %}.jinja` included) is not written.
        if not all(parts) or is_absent("/".join(parts), absent):
            continue
        expected.add("/".join(parts))
    return expected
