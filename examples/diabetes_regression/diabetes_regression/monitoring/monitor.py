"""`make monitor`: the scored inputs of the local data collector's log against the training data.

    python -m <package>.monitoring.monitor --log outputs/monitoring/collected.jsonl \
        --reference data/diabetes.csv --output outputs/monitoring

Computes, per feature, the metrics of Azure ML model monitoring (metrics.py) and compares them with
the data contract's MONITORING_THRESHOLDS (util/data.py); writes report.html and summary.json under
--output, prints a one-screen summary and exits 1 when a threshold is breached (2 on bad input).
With --breach-output DIR (the drift-retraining pipeline in Azure ML) it also writes DIR/breach.json
and exits 0 on a breach: the pipeline's train step reads it and retrains (gate.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from ..util.data import FEATURES, MONITORING_MIN_ROWS, MONITORING_THRESHOLDS, read_data
from .gate import write_breach
from .metrics import feature_metrics

INPUTS = "azureml.inference.model_inputs"


class NothingToMonitor(ValueError):
    """The log is missing, empty or holds no model inputs."""


def log_files(log: Path) -> list[Path]:
    """The JSONL file `log`, or every *.jsonl under the folder `log` (the collected logs in storage,
    which the scheduled monitor of docs/monitoring.md mounts)."""
    if log.is_dir():
        return sorted(log.rglob("*.jsonl"))
    if log.is_file():
        return [log]
    raise NothingToMonitor(f"{log} does not exist: score some data first (make batch-score, or make serve)")


def read_inputs(log: Path) -> pd.DataFrame:
    """Every model_inputs record of a data collector JSONL log (file or folder), one row per scored row."""
    records: list[dict] = []
    for path in log_files(log):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                raise NothingToMonitor(f"{path}:{number}: not a JSON line") from None
            if event.get("type") == INPUTS:
                records.extend(event.get("data") or [])
    if not records:
        raise NothingToMonitor(f"{log} holds no model inputs: score some data first")
    return pd.DataFrame.from_records(records).reindex(columns=list(FEATURES)).astype(float)


def breaches(results: dict[str, dict[str, float | None]]) -> dict[str, list[str]]:
    """feature -> the metrics over their thresholds."""
    found = {}
    for feature, values in results.items():
        over = [name for name, value in values.items() if value is not None and value > MONITORING_THRESHOLDS[name]]
        if over:
            found[feature] = over
    return found


def monitor(log: Path, reference_path: Path, output: Path, *, plots: bool = True) -> dict:
    """Compute, write report.html and summary.json; returns the summary."""
    production = read_inputs(log)
    reference = read_data(reference_path)
    results = {
        feature: feature_metrics(
            reference[feature].to_numpy(dtype=float), production[feature].to_numpy(dtype=float), MONITORING_MIN_ROWS
        )
        for feature in FEATURES
    }
    found = breaches(results)
    summary = {"rows": len(production), "thresholds": MONITORING_THRESHOLDS, "features": results, "breaches": found}
    output.mkdir(parents=True, exist_ok=True)
    (output / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    if plots:
        from .report import feature_plot, write_report  # matplotlib only when a report is written

        images = {
            feature: feature_plot(
                feature, reference[feature].to_numpy(dtype=float), production[feature].to_numpy(dtype=float)
            )
            for feature in FEATURES
        }
        write_report(output / "report.html", results, MONITORING_THRESHOLDS, images, len(production))
    return summary


def print_summary(summary: dict, report: Path) -> None:
    short = {
        "jensen_shannon_distance": "JS",
        "normalized_wasserstein_distance": "W/std",
        "population_stability_index": "PSI",
        "null_value_rate": "null",
        "out_of_bounds_rate": "out",
    }
    print(f"{'feature':<10}" + "".join(f"{short[name]:>8}" for name in short) + "  breach")
    for feature, values in summary["features"].items():
        cells = "".join(f"{'-' if values[name] is None else format(values[name], '.3f'):>8}" for name in short)
        print(f"{feature:<10}{cells}  {', '.join(short[n] for n in summary['breaches'].get(feature, []))}")
    found = summary["breaches"]
    verdict = f"drift on {', '.join(found)}" if found else "no threshold breached"
    print(f"Monitoring: {summary['rows']} scored rows, {verdict}; report {report}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--log", type=Path, required=True, help="the data collector's JSONL log, or a folder of them")
    parser.add_argument("--reference", type=Path, required=True, help="the training data (CSV)")
    parser.add_argument("--output", type=Path, required=True, help="folder for report.html and summary.json")
    parser.add_argument("--breach-output", type=Path, help="folder for breach.json; a breach then exits 0")
    args = parser.parse_args(argv)
    try:
        summary = monitor(args.log, args.reference, args.output)
    except (NothingToMonitor, FileNotFoundError) as error:
        print(f"make monitor: {error}", file=sys.stderr)
        return 2
    print_summary(summary, args.output / "report.html")
    if args.breach_output:
        write_breach(args.breach_output, summary)
        return 0
    return 1 if summary["breaches"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
