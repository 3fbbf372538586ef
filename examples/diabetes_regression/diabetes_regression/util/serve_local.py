"""Serves the production model on this machine with azureml-inference-server-http, the server of
Azure ML's inference images: resolves the `production` alias, downloads that model, then runs
`azmlinfsrv --entry_script <package>/scoring/score.py --port PORT` in this same process, so the
server worker starts with MLflow and scikit-learn already imported. `make serve` and
`make smoke-test` call it.

The server runs WORKERS processes (so one slow request does not stall every other client); a worker
stuck for WORKER_TIMEOUT seconds is restarted, and run() is abandoned after SCORING_TIMEOUT_MS.
The scoring image and Azure ML deployments set the same environment variables.

Usage: python -m <package>.util.serve_local --model-name NAME --model-dir DIR [--port 5001] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import mlflow.sklearn  # noqa: F401  imported before the server forks its worker, which then loads the model fast

from . import production_model

SCORE_SCRIPT = Path(__file__).resolve().parents[1] / "scoring" / "score.py"
# Defaults of the scoring server wherever it runs; environment variables override them.
SERVER_DEFAULTS = {"WORKER_COUNT": "2", "WORKER_TIMEOUT": "30", "SCORING_TIMEOUT_MS": "5000"}


def positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} is not a positive whole number")
    return value


def setting(name: str) -> int:
    return positive_int(os.environ.get(name) or SERVER_DEFAULTS[name])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-name", required=True)
    parser.add_argument("--model-dir", required=True, help="folder to download the production model into")
    parser.add_argument("--port", type=int, default=5001)
    parser.add_argument("--workers", type=positive_int, default=None, help="server processes (WORKER_COUNT, 2)")
    parser.add_argument("--timeout", type=positive_int, default=None, help="seconds before a stuck worker restarts")
    args = parser.parse_args(argv)
    try:
        workers = args.workers or setting("WORKER_COUNT")
        os.environ["WORKER_TIMEOUT"] = str(args.timeout or setting("WORKER_TIMEOUT"))
        os.environ["SCORING_TIMEOUT_MS"] = str(setting("SCORING_TIMEOUT_MS"))
    except (ValueError, argparse.ArgumentTypeError) as error:
        parser.error(f"bad server setting in the environment: {error}")

    exit_code = production_model.main(["--model-name", args.model_name, "--output", args.model_dir])
    if exit_code:
        return exit_code
    from azureml_inference_server_http import amlserver

    os.environ["AZUREML_MODEL_DIR"] = str(Path(args.model_dir).resolve())
    sys.argv = ["azmlinfsrv", "--entry_script", str(SCORE_SCRIPT), "--port", str(args.port)]
    sys.argv += ["--worker_count", str(workers)]
    variables = ("AZUREML_MODEL_DIR", "WORKER_TIMEOUT", "SCORING_TIMEOUT_MS")
    print(f"$ {' '.join(f'{name}={os.environ[name]}' for name in variables)} {' '.join(sys.argv)}", flush=True)
    amlserver.run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
