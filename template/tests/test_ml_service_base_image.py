"""The Azure ML base image: pinned to a dated tag, never latest, and the same tag everywhere.
(The Dockerfiles under environments/ belong to options; each option's tests check its own.)"""

from __future__ import annotations

import re

from ml_service.environments import BASE_IMAGE_REPOSITORY, BASE_IMAGE_TAG, SCORING_IMAGE, TRAINING_IMAGE

DATED_TAG = re.compile(r"^20\d{6}\.v\d+$")  # how AzureML-Containers tags its releases


def test_environments_use_the_pinned_base_image() -> None:
    assert DATED_TAG.match(BASE_IMAGE_TAG), BASE_IMAGE_TAG
    assert TRAINING_IMAGE == SCORING_IMAGE == f"{BASE_IMAGE_REPOSITORY}:{BASE_IMAGE_TAG}"
