"""Copies the batch-scoring output (parallel_run_step.txt) to a CSV file with a header.

Usage: python -m <package>.scoring.copy_output --input DIR --output DIR [--filename NAME]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

HEADER = "file,row,prediction"


def copy_output(input_dir: Path, output_dir: Path, filename: str) -> int:
    """Write every line of the parallel job's output under a header; returns the number of rows."""
    lines: list[str] = []
    for path in sorted(input_dir.rglob("*.txt")):
        lines.extend(line for line in path.read_text().splitlines() if line.strip())
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / filename).write_text("".join(f"{line}\n" for line in [HEADER, *lines]))
    return len(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--input", required=True, help="folder with the parallel job's output")
    parser.add_argument("--output", required=True, help="folder for the predictions CSV")
    parser.add_argument(
        "--filename", default=os.environ.get("SCORING_DATASTORE_OUTPUT_FILENAME", "diabetes_scoring_output.csv")
    )
    args = parser.parse_args(argv)
    rows = copy_output(Path(args.input), Path(args.output), args.filename)
    if rows == 0:
        print(f"error: no predictions found under {args.input}")
        return 1
    print(f"Wrote {rows} predictions to {Path(args.output) / args.filename}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
