"""Everything the package knows about each deployment target, one module per target.

A target's module (`<value>.py`, named after the value copier offers) holds its traits row, its
questions, naming rules and derived resource names, its pipeline variables, its access entities
and needs, its IaC expectations and parameter maps, and its exposure checks. The central tables
(options.py, naming.py, variables.py, access.py, traits/values.py, checks/) collect from here and
name no target. Modules are found by listing this package, never by a list of names; `ORDER` in
each module places it (copier's choice order). Modules starting with `_` are not targets.

Attributes a module may define (all optional but ORDER and TRAITS):
- ORDER: int, its place among the targets;
- TRAITS: model.Traits, its row of traits/values.py;
- QUESTIONS, DERIVED_NAMES, VARIABLES: its questions, resource names and pipeline variables;
- PRINCIPALS, RESOURCES, NEEDS: access.py rows;
- ARM_SECURE_DEFAULTS, TF_SECURE_DEFAULTS, ARM_TO_VARIABLE, TF_TO_VARIABLE: rows of checks/iac/security.py
  and checks/iac/names.py;
- ENDPOINT_AUTH (the auth modes its Azure ML endpoint may take), EXPOSURE_CHECKS (functions of the
  project returning findings) and EXPOSURE_READS (the files they read, for the check cache):
  checks/exposure.py;
- CANARY_RANK: it can take a canary release; the lowest rank chosen is the one stepped;
- MANUAL_STEPS: commands the docs must not ask for when the IaC creates their resource;
- AML_LOADERS: azure.ai.ml loaders of the YAML schemas its dry run writes;
- ARM_TYPES_NOT_IN_SCHEMAS: ARM types of its IaC the published schemas do not define;
- IN_DEFAULT_ANSWER: True for a target the default answer of deployment_targets chooses.
Nothing here imports the collectors; the modules import only the shared types (model.py, rules.py,
conditions.py).
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from types import ModuleType
from typing import Any


@cache
def modules() -> tuple[ModuleType, ...]:
    """The target modules of this package, in their ORDER."""
    found = [
        importlib.import_module(f"{__name__}.{info.name}")
        for info in pkgutil.iter_modules(__path__)
        if not info.name.startswith("_")
    ]
    return tuple(sorted(found, key=lambda module: module.ORDER))


def value(module: ModuleType) -> str:
    """The deployment_targets value of a target module: its name."""
    return module.__name__.rpartition(".")[2]


def values() -> tuple[str, ...]:
    """Every deployment target, in order (copier's choices)."""
    return tuple(value(module) for module in modules())


def collect(attribute: str) -> tuple[Any, ...]:
    """The items of `attribute` of every target module that defines it, target after target."""
    return tuple(item for module in modules() for item in getattr(module, attribute, ()))


def collect_map(attribute: str) -> dict[Any, Any]:
    """The mappings `attribute` of every target module that defines it, merged in order."""
    merged: dict[Any, Any] = {}
    for module in modules():
        merged.update(getattr(module, attribute, {}))
    return merged


def with_attribute(attribute: str) -> tuple[ModuleType, ...]:
    """The target modules that define `attribute`, in order."""
    return tuple(module for module in modules() if hasattr(module, attribute))
