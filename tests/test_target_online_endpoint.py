"""The managed online endpoint (deployment target `online_endpoint`): what it declares for the
generic tests that sweep every target (conftest.per_target). It has no infrastructure of its own
(no IAC_MARKS): the endpoint lives in the Azure ML workspace."""

from __future__ import annotations

# test_pipelines: words the getting-started guide may only use when the target is chosen.
DOC_WORDS = ("online endpoint", "ONLINE_ENDPOINT_NAME")
# test_questionnaire: (question, a valid answer, an invalid one).
ANSWER_RULES = [("online_endpoint_name", "churn-ep", "1-endpoint")]
# test_exposure: (id, answers, file, old, new, expected) each planting a key-authenticated endpoint.
EXPOSURE_DEFECTS = [
    (
        "online-endpoint-key",
        {"deployment_targets": ["online_endpoint"]},
        "ml_service/deploy/online_endpoint.py",
        'auth_mode="aad_token"',
        'auth_mode="key"',
        "auth_mode key: use aad_token, never keys",
    ),
]
# test_aml: the target alone in a combination (one target, nothing else), what its dry run writes
# and leaves out; in the combination of every target (with canary), its own entity.
DRY_RUN_COMBINATION = ("online_endpoint", {"deployment_targets": ["online_endpoint"], "batch_scoring": False})
DRY_RUN_WRITES = {
    "endpoints/mlopsdiabe-endpoint.yml",
    "schedules/mlopsdiabe-endpoint-monitor.yml",
    "schedules/online_endpoint-drift-retraining.yml",
}
DRY_RUN_LEAVES_OUT = {"jobs/batch_scoring_pipeline.yml", "canary"}
DRY_RUN_ENTITY = "canary/mlopsdiabe-endpoint-traffic-50.yml"
