"""Azure naming rules for the answers, and the type of the resource names derived from
`base_name` (the names themselves are collected in naming.py; a deployment target's own rules and
names are in its module of mlops_scaffold/targets/). Nothing here imports the collectors, so the
target modules can build on it.

Each rule is a regular expression plus a message. The same pattern runs in Python
(`Rule.check`) and inside copier's Jinja validators (`regex_search`, which is Python's `re`),
so the two can never disagree. Both match the whole string (`full_pattern` ends in `\\Z`):
Python's `$` also matches before a final newline, so `^[a-z]+$` alone accepts "abc\\n".
Before any rule, every text answer is refused if it holds a control, line-separator or
bidirectional-override character (CONTROL_CHARACTERS), with the same message in both places.
"""

from __future__ import annotations

import json
import keyword
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Rule:
    """A naming rule: `value` is valid when it fully matches `pattern`."""

    pattern: str
    message: str  # completes "<question>: '<value>' must …"
    forbidden: tuple[str, ...] = ()  # exact values refused even when the pattern matches

    @property
    def full_pattern(self) -> str:
        """`pattern` anchored at the very end of the string, for re.search and regex_search."""
        return f"^(?:{self.pattern})\\Z"

    def check(self, value: object) -> str | None:
        """Return the reason `value` breaks the rule, or None when it is valid."""
        text = "" if value is None else str(value)
        if re.search(self.full_pattern, text) is None:
            return f"must {self.message}"
        if text in self.forbidden:
            return f"must not be a Python keyword ({text!r} is one)"
        return None


# Characters no answer may hold: C0/C1 controls (newline, CR, tab, NUL, ESC, DEL…), zero-width and
# line/paragraph separators, bidirectional embeddings/overrides/isolates (U+202A–U+202E,
# U+2066–U+2069, "Trojan Source") and the BOM. Written with escapes: the text is also a regex.
CONTROL_CHARACTERS = "[\\x00-\\x1f\\x7f-\\x9f\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u2069\\ufeff]"
CONTROL_MESSAGE = "must not contain control characters (newline, carriage return, tab, NUL…) or bidirectional overrides"


def control_problem(value: object) -> str | None:
    """CONTROL_MESSAGE when `value` holds such a character, else None."""
    return None if re.search(CONTROL_CHARACTERS, "" if value is None else str(value)) is None else CONTROL_MESSAGE


# Free text: one line of printable characters, not blank. Controls are refused before this rule.
PROJECT_NAME = Rule(".*\\S.*", "be one line of printable text, not blank")
BASE_NAME = Rule("^[a-zA-Z][a-zA-Z0-9]{2,9}$", "be 3–10 letters and digits, starting with a letter")
SAMPLE_NAME = Rule(
    "^[a-z][a-z0-9_]*$",
    "be a lowercase Python identifier (letters, digits, _; starting with a letter)",
    forbidden=tuple(keyword.kwlist),
)
RESOURCE_GROUP = Rule(
    "^[-a-zA-Z0-9_.()]{0,89}[-a-zA-Z0-9_()]$",
    "be 1–90 letters, digits or _-.() and not end with '.'",
)
WORKSPACE_NAME = Rule(
    "^[a-zA-Z0-9][-a-zA-Z0-9_]{2,32}$",
    "be 3–33 letters, digits, '-' or '_', starting with a letter or digit",
)
AML_COMPUTE_NAME = Rule(
    "^[a-zA-Z][-a-zA-Z0-9]{1,15}$",
    "be 2–16 letters, digits or '-', starting with a letter",
)
ENDPOINT_NAME = Rule(
    "^[a-zA-Z][-a-zA-Z0-9]{2,31}$",
    "be 3–32 letters, digits or '-', starting with a letter",
)
AML_ASSET_NAME = Rule(
    "^[a-zA-Z0-9][-a-zA-Z0-9_.]{0,254}$",
    "be 1–255 letters, digits, '-', '_' or '.', starting with a letter or digit",
)
DEVOPS_NAME = Rule(
    "^[-a-zA-Z0-9_. ]{1,256}$",
    "be 1–256 letters, digits, spaces or -_.",
)
DATABRICKS_CLUSTER_ID = Rule(
    "^([0-9]{4}-[0-9]{6}-[a-z0-9]{8})?$",
    "be empty or a Databricks cluster id like 0123-456789-abcdefgh",
)


@dataclass(frozen=True)
class DerivedName:
    """A resource name computed from base_name, never asked. `suffix` is appended to the
    (lowercased, where Azure requires it) base name."""

    key: str
    suffix: str
    lowercase: bool
    rule: Rule
    meaning: str
    # One resource for every environment (the Azure ML registry and its state), so derived from
    # base_name alone; the others are derived from `<base_name><environment>` in each (ADR 28).
    shared: bool = False

    def value(self, base_name: str) -> str:
        base = base_name.lower() if self.lowercase else base_name
        return base + self.suffix

    def jinja(self) -> str:
        base = "base_name | lower" if self.lowercase else "base_name"
        return "{{ " + base + " }}" + self.suffix

    def expression(self, base: str) -> str:
        """The name as a Jinja expression of `base`, itself an expression."""
        lowered = f"(({base}) | lower)" if self.lowercase else f"({base})"
        return f"({lowered} ~ {json.dumps(self.suffix)})"


@dataclass(frozen=True)
class Region:
    code: str
    display_name: str


@cache
def azure_regions() -> tuple[Region, ...]:
    """The public-cloud regions, read from the data file that ships with the package."""
    text = resources.files("mlops_scaffold").joinpath("data/azure_regions.tsv").read_text(encoding="utf-8")
    rows = (line.split("\t") for line in text.splitlines() if line and not line.startswith("#"))
    return tuple(Region(code, display) for code, display in rows)


def region_codes() -> tuple[str, ...]:
    return tuple(region.code for region in azure_regions())


LOCATION_DISPLAY_NAME = "is a display name; use the region code {code!r}"
LOCATION_UNKNOWN = "must be an Azure public-cloud region code such as 'centralus' or 'westeurope'"


def check_location(value: object) -> str | None:
    """None for a region code; otherwise why not, suggesting the code for a display name."""
    text = "" if value is None else str(value)
    codes = region_codes()
    if text in codes:
        return None
    folded = text.lower().replace(" ", "")
    if folded in codes:
        return LOCATION_DISPLAY_NAME.format(code=folded)
    return LOCATION_UNKNOWN
