"""The files a rendering must contain, derived from the answers without copier.

Optional files are switched by their names (`{% if batch_scoring %}batch.py{% endif %}.jinja`),
so rendering every path of `template/` with the answers — in a plain Jinja environment, not
copier's — gives the exact expected file set: a path whose any part renders empty is absent.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from mlops_scaffold.naming import derived_names
from mlops_scaffold.project_files import ANSWERS_FILE
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
    context["_copier_conf"] = {"answers_file": ANSWERS_FILE}
    return context


def expected_files(template_dir: Path, answers: Mapping[str, Any]) -> set[str]:
    env = SandboxedEnvironment(undefined=jinja2.StrictUndefined)
    context = render_context(answers)
    expected = set()
    for path in template_dir.rglob("*"):
        if not path.is_file():
            continue
        parts = [env.from_string(part).render(context) for part in path.relative_to(template_dir).parts]
        if not all(parts):
            continue
        if parts[-1].endswith(TEMPLATE_SUFFIX):
            parts[-1] = parts[-1][: -len(TEMPLATE_SUFFIX)]
        if not parts[-1]:  # `{% if x %}name{% endif %}.jinja` with x false: copier writes nothing
            continue
        expected.add("/".join(parts))
    return expected
