"""Offline checks of a generated repo's infrastructure as code (ARM or Terraform).

`CHECKS` are fast structural checks that need nothing but the files: the ARM template and its
parameters file agree (arm.py, reading expressions with arm_expressions.py), Terraform parses and
every `var.X` is declared (terraform.py), the outputs the pipelines read exist (outputs.py),
security defaults hold, an enabled registry admin user always a finding (security.py), the
checkov configuration justifies every skip (checkov_configuration.py), and the same resource names
appear in the IaC, the variable group doc, the IaC pipelines and docs/infrastructure.md (names.py).
What they share (paths, helpers) is in _common.py.

`run_checkov` (checkov.py) scans many IaC folders in one checkov run (checkov lives in its own
venv: set CHECKOV_BIN or put it on PATH), caching results by the content of each folder.

This package re-exports the names other modules and the tests use, as `checks.iac` did when it
was one file.
"""

from __future__ import annotations

from mlops_scaffold.checks.iac._common import (
    ARM_DIR,
    ARM_PARAMETERS,
    ARM_TEMPLATE,
    CHECKOV_CONFIG,
    INFRASTRUCTURE_DOC,
    PER_RUN_FUNCTIONS,
    TF_DIR,
    TF_PER_RUN,
    TF_STATE_CONTAINER,
    VARIABLE_GROUP_DOC,
    _line_of,
)
from mlops_scaffold.checks.iac.arm import arm_structure
from mlops_scaffold.checks.iac.arm_expressions import (
    Call,
    ExpressionError,
    Ref,
    _calls,
    _expression,
    _name_segments,
    parse_expression,
)
from mlops_scaffold.checks.iac.checkov import (
    CheckovFailure,
    CheckovResult,
    checkov_binary,
    checkov_findings,
    content_hash,
    distinct_iac,
    iac_folder,
    run_checkov,
)
from mlops_scaffold.checks.iac.checkov_configuration import checkov_config, checkov_skips
from mlops_scaffold.checks.iac.names import (
    ARM_TO_VARIABLE,
    NAME_SUFFIXES,
    TF_TO_VARIABLE,
    VariableGroupDoc,
    iac_inputs,
    names_consistent,
    read_variable_group_doc,
)
from mlops_scaffold.checks.iac.outputs import pipeline_outputs
from mlops_scaffold.checks.iac.security import ARM_SECURE_DEFAULTS, TF_SECURE_DEFAULTS, secure_defaults
from mlops_scaffold.checks.iac.terraform import TerraformModule, load_terraform, terraform_structure

CHECKS = [arm_structure, terraform_structure, pipeline_outputs, secure_defaults, checkov_config, names_consistent]

__all__ = [
    "ARM_DIR",
    "ARM_PARAMETERS",
    "ARM_SECURE_DEFAULTS",
    "ARM_TEMPLATE",
    "ARM_TO_VARIABLE",
    "CHECKOV_CONFIG",
    "CHECKS",
    "INFRASTRUCTURE_DOC",
    "NAME_SUFFIXES",
    "PER_RUN_FUNCTIONS",
    "TF_DIR",
    "TF_PER_RUN",
    "TF_SECURE_DEFAULTS",
    "TF_STATE_CONTAINER",
    "TF_TO_VARIABLE",
    "VARIABLE_GROUP_DOC",
    "Call",
    "CheckovFailure",
    "CheckovResult",
    "ExpressionError",
    "Ref",
    "TerraformModule",
    "VariableGroupDoc",
    "_calls",
    "_expression",
    "_line_of",
    "_name_segments",
    "arm_structure",
    "checkov_binary",
    "checkov_config",
    "checkov_findings",
    "checkov_skips",
    "content_hash",
    "distinct_iac",
    "iac_folder",
    "iac_inputs",
    "load_terraform",
    "names_consistent",
    "parse_expression",
    "pipeline_outputs",
    "read_variable_group_doc",
    "run_checkov",
    "secure_defaults",
    "terraform_structure",
]
