"""Drift and data-quality metrics of one feature's production values against its training values,
the metrics of Azure ML model monitoring (DataDriftSignal, DataQualitySignal), computed with scipy.

Distribution metrics compare histograms: Jensen-Shannon distance over bins spanning both samples,
population stability index over the reference's decile bins (open-ended, so every production value
counts). Missing values are left out of the distribution metrics and counted by null_value_rate.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.distance import jensenshannon
from scipy.special import rel_entr
from scipy.stats import wasserstein_distance

BINS = 10
# Proportions are floored at this before the logarithms of PSI, so an empty bin is finite.
PSI_FLOOR = 1e-4


def shared_bin_edges(reference: np.ndarray, production: np.ndarray, bins: int = BINS) -> np.ndarray:
    """Equal-width bins over the range of both samples together."""
    return np.histogram_bin_edges(np.concatenate([reference, production]), bins=bins)


def proportions(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    counts, _ = np.histogram(values, bins=edges)
    return counts / max(counts.sum(), 1)


def jensen_shannon_distance(reference: np.ndarray, production: np.ndarray) -> float:
    """Between 0 (same histogram) and 1 (no overlap): scipy's jensenshannon in base 2."""
    edges = shared_bin_edges(reference, production)
    return float(jensenshannon(proportions(reference, edges), proportions(production, edges), base=2))


def normalized_wasserstein_distance(reference: np.ndarray, production: np.ndarray) -> float:
    """scipy's Wasserstein distance in units of the reference's standard deviation."""
    scale = float(np.std(reference)) or 1.0
    return float(wasserstein_distance(reference, production)) / scale


def psi_bin_edges(reference: np.ndarray, bins: int = BINS) -> np.ndarray:
    """The reference's quantiles (duplicates merged, e.g. for a binary feature), open at both ends."""
    inner = np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1))[1:-1])
    return np.concatenate([[-np.inf], inner, [np.inf]])


def population_stability_index(reference: np.ndarray, production: np.ndarray) -> float:
    """sum((q - p) * ln(q / p)) over the reference's bins: KL(q||p) + KL(p||q) with scipy's rel_entr."""
    edges = psi_bin_edges(reference)
    p = np.maximum(proportions(reference, edges), PSI_FLOOR)
    q = np.maximum(proportions(production, edges), PSI_FLOOR)
    return float(np.sum(rel_entr(q, p) + rel_entr(p, q)))


def null_value_rate(production: np.ndarray) -> float:
    return float(np.mean(np.isnan(production))) if len(production) else 0.0


def out_of_bounds_rate(reference: np.ndarray, production: np.ndarray) -> float:
    """The share of (non-missing) production values outside the reference's [min, max]."""
    present = production[~np.isnan(production)]
    if not len(present):
        return 0.0
    return float(np.mean((present < np.nanmin(reference)) | (present > np.nanmax(reference))))


DISTRIBUTION_METRICS = {
    "jensen_shannon_distance": jensen_shannon_distance,
    "normalized_wasserstein_distance": normalized_wasserstein_distance,
    "population_stability_index": population_stability_index,
}


def feature_metrics(reference: np.ndarray, production: np.ndarray, min_rows: int) -> dict[str, float | None]:
    """Every metric of one feature; distribution metrics are None below `min_rows` production values."""
    reference = reference[~np.isnan(reference)]
    present = production[~np.isnan(production)]
    enough = len(present) >= min_rows
    metrics: dict[str, float | None] = {
        name: metric(reference, present) if enough else None for name, metric in DISTRIBUTION_METRICS.items()
    }
    metrics["null_value_rate"] = null_value_rate(production)
    metrics["out_of_bounds_rate"] = out_of_bounds_rate(reference, production)
    return metrics
