"""HCL, parsed once per text in a process: python-hcl2's parser (lark) is the render tier's
costliest step for a Terraform rendering, and the matrix renders the same files in many
combinations, read by two checks (answers_escaped and the Terraform module loader)."""

from __future__ import annotations

import functools
from typing import Any


@functools.lru_cache(maxsize=1024)
def parse_hcl(text: str) -> tuple[dict[str, Any] | None, int | None, str]:
    """(parsed, None, "") or (None, line, error message). The parsed dict is shared between
    callers: read it, never change it."""
    import hcl2

    try:
        return hcl2.loads(text), None, ""
    except Exception as error:  # python-hcl2 raises lark errors of several kinds
        return None, getattr(error, "line", None), str(error)
