"""The drift gate between monitoring and retraining (docs/monitoring.md).

The drift-retraining pipeline runs monitor -> train -> evaluate -> register. The monitor writes
breach.json; the train step retrains only when it says breached, and otherwise writes skipped.json
in place of a model, which the evaluate and register steps pass on: no breach, nothing trained,
nothing registered. A breach retrains, and the evaluate gate registers the new model only if better.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

BREACH_FILE = "breach.json"
SKIPPED_FILE = "skipped.json"


def write_breach(folder: Path, summary: dict[str, Any]) -> Path:
    """breach.json {"breached": bool, "breaches": {feature: [metric, ...]}, "rows": int}."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / BREACH_FILE
    breach = {"breached": bool(summary["breaches"]), "breaches": summary["breaches"], "rows": summary["rows"]}
    path.write_text(json.dumps(breach, indent=2) + "\n", encoding="utf-8")
    return path


def no_breach_reason(folder: str | Path) -> str | None:
    """None when the monitor found a breach (retrain); otherwise why nothing is retrained."""
    path = Path(folder) / BREACH_FILE
    breach = json.loads(path.read_text(encoding="utf-8"))
    if breach["breached"]:
        return None
    return f"no drift breach in {breach['rows']} scored rows: nothing retrained"


def write_skipped(folders: list[Path], reason: str) -> None:
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / SKIPPED_FILE).write_text(json.dumps({"reason": reason}, indent=2) + "\n", encoding="utf-8")


def skipped_reason(folder: str | Path) -> str | None:
    """Why the train step trained nothing (its skipped.json), or None when it trained."""
    path = Path(folder) / SKIPPED_FILE
    return json.loads(path.read_text(encoding="utf-8"))["reason"] if path.is_file() else None
