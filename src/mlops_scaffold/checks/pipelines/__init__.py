"""Static guarantees of a generated repo's CI/CD (Azure DevOps pipelines or GitHub Actions workflows).

- schemas (schemas.py): Azure Pipelines YAML validates with check-jsonschema's vendored
  `vendor.azure-pipelines` schema (`--data-transform azure-pipelines`), workflows with
  `vendor.github-workflows`, composite actions with `vendor.github-actions`; variables templates
  with the same schema's `variablesTemplate`.
- variables (variables.py): every variable a pipeline reads is defined, and every documented
  variable is read.
- references (references.py): every `template:`, local action, script path, `python -m` module,
  file path and Makefile target a pipeline names exists.
- pins (pins.py): no floating references; Azure DevOps tasks at the newest major the schema knows;
  actions pinned.
- shell (shell.py): every shell script passes `bash -n` and shellcheck.

Which files are pipelines, and how the checks read them, is in files.py. Every check takes the
project root and returns Findings naming file and line; none needs the network. This package
re-exports the names other modules and the tests use, as `checks.pipelines` did when it was one file.
"""

from __future__ import annotations

from mlops_scaffold.checks.pipelines.files import (
    ACTION_PATTERNS,
    ADO_PATTERNS,
    PIPELINE_FILES,
    SKIPPED_DIRS,
    USES,
    WORKFLOW_PATTERNS,
    _line_of,
    action_files,
    ado_files,
    pipeline_files,
    sample_name,
    workflow_files,
)
from mlops_scaffold.checks.pipelines.pins import (
    ACTION_REF,
    ADO_TASK,
    ARG_LINE,
    ARG_REFERENCE,
    FLOATING,
    FROM_LINE,
    ado_task_majors,
    check_pins,
)
from mlops_scaffold.checks.pipelines.references import (
    MAKE_CALL,
    PATH_TOKEN,
    PYTHON_MODULE,
    check_references,
    makefile_targets,
)
from mlops_scaffold.checks.pipelines.schemas import check_schemas, schema_findings
from mlops_scaffold.checks.pipelines.shell import check_shell, shell_scripts
from mlops_scaffold.checks.pipelines.variables import (
    ADO_SYSTEM_NAMES,
    ADO_SYSTEM_PREFIXES,
    DOC_ROW,
    DOTTED_VARIABLE,
    ENV_LINE,
    EXPRESSION,
    GH_CONTEXT,
    GITHUB_ENV_WRITE,
    GITHUB_SECRETS,
    INDEXED_VARIABLE,
    MACRO,
    PARAMETER,
    SET_VARIABLE,
    check_variables,
    documented_variables,
)

CHECKS = [check_schemas, check_variables, check_references, check_pins, check_shell]

__all__ = [
    "ACTION_PATTERNS",
    "ACTION_REF",
    "ADO_PATTERNS",
    "ADO_SYSTEM_NAMES",
    "ADO_SYSTEM_PREFIXES",
    "ADO_TASK",
    "ARG_LINE",
    "ARG_REFERENCE",
    "CHECKS",
    "DOC_ROW",
    "DOTTED_VARIABLE",
    "ENV_LINE",
    "EXPRESSION",
    "FLOATING",
    "FROM_LINE",
    "GH_CONTEXT",
    "GITHUB_ENV_WRITE",
    "GITHUB_SECRETS",
    "INDEXED_VARIABLE",
    "MACRO",
    "MAKE_CALL",
    "PARAMETER",
    "PATH_TOKEN",
    "PIPELINE_FILES",
    "PYTHON_MODULE",
    "SET_VARIABLE",
    "SKIPPED_DIRS",
    "USES",
    "WORKFLOW_PATTERNS",
    "_line_of",
    "action_files",
    "ado_files",
    "ado_task_majors",
    "check_pins",
    "check_references",
    "check_schemas",
    "check_shell",
    "check_variables",
    "documented_variables",
    "makefile_targets",
    "pipeline_files",
    "sample_name",
    "schema_findings",
    "shell_scripts",
    "workflow_files",
]
