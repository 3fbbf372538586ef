"""The vocabulary column of the option-value rows (traits/values.py): the words that can only be
there because a value was chosen. A rendering that did not choose the value must not contain them
(`checks/leaks.py`).

A word is matched case-insensitively and as a whole word, where `_`, `-`, `.` and `/` separate
words: `tfvars` matches `TFVARS_FILE` and `terraform.tfvars`, never `mytfvarsfile`. Words shared by
several values (the scoring image of the targets that run it) are listed under each of them; a word
is a leak only when no chosen value lists it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

from mlops_scaffold.traits.values import TRAITS, Traits, is_chosen

__all__ = ["TRAITS", "Traits", "find_words", "is_chosen", "unchosen_words"]


def unchosen_words(answers: Mapping[str, Any]) -> dict[str, tuple[str, Any]]:
    """Each word of an unchosen value that no chosen value also lists -> (question, value) it names."""
    chosen = {
        word.lower()
        for (question, value), traits in TRAITS.items()
        if is_chosen(question, value, answers)
        for word in traits.vocabulary
    }
    words: dict[str, tuple[str, Any]] = {}
    for (question, value), traits in TRAITS.items():
        if is_chosen(question, value, answers):
            continue
        for word in traits.vocabulary:
            if word.lower() not in chosen:
                words.setdefault(word.lower(), (question, value))
    return words


@cache
def _pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    longest_first = sorted(words, key=len, reverse=True)
    alternatives = "|".join(re.escape(word) for word in longest_first)
    return re.compile(rf"(?<![A-Za-z0-9])(?:{alternatives})(?![A-Za-z0-9])", re.IGNORECASE)


def find_words(text: str, words: tuple[str, ...]) -> Iterator[tuple[int, str]]:
    """(1-based line, word as written) for each whole-word occurrence of `words` in `text`."""
    lowered = text.lower()
    present = tuple(sorted(word for word in words if word.lower() in lowered))  # a fast pre-filter
    if not present:
        return
    pattern = _pattern(present)
    for number, line in enumerate(text.splitlines(), start=1):
        for match in pattern.finditer(line):
            yield number, match.group(0)
