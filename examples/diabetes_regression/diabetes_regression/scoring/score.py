"""Online scoring for azureml-inference-server-http (the server of Azure ML's inference images).

The server calls init() once, then run() per request. The model is the MLflow model under
AZUREML_MODEL_DIR. Request body: {"data": [[10 numbers], ...]}; response: {"result": [predictions]}.
A malformed request gets a 4xx with {"error": "..."}, never a 500: 413 when the body is larger than
MAX_REQUEST_BYTES or has more than MAX_ROWS rows, 400 for anything else (not JSON, nested too deeply,
wrong shape or types, a number that is not finite or an integer too large for a float64 to hold
exactly). Every request logs one JSON line with RequestId, TraceParent and NumberOfPredictions.

When SCORING_COLLECT_LOG names a file (`make serve`, `make batch-score`), every scored request also
appends its inputs and predictions to it as JSON lines in the shape of Azure ML's data collector
(model_inputs, model_outputs), which `make monitor` reads (docs/monitoring.md). On an Azure ML
online endpoint whose deployment has a data collector (it sets AZUREML_MDC_*), the same rows go to
the collector through azureml-ai-monitoring (custom logging: the collector stores nothing by itself).
"""

from __future__ import annotations

import importlib
import json
import math
import os
import socket
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import mlflow.sklearn
import numpy as np
from azureml_inference_server_http.api.aml_response import AMLResponse

model: Any = None
# Limits of one request, overridable per deployment (environment variables of the server).
MAX_REQUEST_BYTES = int(os.environ.get("SCORING_MAX_REQUEST_BYTES", 1024 * 1024))
MAX_ROWS = int(os.environ.get("SCORING_MAX_ROWS", 1000))
# Integers beyond 2**53 lose digits as a float64 (and numpy refuses ones beyond 2**64): refused, not rounded.
MAX_EXACT_INTEGER = 2**53
# Where the caller's request id may be: Azure ML's front end, the original's header, the smoke test's.
REQUEST_ID_HEADERS = ("x-request-id", "x-ms-request-id", "x-ms-client-request-id")
# The data collector's log: a file, "-" for standard output (the scoring image's container log), or
# empty: nothing is collected (the default; Azure ML's own collector serves online endpoints).
# "{host}" in it is the host name: on a shared mount (ACI, App Service) each instance has its file.
COLLECT_LOG = os.environ.get("SCORING_COLLECT_LOG", "").replace("{host}", socket.gethostname())
# The deployment's data collector (ml_service/monitoring.py's data_collector): (model_inputs,
# model_outputs) collectors when Azure ML configured one for this container, else None.
collectors: tuple[Any, Any] | None = None


class BadRequest(ValueError):
    """The request cannot be scored; the message tells the caller why."""

    status = 400


class TooLarge(BadRequest):
    """The request is over a size limit (HTTP 413)."""

    status = 413


def find_model_dir(root: Path) -> Path:
    """The folder holding the MLmodel file: Azure ML mounts the model one level below AZUREML_MODEL_DIR."""
    for mlmodel in sorted(root.rglob("MLmodel")):
        return mlmodel.parent
    raise FileNotFoundError(f"no MLflow model (MLmodel file) under {root}")


def init() -> None:
    global model, collectors
    model = mlflow.sklearn.load_model(str(find_model_dir(Path(os.environ.get("AZUREML_MODEL_DIR", ".")))))
    collectors = azure_collectors()


def azure_collectors() -> tuple[Any, Any] | None:
    """azureml-ai-monitoring's collectors when Azure ML configured the deployment's data collector
    (AZUREML_MDC_CONFIG_PATH, or AZUREML_MDC_ENABLED=true); None elsewhere (locally, ACI, App Service)."""
    enabled = os.environ.get("AZUREML_MDC_ENABLED", "").lower() == "true"
    if not (os.environ.get("AZUREML_MDC_CONFIG_PATH") or enabled):
        return None
    from azureml.ai.monitoring import Collector

    return tuple(Collector(name=name, on_error=collector_error) for name in ("model_inputs", "model_outputs"))


def collector_error(error: Exception) -> None:
    """A row the collector could not take is logged, never turned into a failed request."""
    print(json.dumps({"DataCollectorError": str(error)}), flush=True)


def collect_to_azure(features: np.ndarray, predictions: np.ndarray) -> None:
    """Hand the request's rows to the deployment's data collector: inputs by feature name, outputs
    as `prediction`, correlated (the collector's sidecar writes them to the blob store)."""
    import pandas as pd

    inputs, outputs = collectors
    context = inputs.collect(pd.DataFrame(features, columns=list(feature_names())))
    outputs.collect(pd.DataFrame({"prediction": predictions}), context)


def _integer(text: str) -> float:
    """A JSON integer as a float, refusing ones a float64 cannot hold exactly (json.loads' parse_int)."""
    if len(text.lstrip("-")) > 16 or abs(int(text)) > MAX_EXACT_INTEGER:
        shown = text if len(text) <= 40 else f"{text[:20]}...({len(text)} digits)"
        raise BadRequest(f"the integer {shown} is too large: send numbers within +/-2**53 or as floats")
    return float(text)


def _constant(name: str) -> float:
    """NaN, Infinity and -Infinity are not JSON numbers (json.loads' parse_constant)."""
    raise BadRequest(f"{name} is not a finite number")


def parse_request(raw_data: str | bytes, n_features: int) -> np.ndarray:
    """The feature matrix of a request, or BadRequest saying what is wrong with it."""
    if not raw_data:
        raise BadRequest("the request body is empty: send JSON with Content-Type: application/json")
    if len(raw_data) > MAX_REQUEST_BYTES:
        raise TooLarge(f"the request body is larger than {MAX_REQUEST_BYTES} bytes: send fewer rows per request")
    try:
        payload = json.loads(raw_data, parse_int=_integer, parse_constant=_constant)
    except RecursionError:
        raise BadRequest("the request body is nested too deeply") from None
    except BadRequest:
        raise
    except (TypeError, ValueError):
        raise BadRequest("the request body is not valid JSON") from None
    if not isinstance(payload, dict) or "data" not in payload:
        raise BadRequest('expected a JSON object {"data": [[...], ...]}')
    rows = payload["data"]
    if not isinstance(rows, list) or not rows or not all(isinstance(row, list) for row in rows):
        raise BadRequest("data must be a non-empty list of rows, each a list of numbers")
    if len(rows) > MAX_ROWS:
        raise TooLarge(f"data has {len(rows)} rows, at most {MAX_ROWS} per request")
    for index, row in enumerate(rows):
        if len(row) != n_features:
            raise BadRequest(f"row {index} has {len(row)} features, expected {n_features}")
        for value in row:
            if not isinstance(value, float) or not math.isfinite(value):
                shown = repr(value) if len(repr(value)) <= 40 else f"a {type(value).__name__}"
                raise BadRequest(f"row {index} has a value that is not a finite number: {shown}")
    return np.asarray(rows, dtype=float)


def content_length(headers: dict[str, str]) -> int | None:
    """The declared body size, when the client sent a well-formed Content-Length."""
    value = headers.get("content-length", "")
    return int(value) if value.isdigit() else None


def log_request(headers: dict[str, str], predictions: int, error: str | None = None) -> None:
    line = {
        "RequestId": next((headers[name] for name in REQUEST_ID_HEADERS if headers.get(name)), ""),
        "TraceParent": headers.get("traceparent", ""),
        "NumberOfPredictions": predictions,
    }
    if error:
        line["Error"] = error
    print(json.dumps(line), flush=True)


def feature_names() -> tuple[str, ...]:
    """The data contract's feature names (this file is <project>/<package>/scoring/score.py; only
    collection needs them, so the package is put on the path only then)."""
    package = Path(__file__).resolve().parents[1]
    if str(package.parent) not in sys.path:
        sys.path.append(str(package.parent))
    return importlib.import_module(f"{package.name}.util.data").FEATURES


def collect(log: str | Path, features: np.ndarray, predictions: np.ndarray, correlation_id: str = "") -> None:
    """Append one model_inputs and one model_outputs line (Azure ML data collector's shape) to `log`
    ("-": standard output). One write of both lines, so concurrent workers do not interleave them."""
    names = feature_names()
    correlation_id = correlation_id or str(uuid.uuid4())
    now = int(time.time() * 1000)
    lines = [
        {
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "source": "local",
            "type": f"azureml.inference.{kind}",
            "datacontenttype": "application/json",
            "time": now,
            "data": data,
            "correlationid": correlation_id,
        }
        for kind, data in (
            ("model_inputs", [dict(zip(names, map(float, row), strict=True)) for row in features]),
            ("model_outputs", [{"prediction": float(value)} for value in predictions]),
        )
    ]
    text = "".join(json.dumps(line) + "\n" for line in lines)
    if str(log) == "-":  # the container log (the scoring image on ACI and App Service)
        print(text, end="", flush=True)
        return
    Path(log).parent.mkdir(parents=True, exist_ok=True)
    with open(log, "a", encoding="utf-8") as file:
        file.write(text)


def run(raw_data: str, request_headers: dict[str, str] | None = None) -> Any:
    headers = {key.lower(): value for key, value in (request_headers or {}).items()}
    try:
        declared = content_length(headers)
        if declared is not None and declared > MAX_REQUEST_BYTES:
            raise TooLarge(f"the request body is larger than {MAX_REQUEST_BYTES} bytes: send fewer rows per request")
        features = parse_request(raw_data, int(model.n_features_in_))
        with np.errstate(over="ignore", invalid="ignore"):  # extreme inputs: judged by the result below
            predictions = model.predict(features)
        if not np.all(np.isfinite(predictions)):  # finite but extreme inputs: JSON cannot carry the answer
            raise BadRequest("the inputs are out of the model's range: a prediction is not a finite number")
    except BadRequest as error:
        log_request(headers, 0, str(error))
        return AMLResponse({"error": str(error)}, error.status, json_str=True)
    log_request(headers, len(predictions))
    if collectors:
        collect_to_azure(features, predictions)
    if COLLECT_LOG:
        request_id = next((headers[name] for name in REQUEST_ID_HEADERS if headers.get(name)), "")
        collect(COLLECT_LOG, features, predictions, request_id)
    return {"result": predictions.tolist()}
