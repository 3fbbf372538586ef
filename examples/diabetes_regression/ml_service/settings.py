"""Settings of ml_service: the pipeline variables (docs/variable_group.md), read on demand.

Nothing is read at import. `load_settings()` reads the process environment first, then `.env`
(KEY=VALUE lines; ML_SERVICE_DOTENV names another file), then the defaults of the variables
template. A required variable that is still missing stops the program with one line naming it.

Which variables exist is data, not code: `variables/core.json` lists those of every project, and
one file per option (`variables/<option>.json`, as `features.json` names them) those of the options
this project was generated with. The core ones are resolved and checked by `load_settings()`; the
options' ones when code first asks for one of them, so code that needs none of them reads none of
that data, and code (or a test) that names its option reads that option's file only.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]
VARIABLES_DIR = Path(__file__).with_name("variables")
CORE = "core"
FEATURES = Path(__file__).with_name("features.json")
# Optional everywhere: without it the workspace client asks the Azure CLI for the current subscription.
OPTIONAL: dict[str, str] = {"AZURE_SUBSCRIPTION_ID": ""}


class MissingSettingError(RuntimeError):
    """A required variable is not set; str() is the one line shown to the user."""


@cache
def option_parts() -> tuple[str, ...]:
    """The options of this project that have variables (each a file in variables/)."""
    return tuple(json.loads(FEATURES.read_text(encoding="utf-8"))["variables"])


@cache
def variables(part: str) -> tuple[dict[str, Any], ...]:
    """The variables of one part (CORE or an option): name, value, meaning, scope and kind of each."""
    return tuple(json.loads((VARIABLES_DIR / f"{part}.json").read_text(encoding="utf-8")))


class VariableTable(Mapping[str, str]):
    """One column of the variables (name -> value or meaning), read when first used.

    `parts` None means the core and every option of this project; a lookup reads the core first and
    the options' files only for a name the core does not have."""

    def __init__(self, column: str, template_only: bool = False, parts: tuple[str, ...] | None = None) -> None:
        self.column, self.template_only, self.parts = column, template_only, parts

    def core(self) -> VariableTable:
        """The same column over the core variables only (reads no option's data)."""
        return self.of()

    def of(self, *options: str) -> VariableTable:
        """The same column over the core variables and those of `options` only."""
        return VariableTable(self.column, self.template_only, (CORE, *options))

    def _parts(self) -> Iterator[str]:
        if self.parts is not None:
            yield from self.parts
        else:  # the options' list is read only when a name is not in the core
            yield CORE
            yield from option_parts()

    def _part_table(self, part: str) -> dict[str, str]:
        return {
            variable["name"]: variable[self.column]
            for variable in variables(part)
            if not self.template_only or variable["scope"] == "template"
        }

    def _table(self) -> dict[str, str]:
        return {name: value for part in self._parts() for name, value in self._part_table(part).items()}

    def __getitem__(self, name: str) -> str:
        for part in self._parts():
            table = self._part_table(part)
            if name in table:
                return table[name]
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())


# What each variable means (the same words as docs/variable_group.md). The variables the CI logs
# in with are the pipelines' own, not ml_service's.
MEANINGS = VariableTable("meaning")
# Defaults kept beside the pipelines (the variables template); the environment overrides them.
TEMPLATE_DEFAULTS = VariableTable("value", template_only=True)
# The values this project was generated with (.env.example); only the dry run falls back to them.
EXAMPLE_VALUES = VariableTable("value")


@dataclass(frozen=True)
class ClusterSettings:
    name: str
    size: str
    min_nodes: int
    max_nodes: int
    priority: str


class Settings:
    """Every variable ml_service reads, typed: attribute names are the variable names in lower case."""

    def __init__(self, values: Mapping[str, object], options: Callable[[], dict[str, object]]) -> None:
        object.__setattr__(self, "_values", dict(values))
        object.__setattr__(self, "_options", options)  # resolves the options' variables, once

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        values: dict[str, object] = self.__dict__["_values"]
        if name not in values and self.__dict__["_options"] is not None:
            values.update({key: value for key, value in self.__dict__["_options"]().items() if key not in values})
            object.__setattr__(self, "_options", None)
        if name not in values:
            raise AttributeError(f"this project has no setting {name.upper()} (see docs/variable_group.md)")
        return values[name]

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("settings are read-only")

    def replace(self, **changes: object) -> Settings:
        """A copy with some values changed (settings themselves are read-only)."""
        values = {**self.__dict__["_values"], **changes}
        return Settings(values, self.__dict__["_options"])

    def __repr__(self) -> str:
        return f"Settings({', '.join(sorted(self.__dict__['_values']))})"

    def cluster(self, suffix: str = "") -> ClusterSettings:
        """The compute cluster whose variables end in `suffix` ("" for training)."""
        return ClusterSettings(
            getattr(self, f"aml_compute_cluster_name{suffix}"),
            getattr(self, f"aml_compute_cluster_sku{suffix}"),
            getattr(self, f"aml_cluster_min_nodes{suffix}"),
            getattr(self, f"aml_cluster_max_nodes{suffix}"),
            getattr(self, f"aml_cluster_priority{suffix}"),
        )

    @property
    def training_cluster(self) -> ClusterSettings:
        return self.cluster()


def read_dotenv(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of a .env file (comments and blank lines skipped, quotes removed)."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        values[key.strip()] = value.strip().strip("'\"")
    return values


def _convert(name: str, text: str, kind: str) -> object:
    if kind == "bool":
        lowered = text.strip().lower()
        if lowered in {"true", "1", "yes", "y"}:
            return True
        if lowered in {"false", "0", "no", "n"}:
            return False
        raise MissingSettingError(f"Setting {name} must be true or false, not {text!r}")
    if kind == "int":
        try:
            return int(text)
        except ValueError:
            raise MissingSettingError(f"Setting {name} must be a whole number, not {text!r}") from None
    return text


def _resolve(
    part: str, lookups: tuple[Mapping[str, str], ...], fallback: Mapping[str, str] | None
) -> dict[str, object]:
    """The typed values of one part's variables; MissingSettingError names every one without a value."""
    values: dict[str, object] = {}
    missing: list[dict[str, Any]] = []
    for variable in variables(part):
        name = variable["name"]
        default = variable["value"] if variable["scope"] == "template" else ""
        text = next((found for found in (lookup.get(name) for lookup in lookups) if found), None) or default
        if not text and fallback is not None:
            text = fallback.get(name)
        if text:
            values[name.lower()] = _convert(name, text, variable["kind"])
        elif not variable["required"]:
            values[name.lower()] = ""
        else:
            missing.append(variable)
    if missing:
        described = ", ".join(f"{variable['name']} ({variable['meaning']})" for variable in missing)
        raise MissingSettingError(
            f"Missing setting{'s' if len(missing) > 1 else ''} {described}: "
            "set it in the environment or in .env (see docs/variable_group.md)"
        )
    return values


def load_settings(
    environ: Mapping[str, str] | None = None,
    dotenv: Path | None = None,
    fallback: Mapping[str, str] | None = None,
    options: tuple[str, ...] | None = None,
) -> Settings:
    """Settings from `environ` (default os.environ), then `dotenv` (default .env in the project),
    then the variables template, then `fallback` (the dry run passes the example values).

    `options` limits the options' variables to those named (default: every option of the project).
    Raises MissingSettingError naming every required core variable that has no value; a missing
    variable of an option is named when code first asks for one of that option's settings."""
    environ = os.environ if environ is None else environ
    if dotenv is None:
        dotenv = Path(environ.get("ML_SERVICE_DOTENV") or PROJECT_ROOT / ".env")
    lookups = (environ, read_dotenv(dotenv))
    values = _resolve(CORE, lookups, fallback)
    for name, default in OPTIONAL.items():
        values[name.lower()] = next((found for found in (lookup.get(name) for lookup in lookups) if found), default)

    def resolve_options() -> dict[str, object]:
        chosen = option_parts() if options is None else options
        return {name: value for part in chosen for name, value in _resolve(part, lookups, fallback).items()}

    return Settings(values, resolve_options)
