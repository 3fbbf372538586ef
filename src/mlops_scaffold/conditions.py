"""Conditions on answers, written once and evaluated two ways: in Python (`holds`) for the
matrix and the CLI, and as Jinja (`jinja`) for copier's `when:` and the template's `{% if %}`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


def _literal(value: object) -> str:
    return json.dumps(value)


@dataclass(frozen=True)
class Equals:
    question: str
    value: object

    def holds(self, answers: Mapping[str, Any]) -> bool:
        return answers.get(self.question) == self.value

    def jinja(self) -> str:
        return f"{self.question} == {_literal(self.value)}"


@dataclass(frozen=True)
class Contains:
    """A multiselect answer includes `value`."""

    question: str
    value: str

    def holds(self, answers: Mapping[str, Any]) -> bool:
        return self.value in (answers.get(self.question) or ())

    def jinja(self) -> str:
        return f"{_literal(self.value)} in {self.question}"


@dataclass(frozen=True)
class AnyOf:
    conditions: tuple[Condition, ...]

    def holds(self, answers: Mapping[str, Any]) -> bool:
        return any(condition.holds(answers) for condition in self.conditions)

    def jinja(self) -> str:
        return "(" + " or ".join(condition.jinja() for condition in self.conditions) + ")"


@dataclass(frozen=True)
class AllOf:
    conditions: tuple[Condition, ...]

    def holds(self, answers: Mapping[str, Any]) -> bool:
        return all(condition.holds(answers) for condition in self.conditions)

    def jinja(self) -> str:
        return "(" + " and ".join(condition.jinja() for condition in self.conditions) + ")"


@dataclass(frozen=True)
class Always:
    def holds(self, answers: Mapping[str, Any]) -> bool:
        return True

    def jinja(self) -> str:
        return "true"


Condition = Equals | Contains | AnyOf | AllOf | Always
ALWAYS = Always()
