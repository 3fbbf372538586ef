"""Online scoring: predictions, the per-request log line, and a 400 with a clear error for bad input."""

from __future__ import annotations

import json
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
        ('{"data": [[1, 2, 3, 4, 5, 6, 7, 8, 9, NaN]]}', "row 0 has a value that is not a finite number: nan"),
    ],
)
def test_bad_requests_get_400_with_a_clear_error(loaded, capsys, body: str, message: str) -> None:
    response = score.run(body, HEADERS)
    assert response.status_code == 400
    assert json.loads(response.get_data()) == {"error": message}
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["NumberOfPredictions"] == 0
    assert line["Error"] == message


def test_init_says_where_it_looked_for_the_model(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("AZUREML_MODEL_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="no MLflow model"):
        score.init()
