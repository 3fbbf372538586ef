"""Online scoring for azureml-inference-server-http (the server of Azure ML's inference images).

The server calls init() once, then run() per request. The model is the MLflow model under
AZUREML_MODEL_DIR. Request body: {"data": [[10 numbers], ...]}; response: {"result": [predictions]}.
A bad request gets a 400 with {"error": "..."}; every request logs one JSON line with RequestId,
TraceParent and NumberOfPredictions.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import mlflow.sklearn
import numpy as np
from azureml_inference_server_http.api.aml_response import AMLResponse

model: Any = None
# Where the caller's request id may be: Azure ML's front end, the original's header, the smoke test's.
REQUEST_ID_HEADERS = ("x-request-id", "x-ms-request-id", "x-ms-client-request-id")


class BadRequest(ValueError):
    """The request cannot be scored; the message tells the caller why."""


def find_model_dir(root: Path) -> Path:
    """The folder holding the MLmodel file: Azure ML mounts the model one level below AZUREML_MODEL_DIR."""
    for mlmodel in sorted(root.rglob("MLmodel")):
        return mlmodel.parent
    raise FileNotFoundError(f"no MLflow model (MLmodel file) under {root}")


def init() -> None:
    global model
    model = mlflow.sklearn.load_model(str(find_model_dir(Path(os.environ.get("AZUREML_MODEL_DIR", ".")))))


def parse_request(raw_data: str | bytes, n_features: int) -> np.ndarray:
    """The feature matrix of a request, or BadRequest saying what is wrong with it."""
    if not raw_data:
        raise BadRequest("the request body is empty: send JSON with Content-Type: application/json")
    try:
        payload = json.loads(raw_data)
    except (TypeError, ValueError):
        raise BadRequest("the request body is not valid JSON") from None
    if not isinstance(payload, dict) or "data" not in payload:
        raise BadRequest('expected a JSON object {"data": [[...], ...]}')
    rows = payload["data"]
    if not isinstance(rows, list) or not rows or not all(isinstance(row, list) for row in rows):
        raise BadRequest("data must be a non-empty list of rows, each a list of numbers")
    for index, row in enumerate(rows):
        if len(row) != n_features:
            raise BadRequest(f"row {index} has {len(row)} features, expected {n_features}")
        for value in row:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
                raise BadRequest(f"row {index} has a value that is not a finite number: {value!r}")
    return np.asarray(rows, dtype=float)


def log_request(headers: dict[str, str], predictions: int, error: str | None = None) -> None:
    line = {
        "RequestId": next((headers[name] for name in REQUEST_ID_HEADERS if headers.get(name)), ""),
        "TraceParent": headers.get("traceparent", ""),
        "NumberOfPredictions": predictions,
    }
    if error:
        line["Error"] = error
    print(json.dumps(line), flush=True)


def run(raw_data: str, request_headers: dict[str, str] | None = None) -> Any:
    headers = {key.lower(): value for key, value in (request_headers or {}).items()}
    try:
        features = parse_request(raw_data, int(model.n_features_in_))
    except BadRequest as error:
        log_request(headers, 0, str(error))
        return AMLResponse({"error": str(error)}, 400, json_str=True)
    predictions = model.predict(features).tolist()
    log_request(headers, len(predictions))
    return {"result": predictions}
