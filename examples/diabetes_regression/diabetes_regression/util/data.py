"""The data contract of the training data: columns, missing values and plausible distributions.

Change FEATURES, TARGET and REFERENCE when you bring your own data (docs/custom_model.md).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

FEATURES = ("AGE", "SEX", "BMI", "BP", "S1", "S2", "S3", "S4", "S5", "S6")
TARGET = "Y"

# Reference mean and standard deviation of each column in data/diabetes.csv
# (sklearn.datasets.load_diabetes(scaled=False)); used to spot a shifted distribution.
REFERENCE = {
    "AGE": (48.52, 13.11),
    "SEX": (1.47, 0.50),
    "BMI": (26.38, 4.42),
    "BP": (94.65, 13.83),
    "S1": (189.14, 34.61),
    "S2": (115.44, 30.41),
    "S3": (49.79, 12.93),
    "S4": (4.07, 1.29),
    "S5": (4.64, 0.52),
    "S6": (91.26, 11.50),
    "Y": (152.13, 77.09),
}
# How many reference standard deviations a column's mean may move before it counts as drift.
MAX_MEAN_SHIFT = 1.0

# Production monitoring (`make monitor`, and Azure ML model monitoring): a feature breaches when a
# metric of its scored inputs against the training data exceeds its threshold here. The names are
# Azure ML's (DataDriftSignal, DataQualitySignal); docs/monitoring.md explains each one. The
# distribution thresholds tolerate the sampling noise of a few dozen rows (40 unshifted rows of the
# training data reach about 0.35); with thousands of rows a day, tighten them.
MONITORING_THRESHOLDS = {
    "jensen_shannon_distance": 0.5,
    "normalized_wasserstein_distance": 0.5,
    "population_stability_index": 0.5,
    "null_value_rate": 0.0,
    "out_of_bounds_rate": 0.05,
}
# Below this many scored rows, the distribution metrics are reported but not judged (too noisy).
MONITORING_MIN_ROWS = 30


def read_data(path: str | Path) -> pd.DataFrame:
    """Read a CSV file, or every CSV file in a folder (an Azure ML uri_folder input), as one frame."""
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.csv"))
        if not files:
            raise FileNotFoundError(f"no .csv file in {path}")
        return pd.concat([pd.read_csv(file) for file in files], ignore_index=True)
    return pd.read_csv(path)


def schema_problems(df: pd.DataFrame, *, with_target: bool = True) -> list[str]:
    """Missing or unexpected columns, and non-numeric columns."""
    expected = [*FEATURES, TARGET] if with_target else list(FEATURES)
    problems = []
    missing = [column for column in expected if column not in df.columns]
    if missing:
        problems.append(f"missing columns: {', '.join(missing)}")
    unexpected = [column for column in df.columns if column not in expected]
    if unexpected:
        problems.append(f"unexpected columns: {', '.join(map(str, unexpected))}")
    for column in expected:
        if column in df.columns and not pd.api.types.is_numeric_dtype(df[column]):
            problems.append(f"column {column} is not numeric")
    return problems


def missing_value_problems(df: pd.DataFrame) -> list[str]:
    """Columns with empty cells, with how many."""
    counts = df.isna().sum()
    return [f"column {column} has {count} missing values" for column, count in counts.items() if count]


def distribution_problems(df: pd.DataFrame) -> list[str]:
    """Columns whose mean moved more than MAX_MEAN_SHIFT reference standard deviations."""
    problems = []
    for column, (mean, std) in REFERENCE.items():
        if column in df.columns and pd.api.types.is_numeric_dtype(df[column]):
            shift = abs(df[column].mean() - mean) / std
            if shift > MAX_MEAN_SHIFT:
                problems.append(
                    f"column {column} has mean {df[column].mean():.4g}, {shift:.1f} standard deviations "
                    f"from the reference mean {mean:.4g}"
                )
    return problems
