"""The Azure ML base image: pinned to a dated tag, never latest, and the same tag everywhere."""

from __future__ import annotations

import re
from pathlib import Path

from ml_service.environments import BASE_IMAGE_REPOSITORY, BASE_IMAGE_TAG, SCORING_IMAGE, TRAINING_IMAGE

ROOT = Path(__file__).resolve().parents[1]
DATED_TAG = re.compile(r"^20\d{6}\.v\d+$")  # how AzureML-Containers tags its releases


def test_environments_use_the_pinned_base_image() -> None:
    assert DATED_TAG.match(BASE_IMAGE_TAG), BASE_IMAGE_TAG
    assert TRAINING_IMAGE == SCORING_IMAGE == f"{BASE_IMAGE_REPOSITORY}:{BASE_IMAGE_TAG}"


def test_dockerfiles_pin_the_same_base_image() -> None:
    for dockerfile in sorted((ROOT / "environments").rglob("Dockerfile")):
        text = dockerfile.read_text(encoding="utf-8")
        (tag,) = re.findall(r"^ARG BASE_IMAGE_TAG=(\S+)$", text, re.MULTILINE)
        assert tag == BASE_IMAGE_TAG, f"{dockerfile}: bump BASE_IMAGE_TAG in ml_service/environments.py too"
        (image,) = re.findall(r"^FROM (\S+)", text, re.MULTILINE)
        assert image == f"{BASE_IMAGE_REPOSITORY}:${{BASE_IMAGE_TAG}}", dockerfile
