"""Serves the production model on this machine with azureml-inference-server-http, the server of
Azure ML's inference images: resolves the `production` alias, downloads that model, then runs
`azmlinfsrv --entry_script <package>/scoring/score.py --port PORT` in this same process, so the
server worker starts with MLflow and scikit-learn already imported. `make serve` and
`make smoke-test` call it.

Usage: python -m <package>.util.serve_local --model-name NAME --model-dir DIR [--port 5001]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import mlflow.sklearn  # noqa: F401  imported before the server forks its worker, which then loads the model fast

from . import production_model

SCORE_SCRIPT = Path(__file__).resolve().parents[1] / "scoring" / "score.py"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-name", required=True)
    parser.add_argument("--model-dir", required=True, help="folder to download the production model into")
    parser.add_argument("--port", type=int, default=5001)
    args = parser.parse_args(argv)

    exit_code = production_model.main(["--model-name", args.model_name, "--output", args.model_dir])
    if exit_code:
        return exit_code
    from azureml_inference_server_http import amlserver

    os.environ["AZUREML_MODEL_DIR"] = str(Path(args.model_dir).resolve())
    sys.argv = ["azmlinfsrv", "--entry_script", str(SCORE_SCRIPT), "--port", str(args.port)]
    print(f"$ AZUREML_MODEL_DIR={os.environ['AZUREML_MODEL_DIR']} {' '.join(sys.argv)}", flush=True)
    amlserver.run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
