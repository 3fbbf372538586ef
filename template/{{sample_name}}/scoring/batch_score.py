"""Batch scoring with the init()/run(mini_batch) contract of Azure ML parallel jobs.

In Azure ML, a parallel job calls run() with a list of CSV files (uri_folder input) or a DataFrame
(tabular input) and appends the returned lines to parallel_run_step.txt. Locally, `make batch-score`
runs the same functions over mini-batches of a CSV file in parallel processes:

    python -m <package>.scoring.batch_score --data data/diabetes_scoring_input.csv --output DIR \
        [--model-name NAME --model-dir DIR]

With --model-name it first downloads the production model into --model-dir (else it scores the
model already in AZUREML_MODEL_DIR). When SCORING_COLLECT_LOG names a file, the scored inputs and
predictions are appended to it as the scoring server does (score.collect), for `make monitor`.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import mlflow.sklearn
import pandas as pd

TARGET = "Y"  # dropped when the input still carries the label
model: Any = None


def init() -> None:
    global model
    parser = argparse.ArgumentParser(allow_abbrev=False)
    parser.add_argument("--model", default=None)  # the Azure ML parallel step passes --model ${{inputs.model}}
    known, _ = parser.parse_known_args()
    root = Path(known.model or os.environ.get("AZUREML_MODEL_DIR", "."))
    mlmodel = next(iter(sorted(root.rglob("MLmodel"))), None)
    if mlmodel is None:
        raise FileNotFoundError(f"no MLflow model (MLmodel file) under {root}")
    model = mlflow.sklearn.load_model(str(mlmodel.parent))


def score_frame(name: str, df: pd.DataFrame) -> list[str]:
    features = df.drop(columns=[TARGET], errors="ignore").to_numpy(dtype=float)
    predictions = model.predict(features)
    if os.environ.get("SCORING_COLLECT_LOG"):  # local only: Azure ML loads this file outside its package
        from .score import collect

        collect(os.environ["SCORING_COLLECT_LOG"], features, predictions)
    return [f"{name},{row},{prediction}" for row, prediction in enumerate(predictions)]


def run(mini_batch: list[str] | pd.DataFrame) -> list[str]:
    """One line "file,row,prediction" per scored row."""
    if isinstance(mini_batch, pd.DataFrame):
        return score_frame("", mini_batch)
    lines: list[str] = []
    for file in mini_batch:
        lines.extend(score_frame(Path(file).name, pd.read_csv(file)))
    return lines


def split_into_mini_batches(data: Path, folder: Path, rows: int) -> list[list[str]]:
    """Write the CSV as files of `rows` rows each; every file is one mini-batch."""
    df = pd.read_csv(data)
    batches = []
    for number, start in enumerate(range(0, len(df), rows)):
        path = folder / f"{data.stem}_{number:04d}.csv"
        df.iloc[start : start + rows].to_csv(path, index=False)
        batches.append([str(path)])
    return batches


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="CSV file to score")
    parser.add_argument("--output", required=True, help="folder for parallel_run_step.txt")
    parser.add_argument("--mini-batch-rows", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--model-name", help="score the production model of this registered model")
    parser.add_argument("--model-dir", default="outputs/production_model", help="where to download it")
    args = parser.parse_args(argv)
    if args.model_name:
        from ..util import production_model  # only here: Azure ML loads this file outside its package

        if production_model.main(["--model-name", args.model_name, "--output", args.model_dir]):
            return 1
        os.environ["AZUREML_MODEL_DIR"] = str(Path(args.model_dir).resolve())

    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        batches = split_into_mini_batches(Path(args.data), Path(folder), args.mini_batch_rows)
        with ProcessPoolExecutor(max_workers=args.workers, initializer=init) as pool:
            results = list(pool.map(run, batches))
    lines = [line for result in results for line in result]
    (output / "parallel_run_step.txt").write_text("".join(f"{line}\n" for line in lines))
    print(f"Scored {len(lines)} rows in {len(batches)} mini-batches with {args.workers} workers")
    return 0


if __name__ == "__main__":
    exit_code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip the interpreter's teardown of MLflow's module graph: seconds on a small machine, and
    # everything is written already (MLflow's store commits each call).
    os._exit(exit_code)
