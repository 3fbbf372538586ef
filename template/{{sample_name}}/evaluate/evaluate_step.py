"""The evaluation step: decides whether the new model should be registered.

    python -m <package>.evaluate.evaluate_step --model-input DIR --metrics-input DIR --model-name NAME \
        --decision-output DIR

Writes decision.json {"register": bool, "reason": str, "new_mse": float, "production_mse": float | null}.
Two switches (environment variables, "true" or "false", both default "true"):

- RUN_EVALUATION=false: skip the comparison; every model is registered.
- ALLOW_RUN_CANCEL=true: a model that is not better than production stops the run before
  registration (the register step registers nothing and says why, and the run still succeeds).
  ALLOW_RUN_CANCEL=false: the comparison is only reported; the model is registered anyway.

When the train step trained nothing (no drift breach, monitoring/gate.py) the decision is not to register.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from ..monitoring.gate import skipped_reason
from ..util import tracking


def env_flag(name: str, default: bool = True) -> bool:
    """Read a true/false switch; anything but true/false is an error, not a silent default."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in ("true", "1", "yes"):
        return True
    if value in ("false", "0", "no"):
        return False
    raise ValueError(f"{name} must be true or false, not {value!r}")


def decide(
    new_mse: float,
    production_mse: float | None,
    *,
    run_evaluation: bool = True,
    allow_run_cancel: bool = True,
) -> dict[str, Any]:
    """The decision table: register or not, and the reason in one sentence."""
    decision: dict[str, Any] = {"new_mse": new_mse, "production_mse": production_mse}
    if not run_evaluation:
        return {**decision, "register": True, "reason": "evaluation is switched off (RUN_EVALUATION=false)"}
    if production_mse is None:
        return {**decision, "register": True, "reason": "first model: there is no production model to compare with"}
    if new_mse < production_mse:
        return {
            **decision,
            "register": True,
            "reason": f"new mse {new_mse:.4f} is better than production mse {production_mse:.4f}",
        }
    reason = f"new mse {new_mse:.4f} is not better than production mse {production_mse:.4f}"
    if not allow_run_cancel:
        return {**decision, "register": True, "reason": f"{reason}; registered anyway (ALLOW_RUN_CANCEL=false)"}
    return {**decision, "register": False, "reason": reason}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-input", required=True, help="folder of the new MLflow model")
    parser.add_argument("--metrics-input", required=True, help="folder with metrics.json of the new model")
    parser.add_argument("--model-name", required=True, help="registered model name")
    parser.add_argument("--decision-output", required=True, help="folder for decision.json")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    skipped = skipped_reason(args.metrics_input)
    if skipped:
        decision = {"register": False, "reason": skipped, "new_mse": None, "production_mse": None}
        write_decision(Path(args.decision_output), decision)
        return 0
    new_mse = float(json.loads((Path(args.metrics_input) / "metrics.json").read_text())["mse"])
    run_evaluation = env_flag("RUN_EVALUATION")
    allow_run_cancel = env_flag("ALLOW_RUN_CANCEL")

    production_mse = None
    if run_evaluation:
        client = tracking.configure()
        production = tracking.production_version(client, args.model_name)
        if production is not None and "mse" in production.tags:
            production_mse = float(production.tags["mse"])
        elif production is not None:
            print(f"Production model {args.model_name} version {production.version} has no mse tag to compare with")

    decision = decide(new_mse, production_mse, run_evaluation=run_evaluation, allow_run_cancel=allow_run_cancel)
    write_decision(Path(args.decision_output), decision)
    return 0


def write_decision(output: Path, decision: dict[str, Any]) -> None:
    output.mkdir(parents=True, exist_ok=True)
    (output / "decision.json").write_text(json.dumps(decision, indent=2) + "\n")
    print(f"Evaluation: {'register' if decision['register'] else 'do not register'}: {decision['reason']}")


if __name__ == "__main__":
    raise SystemExit(main())
