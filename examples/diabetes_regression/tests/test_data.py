"""Data tests: the sample data is the scikit-learn diabetes set and every bad fixture is caught."""

from __future__ import annotations

import numpy as np
import pandas as pd
from conftest import FIXTURES
from sklearn.datasets import load_diabetes

from diabetes_regression.util.data import (
    FEATURES,
    TARGET,
    distribution_problems,
    missing_value_problems,
    read_data,
    schema_problems,
)


def test_sample_data_is_the_scikit_learn_diabetes_set(diabetes: pd.DataFrame) -> None:
    reference = load_diabetes(as_frame=True, scaled=False).frame
    assert list(diabetes.columns) == [*FEATURES, TARGET]
    assert np.allclose(diabetes.to_numpy(), reference.to_numpy())


def test_sample_data_passes_every_check(diabetes: pd.DataFrame) -> None:
    assert schema_problems(diabetes) == []
    assert missing_value_problems(diabetes) == []
    assert distribution_problems(diabetes) == []


def test_bad_schema_is_caught() -> None:
    problems = schema_problems(pd.read_csv(FIXTURES / "bad_schema.csv"))
    assert "missing columns: BMI, S6" in problems
    assert "unexpected columns: BODY_MASS" in problems


def test_missing_values_are_caught() -> None:
    problems = missing_value_problems(pd.read_csv(FIXTURES / "missing_values.csv"))
    assert problems == [
        "column BMI has 1 missing values",
        "column S5 has 1 missing values",
        "column Y has 1 missing values",
    ]


def test_bad_distribution_is_caught() -> None:
    df = pd.read_csv(FIXTURES / "bad_distribution.csv")
    assert schema_problems(df) == []
    problems = distribution_problems(df)
    assert [problem.split()[1] for problem in problems] == ["AGE", "BMI"]


def test_non_numeric_column_is_a_schema_problem(diabetes: pd.DataFrame) -> None:
    df = diabetes.head().astype({"SEX": str})
    df["SEX"] = "male"
    assert schema_problems(df) == ["column SEX is not numeric"]


def test_read_data_reads_a_folder_of_csv_files(diabetes: pd.DataFrame, tmp_path) -> None:
    diabetes.iloc[:100].to_csv(tmp_path / "part1.csv", index=False)
    diabetes.iloc[100:].to_csv(tmp_path / "part2.csv", index=False)
    assert read_data(tmp_path).shape == diabetes.shape
