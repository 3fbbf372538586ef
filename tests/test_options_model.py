"""copier.yml agrees with the options model, and the model's rules and derived names hold."""

from __future__ import annotations

import itertools

import pytest
import yaml
from conftest import CANONICAL_ANSWERS, REPO_ROOT

from mlops_scaffold import naming
from mlops_scaffold.copier_yml import render_copier_yml
from mlops_scaffold.options import (
    QUESTIONS,
    QUESTIONS_BY_NAME,
    AnswerError,
    Derived,
    resolve_answers,
)


def test_copier_yml_is_generated_from_the_options_model():
    committed = (REPO_ROOT / "copier.yml").read_text(encoding="utf-8")
    assert committed == render_copier_yml(), "copier.yml is stale: run `make copier-yml`"


def test_copier_yml_asks_the_model_questions_with_its_defaults_and_choices():
    config = yaml.safe_load((REPO_ROOT / "copier.yml").read_text(encoding="utf-8"))
    # computed values (`when: false`) follow the questions
    asked = {key: value for key, value in config.items() if not key.startswith("_") and value.get("when") is not False}
    assert list(asked) == [question.name for question in QUESTIONS]
    for question in QUESTIONS:
        entry = asked[question.name]
        expected_default = question.default.jinja if isinstance(question.default, Derived) else question.default
        if isinstance(expected_default, tuple):
            expected_default = list(expected_default)
        assert entry["default"] == expected_default, question.name
        assert entry.get("choices", []) == list(question.choices), question.name
        assert entry["type"] == question.type, question.name
        assert entry["help"], f"{question.name} has no help"
        assert ("validator" in entry) == (question.rule is not None or question.name == "location"), question.name


def test_copier_yml_follows_the_copier_conventions():
    config = yaml.safe_load((REPO_ROOT / "copier.yml").read_text(encoding="utf-8"))
    assert config["_subdirectory"] == "template"
    assert config["_templates_suffix"] == ".jinja"
    assert config["_answers_file"] == ".copier-answers.yml"
    assert config["_envops"]["undefined"] == "jinja2.StrictUndefined"
    assert "_tasks" not in config and "_jinja_extensions" not in config, "copier copy must not need --trust"


def test_canonical_answers_are_the_defaults():
    assert resolve_answers() == {key: CANONICAL_ANSWERS[key] for key in resolve_answers()}


@pytest.mark.parametrize(
    "project_name, expected",
    [("MLOps Diabetes", "mlopsdiabe"), ("Churn 2025 — model", "churn2025m"), ("ab", "ab")],
)
def test_base_name_default_is_derived_from_the_project_name(project_name, expected):
    assert QUESTIONS_BY_NAME["base_name"].default_for({"project_name": project_name}) == expected


@pytest.mark.parametrize("base_name", ["abc", "a123456789", "MyUniqueML", "Zz9"])
def test_every_valid_base_name_yields_valid_derived_names(base_name):
    assert naming.BASE_NAME.check(base_name) is None
    for derived in naming.DERIVED_NAMES:
        value = derived.value(base_name)
        assert derived.rule.check(value) is None, f"{derived.key}={value!r} breaks its Azure rule"


def test_an_answer_to_a_question_that_does_not_apply_is_refused():
    with pytest.raises(AnswerError, match="canary_release: does not apply"):
        resolve_answers({"deployment_targets": ["aci"], "canary_release": True})


def test_unknown_questions_are_refused():
    with pytest.raises(AnswerError, match="no_such: no such question"):
        resolve_answers({"no_such": 1})


def test_every_axis_value_combination_is_either_valid_or_refused_with_a_reason():
    targets = QUESTIONS_BY_NAME["deployment_targets"].choices
    for size in range(len(targets) + 1):
        for subset in itertools.combinations(targets, size):
            for canary in (False, True):
                answers = {"deployment_targets": list(subset), "canary_release": canary}
                allowed = not canary or "aks" in subset or "online_endpoint" in subset
                if allowed:
                    assert resolve_answers(answers)["deployment_targets"] == list(subset)
                else:
                    with pytest.raises(AnswerError):
                        resolve_answers(answers)
