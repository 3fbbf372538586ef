"""Production monitoring, locally: what the scoring server collects, and `make monitor`'s verdict,
figures and report."""

from __future__ import annotations

import json
import re
import urllib.request
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import DATA, FIXTURES
from scipy.spatial.distance import jensenshannon
from scipy.stats import wasserstein_distance

from diabetes_regression.monitoring import metrics, monitor
from diabetes_regression.util.data import FEATURES, MONITORING_MIN_ROWS


def score_through(url: str, log: Path, frame: pd.DataFrame) -> None:
    """Start a fresh log, then score the frame's features through the server, 50 rows a request,
    each with its own request id; the log keeps these requests' events only (anything else the
    server was still scoring, such as a slow readiness probe, may land in it after the reset)."""
    log.write_text("")
    marker = f"score-through-{uuid.uuid4()}"
    rows = frame[list(FEATURES)].to_numpy(dtype=float).tolist()
    for number, start in enumerate(range(0, len(rows), 50)):
        body = json.dumps({"data": rows[start : start + 50]}).encode()
        headers = {"Content-Type": "application/json", "x-request-id": f"{marker}-{number}"}
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        with urllib.request.urlopen(request, timeout=60) as response:
            assert response.status == 200
    ours = [line for line in log.read_text().splitlines() if json.loads(line)["correlationid"].startswith(marker)]
    assert len(ours) == 2 * len(range(0, len(rows), 50)), "each request's inputs and outputs are collected"
    log.write_text("".join(f"{line}\n" for line in ours))


def test_the_server_collects_inputs_and_outputs_in_the_data_collector_shape(scoring_server, diabetes) -> None:
    url, log = scoring_server
    score_through(url, log, diabetes.head(3))
    events = [json.loads(line) for line in log.read_text().splitlines()]
    assert [event["type"] for event in events] == ["azureml.inference.model_inputs", "azureml.inference.model_outputs"]
    assert events[0]["correlationid"] == events[1]["correlationid"]
    assert events[0]["correlationid"].startswith("score-through-")  # the request's own id
    assert list(events[0]["data"][0]) == list(FEATURES)
    assert len(events[1]["data"]) == 3


def test_collecting_to_standard_output_writes_the_same_lines(capsys) -> None:
    from diabetes_regression.scoring import score

    score.collect("-", np.ones((2, len(FEATURES))), np.array([1.0, 2.0]), "request-1")
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [event["type"] for event in events] == ["azureml.inference.model_inputs", "azureml.inference.model_outputs"]
    assert {event["correlationid"] for event in events} == {"request-1"}
    assert events[1]["data"] == [{"prediction": 1.0}, {"prediction": 2.0}]


def test_normal_scoring_input_breaches_nothing(scoring_server, diabetes, tmp_path: Path) -> None:
    url, log = scoring_server
    score_through(url, log, diabetes.iloc[::2])
    assert monitor.main(["--log", str(log), "--reference", str(DATA), "--output", str(tmp_path)]) == 0


def test_the_bad_distribution_fixture_is_reported_as_drift(scoring_server, tmp_path: Path, capsys) -> None:
    url, log = scoring_server
    score_through(url, log, pd.read_csv(FIXTURES / "bad_distribution.csv"))
    assert monitor.main(["--log", str(log), "--reference", str(DATA), "--output", str(tmp_path)]) == 1
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert set(summary["breaches"]) == {"AGE", "BMI"}  # the fixture's shifted features, and only those
    assert "drift on AGE, BMI" in capsys.readouterr().out
    report = (tmp_path / "report.html").read_text()
    assert len(re.findall(r'<img alt="[^"]+" src="data:image/png;base64,', report)) == len(FEATURES)


def test_a_folder_of_collected_logs_is_read_whole(tmp_path: Path) -> None:
    """Storage holds the collector's JSONL in dated folders (the scheduled monitor mounts the root)."""
    from diabetes_regression.scoring import score

    for hour, rows in (("2026/01/01/00", 2), ("2026/01/01/01", 3)):
        (tmp_path / hour).mkdir(parents=True)
        score.collect(tmp_path / hour / "part.jsonl", np.ones((rows, len(FEATURES))), np.zeros(rows), hour)
    (tmp_path / "2026" / "notes.txt").write_text("not a log")
    assert len(monitor.read_inputs(tmp_path)) == 5


def test_no_log_is_a_clear_error(tmp_path: Path, capsys) -> None:
    missing = tmp_path / "none.jsonl"
    assert monitor.main(["--log", str(missing), "--reference", str(DATA), "--output", str(tmp_path)]) == 2
    assert "score some data first" in capsys.readouterr().err


def test_the_figures_are_scipys_on_the_same_arrays() -> None:
    rng = np.random.default_rng(0)
    reference, production = rng.normal(0, 1, 500), rng.normal(0.5, 1.5, 200)
    edges = np.histogram_bin_edges(np.concatenate([reference, production]), bins=metrics.BINS)
    p = np.histogram(reference, edges)[0] / len(reference)
    q = np.histogram(production, edges)[0] / len(production)
    assert metrics.jensen_shannon_distance(reference, production) == pytest.approx(jensenshannon(p, q, base=2))
    assert metrics.normalized_wasserstein_distance(reference, production) == pytest.approx(
        wasserstein_distance(reference, production) / np.std(reference)
    )
    deciles = np.quantile(reference, np.linspace(0, 1, 11))
    p = np.maximum(np.histogram(reference, deciles)[0] / len(reference), metrics.PSI_FLOOR)
    inside = np.clip(production, deciles[0], deciles[-1])  # the outer bins are open-ended
    q = np.maximum(np.histogram(inside, deciles)[0] / len(production), metrics.PSI_FLOOR)
    assert metrics.population_stability_index(reference, production) == pytest.approx(np.sum((q - p) * np.log(q / p)))


def test_quality_rates_and_too_few_rows() -> None:
    reference = np.arange(10.0)
    production = np.array([np.nan, 1.0, 20.0, -5.0])
    values = metrics.feature_metrics(reference, production, MONITORING_MIN_ROWS)
    assert values["null_value_rate"] == 0.25
    assert values["out_of_bounds_rate"] == pytest.approx(2 / 3)
    assert values["jensen_shannon_distance"] is None  # 3 values are too few to judge a distribution
