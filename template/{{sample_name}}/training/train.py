"""Pure training functions: no file paths, no MLflow, easy to test and to replace with your own model."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import Ridge
from sklearn.metrics import mean_squared_error
from sklearn.model_selection import train_test_split

from ..util.data import FEATURES, TARGET

Split = dict[str, dict[str, np.ndarray]]


def split_data(df: pd.DataFrame, test_size: float = 0.2, random_state: int = 0) -> Split:
    """Split into train and test sets (80/20 by default) with a fixed seed, features as arrays."""
    features = df[list(FEATURES)].to_numpy(dtype=float)
    target = df[TARGET].to_numpy(dtype=float)
    x_train, x_test, y_train, y_test = train_test_split(
        features, target, test_size=test_size, random_state=random_state
    )
    return {"train": {"X": x_train, "y": y_train}, "test": {"X": x_test, "y": y_test}}


def train_model(data: Split, ridge_args: dict[str, Any]) -> Ridge:
    """Fit a Ridge regression on the training set."""
    model = Ridge(**ridge_args)
    model.fit(data["train"]["X"], data["train"]["y"])
    return model


def get_model_metrics(model: Ridge, data: Split) -> dict[str, float]:
    """The model's metrics on the test set."""
    predictions = model.predict(data["test"]["X"])
    return {"mse": float(mean_squared_error(data["test"]["y"], predictions))}
