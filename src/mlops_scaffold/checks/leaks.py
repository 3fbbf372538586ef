"""No option that was not chosen leaks into the rendering: no file name or line of text holds a
word of an unchosen option value's vocabulary (`traits.TRAITS`)."""

from __future__ import annotations

import fnmatch
import functools
from pathlib import Path

from mlops_scaffold.checks.base import Finding
from mlops_scaffold.options import AnswerError, resolve_answers
from mlops_scaffold.project_files import ANSWERS_FILE, iter_files, public_answers, read_answers, read_text
from mlops_scaffold.traits import TRAITS, find_words, unchosen_words

# (file glob, word, why): text that may name an unchosen value. Keep it short; file names are
# always checked.
ALLOWED: tuple[tuple[str, str, str], ...] = (
    (ANSWERS_FILE, "*", "copier records every answer, `canary_release: false` included"),
    *(
        (lock, "databricks", "mlflow requires databricks-sdk, and a lock or its export pins every package")
        for lock in ("uv.lock", "requirements.txt", "environments/*.yml")
    ),
    (
        "*.py",
        "*",
        "ml_service dispatches over the targets by name, and issue 12 makes that code the same text in "
        "every combination; a module of an unchosen value is caught by its file name and by the dry run",
    ),
)


def _allowed(relative: str, word: str) -> bool:
    return any(
        fnmatch.fnmatch(relative, pattern) and (allowed == "*" or allowed.lower() == word.lower())
        for pattern, allowed, _ in ALLOWED
    )


def unchosen_options(project: Path) -> list[Finding]:
    try:
        answers = resolve_answers(public_answers(read_answers(project)))
    except (AnswerError, ValueError, FileNotFoundError):
        return []  # answers_valid reports it
    leaked = unchosen_words(answers)
    words = tuple(leaked)
    findings = []

    def report(relative: str, line: int | None, word: str) -> None:
        if line is None or not _allowed(relative, word):  # a file name is never allowed
            question, value = leaked[word.lower()]
            findings.append(Finding(relative, line, f"names {word!r}, of {question}={value!r}, which was not chosen"))

    for path in iter_files(project):
        relative = str(path.relative_to(project))
        for _, word in find_words(relative, words):
            report(relative, None, word)
        text = read_text(path)
        if text is None:
            continue
        present = tuple(word for word in words if word in _vocabulary_in(text))
        for number, word in _occurrences(text, present) if present else ():
            report(relative, number, word)
    return findings


# The matrix checks the same file text in many combinations, each with its own unchosen words:
# which vocabulary words a text holds at all is computed once per text, and the (rarer) texts
# holding some are searched once per set of words they hold.
@functools.lru_cache(maxsize=8192)
def _vocabulary_in(text: str) -> frozenset[str]:
    lowered = text.lower()
    return frozenset(word for word in VOCABULARY if word in lowered)


@functools.lru_cache(maxsize=8192)
def _occurrences(text: str, words: tuple[str, ...]) -> tuple[tuple[int, str], ...]:
    return tuple(find_words(text, words))


VOCABULARY = frozenset(word.lower() for traits in TRAITS.values() for word in traits.vocabulary)


CHECKS = (unchosen_options,)
