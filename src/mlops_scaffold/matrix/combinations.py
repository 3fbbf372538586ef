"""Every valid combination of the options, enumerated from the options model.

The axes (questions marked `axis`) are multiplied; a combination is valid when every axis
question that does not apply (its `when` is false) keeps its default. Scalars marked `cycled`
(python_version) are not multiplied but cycled over the groups of combinations that run the
same code (same `shapes_run` axes): group g takes value g mod len(choices), so each value
appears, and combinations that differ only in pipelines or IaC share one run.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mlops_scaffold.options import QUESTIONS, Question, resolve_applicable


@dataclass(frozen=True)
class Combination:
    index: int
    answers: Mapping[str, Any]  # the axis and cycled answers; the rest are defaults

    @property
    def id(self) -> str:
        """A short, stable, readable name: ado-arm-<target>+<target>-canary-batch-r_none-py3.11, with
        the environments after the IaC when there are several (ado-arm-dev_prod-…), so a single
        workspace's ids stay what they were."""
        a = self.answers
        environments = a.get("environments", "single")
        parts = [
            "ado" if a["ci_platform"] == "azure_devops" else "gha",
            a["iac"],
            *([environments] if environments != "single" else []),
            "+".join(a["deployment_targets"]) or "notargets",
        ]
        if a.get("canary_release"):
            parts.append("canary")
        parts.append("batch" if a["batch_scoring"] else "nobatch")
        parts.append(f"r_{a['r_training']}")
        parts.append(f"py{a['python_version']}")
        return "-".join(parts)

    def new_command(self) -> str:
        """The one line that reproduces this combination."""
        options = " ".join(f"-d '{key}={_cli_text(value)}'" for key, value in self.answers.items())
        return f"mlops-scaffold new /tmp/{self.id} --defaults {options}"


def _cli_text(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(value) + "]"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _axis_values(question: Question) -> list[Any]:
    if question.multiselect:
        return [
            list(subset)
            for size in range(len(question.choices) + 1)
            for subset in itertools.combinations(question.choices, size)
        ]
    if question.type == "bool":
        return [False, True]
    return list(question.choices)


def _is_valid(answers: Mapping[str, Any]) -> bool:
    """Every axis answer either applies or equals its default."""
    seen: dict[str, Any] = {}
    for question in QUESTIONS:
        if question.name in answers:
            if not question.applies(seen) and answers[question.name] != question.default_for(seen):
                return False
            seen[question.name] = answers[question.name]
        elif question.applies(seen):
            seen[question.name] = question.default_for(seen)
    return True


def _axis_products(axes: Sequence[Question]) -> Iterator[dict[str, Any]]:
    for values in itertools.product(*(_axis_values(question) for question in axes)):
        yield dict(zip((question.name for question in axes), values, strict=True))


def valid_combinations() -> list[Combination]:
    axes = [question for question in QUESTIONS if question.axis]
    cycled = [question for question in QUESTIONS if question.cycled]
    combinations = []
    groups: dict[str, int] = {}
    for answers in _axis_products(axes):
        if not _is_valid(answers):
            continue
        group = repr([answers[question.name] for question in axes if question.shapes_run])
        group_index = groups.setdefault(group, len(groups))
        for question in cycled:
            answers[question.name] = question.choices[group_index % len(question.choices)]
        combinations.append(Combination(len(combinations), answers))
    return combinations


def full_answers(combination: Combination) -> dict[str, Any]:
    """The combination's answers completed with defaults, as copier would record them."""
    return resolve_applicable(combination.answers)


def run_group(combination: Combination) -> str:
    """The answers that shape what the run tier runs: combinations with equal groups share runs."""
    axes = [question for question in QUESTIONS if question.axis and question.shapes_run]
    return repr([combination.answers[question.name] for question in axes])


def parse_shard(text: str) -> tuple[int, int]:
    """ "K/N" -> (K, N) with 1 <= K <= N; ValueError with a one-line reason otherwise."""
    k, separator, n = text.partition("/")
    if not (separator and k.isdigit() and n.isdigit() and 1 <= int(k) <= int(n)):
        raise ValueError(f"--shard {text!r}: expected K/N with 1 <= K <= N, e.g. 2/4")
    return int(k), int(n)


def shard(combinations: Sequence[Combination], k: int, n: int) -> list[Combination]:
    """The K-th of N deterministic, disjoint parts whose union is `combinations`. Whole run groups
    go to one shard (so a shard's run tier reuses its own runs), dealt round-robin in order of
    first appearance; the order within a shard is the original order."""
    groups: dict[str, int] = {}
    for combination in combinations:
        groups.setdefault(run_group(combination), len(groups))
    return [c for c in combinations if groups[run_group(c)] % n == k - 1]
