"""Online scoring: predictions, the per-request log line, and a 4xx with a clear error for bad input."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from diabetes_regression.scoring import score

SAMPLE = {"data": [list(range(1, 11)), list(range(10, 0, -1))]}
HEADERS = {"X-Ms-Request-Id": "req-1", "Traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}


@pytest.fixture
def loaded(trained: dict[str, Path], monkeypatch) -> None:
    # Azure ML mounts the model one folder below AZUREML_MODEL_DIR; init() finds it there.
    monkeypatch.setenv("AZUREML_MODEL_DIR", str(trained["model"].parent))
    score.init()


def test_scores_two_rows_and_logs_one_json_line(loaded, capsys) -> None:
    result = score.run(json.dumps(SAMPLE), HEADERS)
    assert len(result["result"]) == 2
    assert all(isinstance(value, float) for value in result["result"])
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line == {"RequestId": "req-1", "TraceParent": HEADERS["Traceparent"], "NumberOfPredictions": 2}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("not json", "the request body is not valid JSON"),
        ("", "the request body is empty: send JSON with Content-Type: application/json"),
        ("[[1, 2, 3]]", 'expected a JSON object {"data": [[...], ...]}'),
        ('{"rows": [[1]]}', 'expected a JSON object {"data": [[...], ...]}'),
        ('{"data": []}', "data must be a non-empty list of rows, each a list of numbers"),
        ('{"data": [1, 2, 3]}', "data must be a non-empty list of rows, each a list of numbers"),
        ('{"data": [[1, 2, 3]]}', "row 0 has 3 features, expected 10"),
        ('{"data": [[1, 2, 3, 4, 5, 6, 7, 8, 9, "ten"]]}', "row 0 has a value that is not a finite number: 'ten'"),
        ('{"data": [[1, 2, 3, 4, 5, 6, 7, 8, 9, true]]}', "row 0 has a value that is not a finite number: True"),
        ('{"data": [[1, 2, 3, 4, 5, 6, 7, 8, 9, NaN]]}', "NaN is not a finite number"),
        ('{"data": [[1, 2, 3, 4, 5, 6, 7, 8, 9, -Infinity]]}', "-Infinity is not a finite number"),
        ('{"data": [[1, 2, 3, 4, 5, 6, 7, 8, 9, 1e400]]}', "row 0 has a value that is not a finite number: inf"),
        ('{"data": [[1, 2, 3, 4, 5, 6, 7, 8, 9, null]]}', "row 0 has a value that is not a finite number: None"),
        ('{"data": [[1, 2, 3, 4, 5, 6, 7, 8, 9, [10]]]}', "row 0 has a value that is not a finite number: [10.0]"),
        ('{"data": [[1, 2, 3, 4, 5, 6, 7, 8, 9, {}]]}', "row 0 has a value that is not a finite number: {}"),
        ('{"data": {"row": [1]}}', "data must be a non-empty list of rows, each a list of numbers"),
        ("[" * 100_000 + "]" * 100_000, "the request body is nested too deeply"),
        (
            '{"data": [[1, 2, 3, 4, 5, 6, 7, 8, 9, 1000000000000000000000000000000]]}',
            "the integer 1000000000000000000000000000000 is too large: send numbers within +/-2**53 or as floats",
        ),
        (
            '{"data": [[1, 2, 3, 4, 5, 6, 7, 8, 9, ' + "9" * 5000 + "]]}",
            f"the integer {'9' * 20}...(5000 digits) is too large: send numbers within +/-2**53 or as floats",
        ),
        (
            '{"data": [[' + ", ".join(["1e308"] * 10) + "]]}",
            "the inputs are out of the model's range: a prediction is not a finite number",
        ),
        (b"\xff\xfe not utf-8", "the request body is not valid JSON"),
    ],
)
def test_bad_requests_get_400_with_a_clear_error(loaded, capsys, body: str, message: str) -> None:
    response = score.run(body, HEADERS)
    assert response.status_code == 400
    assert json.loads(response.get_data()) == {"error": message}
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["NumberOfPredictions"] == 0
    assert line["Error"] == message


def test_a_body_over_the_size_limit_gets_413(loaded, monkeypatch) -> None:
    monkeypatch.setattr(score, "MAX_REQUEST_BYTES", 1000)
    response = score.run(json.dumps({"data": [list(range(1, 11))] * 100}), HEADERS)
    assert response.status_code == 413
    assert json.loads(response.get_data()) == {
        "error": "the request body is larger than 1000 bytes: send fewer rows per request"
    }
    # A declared Content-Length over the limit is refused before the body is parsed.
    assert score.run(json.dumps(SAMPLE), {**HEADERS, "Content-Length": "5000"}).status_code == 413


def test_too_many_rows_get_413(loaded, monkeypatch) -> None:
    monkeypatch.setattr(score, "MAX_ROWS", 3)
    response = score.run(json.dumps({"data": [list(range(1, 11))] * 4}), HEADERS)
    assert response.status_code == 413
    assert json.loads(response.get_data()) == {"error": "data has 4 rows, at most 3 per request"}


def test_integers_up_to_2_to_the_53_are_scored(loaded) -> None:
    assert len(score.run(json.dumps({"data": [[2**53, *range(2, 11)]]}), HEADERS)["result"]) == 1


def test_init_says_where_it_looked_for_the_model(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("AZUREML_MODEL_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="no MLflow model"):
        score.init()


class DataCollectorSidecar(BaseHTTPRequestHandler):
    """Stands in for the data collector beside an Azure ML deployment's container: records what the
    scoring script's collectors post to it (azureml-ai-monitoring sends POST /modeldata/log)."""

    received: list[tuple[str, dict[str, str], str]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        self.received.append((self.path, {key.lower(): value for key, value in self.headers.items()}, body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args) -> None:  # quiet
        pass


@pytest.fixture
def sidecar(monkeypatch) -> Iterator[list]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), DataCollectorSidecar)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    DataCollectorSidecar.received = []
    # What Azure ML sets in a deployment's container when its data collector is on.
    monkeypatch.setenv("AZUREML_MDC_ENABLED", "true")
    monkeypatch.setenv("AZUREML_MDC_HOST", "127.0.0.1")
    monkeypatch.setenv("AZUREML_MDC_PORT", str(server.server_address[1]))
    yield DataCollectorSidecar.received
    from azureml.ai.monitoring.init import teardown  # the SDK keeps process-wide state: reset it

    teardown()
    score.collectors = None
    server.shutdown()


def test_an_azure_ml_deployment_hands_every_request_to_its_data_collector(trained, monkeypatch, sidecar) -> None:
    monkeypatch.setenv("AZUREML_MODEL_DIR", str(trained["model"].parent))
    score.init()
    result = score.run(json.dumps(SAMPLE), HEADERS)
    deadline = time.monotonic() + 10  # the collector sends from its own thread
    while len(sidecar) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    posts = {headers["ce-type"]: (path, headers, json.loads(body)) for path, headers, body in sidecar}
    assert set(posts) == {"azureml.inference.model_inputs", "azureml.inference.model_outputs"}
    _, inputs_headers, inputs = posts["azureml.inference.model_inputs"]
    _, outputs_headers, outputs = posts["azureml.inference.model_outputs"]
    names = list(score.feature_names())
    assert inputs == [dict(zip(names, map(float, row), strict=True)) for row in SAMPLE["data"]]
    # pandas writes the collector's JSON with 10 decimals
    assert outputs == [{"prediction": pytest.approx(value, abs=1e-9)} for value in result["result"]]
    assert inputs_headers["ce-x-request-id"] == outputs_headers["ce-x-request-id"]  # one request, correlated
    assert {path for path, _, _ in sidecar} == {"/modeldata/log"}


def test_without_a_data_collector_nothing_is_handed_to_one(loaded) -> None:
    assert score.collectors is None  # locally, on ACI and App Service: the file log instead (SCORING_COLLECT_LOG)
