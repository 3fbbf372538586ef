"""The monitoring report: one HTML file with a summary table and, per feature, one embedded plot of
the reference and production distributions (matplotlib, PNG, base64), so it opens offline anywhere."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display needed
import matplotlib.pyplot as plt  # noqa: E402  after the backend is chosen
import numpy as np  # noqa: E402

from .metrics import shared_bin_edges  # noqa: E402


def feature_plot(name: str, reference: np.ndarray, production: np.ndarray) -> str:
    """A PNG of both histograms (as shares of rows, on shared bins), base64-encoded."""
    reference = reference[~np.isnan(reference)]
    production = production[~np.isnan(production)]
    edges = shared_bin_edges(reference, production, bins=20)
    figure, axes = plt.subplots(figsize=(5, 2.6), dpi=80)
    for values, label in ((reference, "training (reference)"), (production, "production")):
        weights = np.full(len(values), 1 / max(len(values), 1))
        axes.hist(values, bins=edges, weights=weights, alpha=0.55, label=label)
    axes.set_title(name)
    axes.set_ylabel("share of rows")
    axes.legend(fontsize="small")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _cell(value: float | None, threshold: float) -> str:
    if value is None:
        return "<td>too few rows</td>"
    breach = value > threshold
    return f'<td class="{"breach" if breach else "ok"}">{value:.3f}</td>'


def write_report(
    path: Path,
    results: dict[str, dict[str, float | None]],
    thresholds: dict[str, float],
    plots: dict[str, str],
    rows: int,
) -> None:
    """results: feature -> metric -> value; plots: feature -> base64 PNG."""
    metrics = list(thresholds)
    header = "".join(f"<th>{html.escape(name)}<br>(&gt; {thresholds[name]})</th>" for name in metrics)
    body = "".join(
        f"<tr><th>{html.escape(feature)}</th>"
        + "".join(_cell(values[name], thresholds[name]) for name in metrics)
        + "</tr>"
        for feature, values in results.items()
    )
    images = "".join(
        f'<figure><img alt="{html.escape(feature)}" src="data:image/png;base64,{png}"></figure>'
        for feature, png in plots.items()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>Monitoring report</title><style>"
        "body{font-family:sans-serif}td,th{border:1px solid #ccc;padding:4px}table{border-collapse:collapse}"
        ".breach{background:#f8c4c4}.ok{background:#d8f0d8}figure{display:inline-block;margin:4px}</style>"
        f"</head><body><h1>Monitoring report</h1><p>{rows} scored rows against the training data.</p>"
        f"<table><tr><th>feature</th>{header}</tr>{body}</table><h2>Distributions</h2>{images}</body></html>\n",
        encoding="utf-8",
    )
