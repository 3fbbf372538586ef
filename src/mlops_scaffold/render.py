"""Rendering a project: validate the answers with the options model, then let copier write it.

Nothing is written when an answer is bad, and a failed render removes a destination it created.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlops_scaffold.options import resolve_answers

# The checkout this package was installed from: copier.yml sits beside src/.
CHECKOUT_ROOT = Path(__file__).resolve().parents[2]


def default_template_source() -> str:
    """An absolute path to the git checkout of the template, so `copier update` works later."""
    if (CHECKOUT_ROOT / "copier.yml").is_file() and (CHECKOUT_ROOT / ".git").exists():
        return str(CHECKOUT_ROOT)
    raise FileNotFoundError("mlops-scaffold is not installed from a git checkout of the template; pass --template URL")


def render_project(
    dest: str | Path,
    answers: Mapping[str, Any] | None = None,
    *,
    template: str | Path | None = None,
    vcs_ref: str | None = None,
    quiet: bool = True,
    overwrite: bool = False,
) -> Path:
    """Render the template into `dest` with `answers` over the defaults; returns `dest`.

    Raises options.AnswerError (before anything is written) for a bad answer."""
    import copier

    from mlops_scaffold.copier_compat import fast_rendering

    resolved = resolve_answers(answers)
    dest = Path(dest).resolve()
    existed = dest.exists()
    source = str(template) if template is not None else default_template_source()
    try:
        with fast_rendering():  # the same files, sooner; undone when copier returns
            copier.run_copy(
                source,
                dest,
                data=resolved,
                defaults=True,
                vcs_ref=vcs_ref,
                quiet=quiet,
                overwrite=overwrite,
                unsafe=False,
            )
    except BaseException:
        if not existed and dest.exists():
            shutil.rmtree(dest)
        raise
    return dest
