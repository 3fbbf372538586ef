"""Compute clusters as Azure ML entities, and get-or-create against the workspace."""

from __future__ import annotations

from typing import TYPE_CHECKING

from azure.ai.ml.entities import AmlCompute
from azure.core.exceptions import ResourceNotFoundError

from ml_service.settings import ClusterSettings

if TYPE_CHECKING:
    from azure.ai.ml import MLClient
    from azure.ai.ml.entities import Compute

IDLE_SECONDS_BEFORE_SCALE_DOWN = 300


def cluster(settings: ClusterSettings) -> AmlCompute:
    """An Azure ML compute cluster with the SKU, node counts and priority of the variables template."""
    return AmlCompute(
        name=settings.name,
        size=settings.size,
        min_instances=settings.min_nodes,
        max_instances=settings.max_nodes,
        tier=settings.priority,
        idle_time_before_scale_down=IDLE_SECONDS_BEFORE_SCALE_DOWN,
    )


def get_or_create_compute(ml_client: MLClient, compute: AmlCompute) -> Compute:
    """The workspace's compute named like `compute`, created from it when missing."""
    try:
        existing = ml_client.compute.get(compute.name)
    except ResourceNotFoundError:
        nodes = f"{compute.min_instances}-{compute.max_instances} nodes"
        print(f"Creating compute cluster {compute.name} ({compute.size}, {nodes})")
        return ml_client.compute.begin_create_or_update(compute).result()
    print(f"Using compute {existing.name}")
    return existing
