"""Writes copier.yml from the options model, so the questionnaire cannot drift from it.

`python -m mlops_scaffold.copier_yml > copier.yml` (or `make copier-yml`); a test fails when the
committed copier.yml differs from what this module writes.
"""

from __future__ import annotations

import json
import re
import string
import sys
from collections.abc import Mapping
from typing import Any

from mlops_scaffold import naming
from mlops_scaffold.deployment_environments import (
    ALL_ENVIRONMENTS,
    ENVIRONMENT_SETS,
    REGISTRY_SUFFIX,
    environment_rows,
    name_suffixes,
)
from mlops_scaffold.lifecycle.migrations import migrations_yaml
from mlops_scaffold.options import PER_ENVIRONMENT, QUESTIONS, Derived, Question
from mlops_scaffold.traits.paths import computed_flags, exclude_entries
from mlops_scaffold.traits.values import target_rows
from mlops_scaffold.variables import PER_ENVIRONMENT_KEYS, VARIABLES, Variable, per_environment

MIN_COPIER_VERSION = "9.15.0"  # _envops.undefined as a name needs it; the lowest CI tests

HEADER = """\
# Generated from src/mlops_scaffold/options.py by `make copier-yml`: edit that module, not this file.

# CONFIGURATION -------------------------------------------------------------------------------
_subdirectory: template
_templates_suffix: .jinja
_answers_file: .copier-answers.yml
_min_copier_version: "{min_version}"
_envops:
  undefined: jinja2.StrictUndefined
  keep_trailing_newline: true
_message_after_copy: |
  Your MLOps repo is ready in {{{{ _copier_conf.dst_path }}}}.
  Next: cd into it, run `make install test`, then read README.md for the local loop.
_message_after_update: |
  Updated {{{{ _copier_conf.dst_path }}}}. Resolve any conflicts, run `make test`, then commit.
"""

PROMPT_RULE = "# PROMPT --------------------------------------------------------------------------------------\n"


def _quote(value: Any) -> str:
    # JSON scalars are valid YAML flow scalars, and JSON quoting is unambiguous.
    return json.dumps(value, ensure_ascii=False)


def _jinja_string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _control_check(name: str) -> str:
    """The start of every text validator: controls are refused first, without echoing the value."""
    pattern = _jinja_string(naming.CONTROL_CHARACTERS)
    return f"{{% if ({name} | string | regex_search({pattern})) is not none %}}{name}: {naming.CONTROL_MESSAGE}"


def _rule_validator(name: str, rule: naming.Rule) -> str:
    message = f"{name}: '{{{{ {name} }}}}' must {rule.message}"
    pattern = _jinja_string(rule.full_pattern)
    check = f"{_control_check(name)}{{% elif ({name} | string | regex_search({pattern})) is none %}}{message}"
    if rule.forbidden:
        check += (
            f"{{% elif {name} in {json.dumps(list(rule.forbidden))} %}}"
            f"{name}: '{{{{ {name} }}}}' must not be a Python keyword"
        )
    if name in PER_ENVIRONMENT:
        check += _per_environment_checks(name, rule)
    return check + "{% endif %}"


def _location_validator() -> str:
    codes = json.dumps(list(naming.region_codes()))
    folded = "(location | lower | replace(' ', ''))"
    display = naming.LOCATION_DISPLAY_NAME.replace("{code!r}", f"'{{{{ {folded} }}}}'")
    return (
        f"{{% set regions = {codes} %}}{_control_check('location')}{{% elif location not in regions %}}"
        f"{{% if {folded} in regions %}}location: '{{{{ location }}}}' {display}"
        f"{{% else %}}location: '{{{{ location }}}}' {naming.LOCATION_UNKNOWN}{{% endif %}}{{% endif %}}"
    )


def _per_environment_checks(name: str, rule: naming.Rule) -> str:
    """The answer with each suffix it takes here (each chosen environment's name, the registry's)
    appended must follow the rule too (deployment_environments.name_problems in Python)."""
    pattern = _jinja_string(rule.full_pattern)
    checks = []
    for suffix in name_suffixes(name):
        derived = f"({name} ~ '-{suffix.suffix}')"
        answers = json.dumps(list(suffix.answers))
        checks.append(
            f"{{% elif environments in {answers} and ({derived} | regex_search({pattern})) is none %}}"
            f"{name}: '{{{{ {name} }}}}' makes {suffix.what} '{{{{ {derived} }}}}', "
            f"which must {rule.message}"
        )
    return "".join(checks)


def _validator(question: Question) -> str | None:
    if question.name == "location":
        return _location_validator()
    if question.rule is not None:
        return _rule_validator(question.name, question.rule)
    return None


def _default(question: Question) -> str:
    default = question.default
    if isinstance(default, Derived):
        return _quote(default.jinja)
    if isinstance(default, tuple):
        return _quote(list(default))
    return _quote(default)


def _question_block(question: Question) -> str:
    lines = [f"{question.name}:", f"  type: {question.type}", f"  help: {_quote(question.help)}"]
    if question.choices:
        lines.append("  choices:")
        lines.extend(f"    - {_quote(choice)}" for choice in question.choices)
    if question.multiselect:
        lines.append("  multiselect: true")
    lines.append(f"  default: {_default(question)}")
    if question.when.jinja() != "true":
        lines.append(f"  when: {_quote('{{ ' + question.when.jinja() + ' }}')}")
    validator = _validator(question)
    if validator:
        lines.append(f"  validator: {_quote(validator)}")
    return "\n".join(lines) + "\n"


def _computed(key: str, default: str, type_: str = "str") -> str:
    return f"{key}:\n  type: {type_}\n  default: {_quote(default)}\n  when: false\n"


def _jinja_concat(pattern: str, fields: Mapping[str, str] | None = None) -> str:
    """'{sample_name}_ds' -> (sample_name ~ "_ds"): a Jinja expression for a format pattern;
    `fields` maps a field to the expression that stands for it (else its own name)."""
    parts = []
    for literal, field, _, _ in string.Formatter().parse(pattern):
        if literal:
            parts.append(json.dumps(literal))
        if field:
            parts.append((fields or {}).get(field, field))
    return "(" + (" ~ ".join(parts) or '""') + ")"


def _variable_line(variable: Variable) -> str:
    fields = {
        key: getattr(variable, key)
        for key in ("name", "meaning", "scope", "required", "secret", "ci_login", "kind", "core", "part")
    }
    head = json.dumps(fields, ensure_ascii=False)[:-1]
    line = f'- {head}, "value": {{{{ {_jinja_concat(variable.value)} | tojson }}}}}}'
    condition = variable.when.jinja()
    if condition == "true":
        return line + "\n"
    return f"{{% if {condition} %}}{line}\n{{% endif %}}"


def _environment_variables() -> str:
    """Each chosen environment's values of the variables that differ by environment
    (variables.environment_variables in Jinja): {environment: {variable: value}}."""
    lines = ["{% for environment in environment_rows %}{{ environment.name }}:"]
    for variable in VARIABLES:
        if not per_environment(variable):
            continue
        named = {key: f"environment_names[environment.name][{json.dumps(key)}]" for key in PER_ENVIRONMENT_KEYS}
        value = _jinja_concat(variable.value, named)
        line = f"  {variable.name}: {{{{ {value} | tojson }}}}"
        condition = variable.when.jinja()
        lines.append(line if condition == "true" else f"{{% if {condition} %}}{line}{{% endif %}}")
    lines.append("{% else %}{}{% endfor %}")
    body = "\n".join("    " + line for line in lines)
    return f"environment_variables:\n  type: yaml\n  when: false\n  default: |-\n{body}\n"


def _pipeline_variables() -> str:
    body = "".join(_variable_line(variable) for variable in VARIABLES)
    indented = "\n".join("    " + line for line in body.rstrip("\n").splitlines())
    return f"pipeline_variables:\n  type: yaml\n  when: false\n  default: |-\n{indented}\n"


def _exclude() -> str:
    """Optional paths (traits/paths.py): each item renders to an anchored path to leave out, or to
    nothing. copier renders `_exclude` items with Jinja (9.15.0, our floor, renders each item as
    one pattern; later versions also split an item's lines), matching the rendered path."""
    return "_exclude:\n" + "".join(f"  - {_quote(entry)}\n" for entry in exclude_entries())


def _target_rows() -> str:
    """The deployment targets' rows (traits/values.py) the template loops over: titles, order,
    environments; a new target brings its own row instead of edits to each pipeline."""
    return f"target_rows:\n  type: yaml\n  when: false\n  default: {_quote(json.dumps(target_rows()))}\n"


def _environment_rows() -> str:
    """The chosen environments' rows (deployment_environments.py), in promotion order."""
    rows = {answer: environment_rows(answer) for answer in ENVIRONMENT_SETS}
    jinja = "{{ " + json.dumps(rows) + "[environments] | tojson }}"
    return f"environment_rows:\n  type: yaml\n  when: false\n  default: {_quote(jinja)}\n"


def _environment_names() -> str:
    """Each environment's resource names (deployment_environments.environment_names in Jinja): the
    per-environment answers with `-<environment>`, the derived names from `<base_name><environment>`."""
    rows = []
    for environment in ALL_ENVIRONMENTS:
        entries = [f"{json.dumps(key)}: ({key} ~ {json.dumps('-' + environment.name)})" for key in PER_ENVIRONMENT]
        base = f"base_name ~ {json.dumps(environment.name)}"
        entries.append(f'"base_name": ({base})')
        entries += [f"{json.dumps(name.key)}: {name.expression(base)}" for name in naming.PER_ENVIRONMENT_DERIVED]
        rows.append(f"{json.dumps(environment.name)}: {{{', '.join(entries)}}}")
    jinja = "{{ {" + ", ".join(rows) + "} | tojson }}"
    return f"environment_names:\n  type: yaml\n  when: false\n  default: {_quote(jinja)}\n"


def render_copier_yml() -> str:
    parts = [HEADER.format(min_version=MIN_COPIER_VERSION), _exclude(), "\n", PROMPT_RULE]
    parts.extend(_question_block(question) + "\n" for question in QUESTIONS)
    parts.append("# COMPUTED: derived from the answers, never asked, not stored in the answers file -------------\n")
    parts.extend(_computed(name.key, name.jinja()) + "\n" for name in naming.DERIVED_NAMES)
    parts.append(_pipeline_variables())
    parts.append("\n" + _target_rows())
    parts.append("\n" + _environment_rows())
    parts.append("\n" + _environment_names())
    parts.append("\n" + _environment_variables())
    parts.append("\n" + _computed("registry_resource_group", "{{ resource_group }}-" + REGISTRY_SUFFIX))
    parts.extend(
        "\n" + _computed(name, "{{ " + flag.jinja() + " }}", "bool") for name, flag in computed_flags().items()
    )
    parts.append(migrations_yaml())
    return re.sub(r"\n{3,}", "\n\n", "".join(parts))


def main() -> None:
    sys.stdout.write(render_copier_yml())


if __name__ == "__main__":
    main()
