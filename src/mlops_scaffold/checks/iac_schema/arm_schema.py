"""Azure's published ARM resource schemas: find a resource type's definition and validate a value.

The schemas are JSON Schema (draft 4 style) with `$ref`s to absolute ids under
https://schema.management.azure.com/schemas/, which map to files of the schema folder. We do not
use a generic validator: ARM's polymorphic types put a closed base object in `allOf` next to a
`oneOf` of variants (a strict validator rejects every variant's own properties), and findings must
say "unknown property X" or "value not allowed", not "oneOf failed". So each schema is flattened
into alternatives ("views") that merge allOf members, and a value is checked against the view that
fits it best. An object whose schema lists properties and says nothing of additionalProperties is
treated as closed: that is how Azure's editors flag a misspelled property.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

SCHEMA_BASE = "https://schema.management.azure.com/schemas/"
_EXPRESSION = re.compile(r"^\[[^\[].*\]$", re.DOTALL)
_VERSION_FOLDER = re.compile(r"^\d{4}-\d{2}-\d{2}(-preview)?$")


class Unknown:
    """A value only known at deploy time (a Terraform reference in an azapi body): fits any schema."""


UNKNOWN = Unknown()


def is_expression(value: Any) -> bool:
    return isinstance(value, str) and bool(_EXPRESSION.match(value))


@dataclass
class Problem:
    path: tuple[str | int, ...]
    message: str
    discriminator: bool = False  # a `const` mismatch: the value is another variant, not a bad one


@dataclass
class View:
    """One alternative of a schema with allOf members merged."""

    types: set[str] | None = None
    enum: list[Any] | None = None
    const: list[Any] = field(default_factory=list)
    properties: dict[str, list[tuple[dict, Path]]] = field(default_factory=dict)
    required: set[str] = field(default_factory=set)
    closed: bool = False
    additional: list[tuple[dict, Path]] = field(default_factory=list)
    items: list[tuple[dict, Path]] = field(default_factory=list)
    expression: bool = False  # this alternative is common/definitions.json#/definitions/expression

    def merge(self, other: View) -> View:
        types = other.types if self.types is None else self.types if other.types is None else self.types & other.types
        enum = other.enum if self.enum is None else self.enum
        properties = {name: list(schemas) for name, schemas in self.properties.items()}
        for name, schemas in other.properties.items():
            properties.setdefault(name, []).extend(schemas)
        return View(
            types=types,
            enum=enum,
            const=self.const + other.const,
            properties=properties,
            required=self.required | other.required,
            closed=self.closed or other.closed,
            additional=self.additional + other.additional,
            items=self.items + other.items,
            expression=self.expression or other.expression,
        )


class SchemaStore:
    """The schema folder: files loaded once, resource definitions looked up by type and version."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @cache  # noqa: B019 - one store per schema folder lives for the process
    def document(self, path: Path) -> dict[str, Any]:
        return json.loads(path.read_text(encoding="utf-8"))

    def resolve(self, ref: str, base: Path) -> tuple[dict, Path]:
        location, _, pointer = ref.partition("#")
        path = base
        if location:
            relative = location.removeprefix(SCHEMA_BASE) if location.startswith(SCHEMA_BASE) else location
            path = self.root / relative
        node: Any = self.document(path)
        for part in filter(None, pointer.split("/")):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node, path

    @cache  # noqa: B019
    def versions(self) -> tuple[str, ...]:
        return tuple(sorted(p.name for p in self.root.iterdir() if _VERSION_FOLDER.match(p.name)))

    def provider_files(self, version: str, provider: str) -> list[Path]:
        folder = self.root / version
        return sorted(folder.glob(f"{provider}.json")) + sorted(folder.glob(f"{provider}.*.json"))

    @cache  # noqa: B019
    def has_provider(self, provider: str) -> bool:
        """Whether any API version of the reference data has a schema file for `provider`."""
        return any(self.provider_files(version, provider) for version in self.versions())

    def definition(self, resource_type: str, version: str) -> tuple[dict, Path] | None:
        """The resource definition of `Provider/type[/child…]` at `version`, or None."""
        provider, _, below = resource_type.partition("/")
        key = below.replace("/", "_")
        for path in self.provider_files(version, provider):
            document = self.document(path)
            for section, definitions in document.items():
                if not section.endswith("resourceDefinitions"):
                    continue
                for name, definition in definitions.items():
                    if name.lower() == key.lower():
                        return definition, path
        return None

    @cache  # noqa: B019
    def _provider_types(self, version: str, provider: str) -> frozenset[str]:
        found: set[str] = set()
        for path in self.provider_files(version, provider):
            text = path.read_text(encoding="utf-8")
            # Every resource definition carries its full type as description; cheaper than parsing.
            pattern = rf'"description": "({re.escape(provider)}/[\w/]+)"'
            found.update(match.lower() for match in re.findall(pattern, text))
        return frozenset(found)

    def stable_versions(self, resource_type: str) -> list[str]:
        """The non-preview API versions whose schemas define `resource_type`, oldest first."""
        provider = resource_type.partition("/")[0]
        return [
            version
            for version in self.versions()
            if not version.endswith("preview") and resource_type.lower() in self._provider_types(version, provider)
        ]

    # --- validation ---------------------------------------------------------------------------

    def views(self, schema: dict, base: Path, depth: int = 0) -> list[View]:
        """The alternatives of `schema`: oneOf/anyOf branch out, allOf members merge."""
        if depth > 30:
            return [View()]
        if "$ref" in schema:
            target, target_base = self.resolve(schema["$ref"], base)
            if schema["$ref"].endswith("common/definitions.json#/definitions/expression"):
                return [View(types={"string"}, expression=True)]
            return self.views(target, target_base, depth + 1)
        own = View()
        if "type" in schema:
            kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            own.types = set(kinds)
        if "enum" in schema:
            own.enum = list(schema["enum"])
        if "const" in schema:
            own.const = [schema["const"]]
        if "properties" in schema:
            own.properties = {name: [(sub, base)] for name, sub in schema["properties"].items()}
            additional = schema.get("additionalProperties")
            own.closed = additional is None or additional is False
        additional = schema.get("additionalProperties")
        if isinstance(additional, dict):
            own.additional = [(additional, base)]
        own.required = set(schema.get("required", []))
        if isinstance(schema.get("items"), dict):
            own.items = [(schema["items"], base)]
        result = [own]
        for member in schema.get("allOf", []):
            result = [view.merge(other) for view in result for other in self.views(member, base, depth + 1)]
        for keyword in ("oneOf", "anyOf"):
            if keyword in schema:
                branches = [v for branch in schema[keyword] for v in self.views(branch, base, depth + 1)]
                result = [view.merge(branch) for view in result for branch in branches]
        return result

    def validate(self, value: Any, schemas: list[tuple[dict, Path]], path: tuple[str | int, ...] = ()) -> list[Problem]:
        """Problems of `value` against every schema in `schemas` (they all apply)."""
        problems: list[Problem] = []
        for schema, base in schemas:
            problems.extend(self._validate_one(value, self.views(schema, base), path))
        return problems

    def _validate_one(self, value: Any, views: list[View], path: tuple[str | int, ...]) -> list[Problem]:
        if isinstance(value, Unknown):
            return []
        best: list[Problem] | None = None
        for view in views:
            problems = self._check_view(value, view, path)
            if not problems:
                return []
            if best is None or _rank(problems) < _rank(best):
                best = problems
        return best or []

    def _check_view(self, value: Any, view: View, path: tuple[str | int, ...]) -> list[Problem]:
        if is_expression(value):
            if view.expression or (view.types in (None, {"string"}) and view.enum is None and not view.const):
                return []
            return [Problem(path, "an ARM expression where the schema allows none")]
        if view.expression:
            return [Problem(path, "not an ARM expression")]
        kind = _json_type(value)
        if view.types is not None and not _type_fits(kind, view.types):
            return [Problem(path, f"expected {'/'.join(sorted(view.types))}, got {kind} {_show(value)}")]
        for constant in view.const:
            if not _equal(value, constant):
                return [Problem(path, f"{_show(value)} is not {_show(constant)}", discriminator=True)]
        if view.enum is not None and not any(_equal(value, option) for option in view.enum):
            options = ", ".join(_show(option) for option in view.enum)
            return [Problem(path, f"value {_show(value)} is not one of {options}")]
        if isinstance(value, dict):
            return self._check_object(value, view, path)
        if isinstance(value, list) and view.items:
            problems: list[Problem] = []
            for index, item in enumerate(value):
                problems.extend(self.validate(item, view.items, (*path, index)))
            return problems
        return []

    def _check_object(self, value: dict, view: View, path: tuple[str | int, ...]) -> list[Problem]:
        problems = [Problem((*path, name), "missing required property") for name in sorted(view.required - set(value))]
        for name, member in value.items():
            if name in view.properties:
                problems.extend(self.validate(member, view.properties[name], (*path, name)))
            elif view.additional:
                problems.extend(self.validate(member, view.additional, (*path, name)))
            elif view.closed:
                problems.append(Problem((*path, name), "unknown property"))
        return problems


def _rank(problems: list[Problem]) -> tuple[int, int, int]:
    """Which variant the value meant: fewest discriminator mismatches, then the deepest, fewest problems."""
    return (
        sum(problem.discriminator for problem in problems),
        -min(len(problem.path) for problem in problems),
        len(problems),
    )


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def _type_fits(kind: str, allowed: set[str]) -> bool:
    return kind in allowed or (kind == "integer" and "number" in allowed)


def _equal(value: Any, option: Any) -> bool:
    # ARM compares enum strings case-insensitively.
    if isinstance(value, str) and isinstance(option, str):
        return value.lower() == option.lower()
    return value == option and type(value) is type(option)


def _show(value: Any) -> str:
    return json.dumps(value)
