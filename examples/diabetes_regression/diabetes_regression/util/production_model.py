"""Downloads the production model (the `production` alias) so a local server can load it.

Usage: python -m <package>.util.production_model --model-name NAME --output DIR
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

import mlflow

from . import tracking


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-name", required=True)
    parser.add_argument("--output", required=True, help="folder to download the model into (replaced)")
    args = parser.parse_args(argv)

    client = tracking.configure()
    store = mlflow.get_tracking_uri()
    # What fills this store with a production model; the Makefile names another command where one does.
    remedy = os.environ.get("PRODUCTION_MODEL_REMEDY", "make train")
    version = tracking.production_version(client, args.model_name)
    if version is None:
        print(f"error: {args.model_name} has no production model in {store} yet; run `{remedy}` first", file=sys.stderr)
        return 1
    output = Path(args.output)
    shutil.rmtree(output, ignore_errors=True)
    output.mkdir(parents=True)
    mlflow.artifacts.download_artifacts(f"models:/{args.model_name}/{version.version}", dst_path=str(output))
    if not any(output.rglob("MLmodel")):  # the store lists the version, but its files are gone
        missing = f"the files of {args.model_name} version {version.version} are missing"
        print(f"error: {missing}; run `{remedy}` again", file=sys.stderr)
        return 1
    print(f"Production model: {args.model_name} version {version.version} in {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
