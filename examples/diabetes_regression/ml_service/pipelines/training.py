"""The training pipeline: train -> evaluate -> register (evaluate skipped when RUN_EVALUATION is false).

`build_training_pipeline` only builds the entity: no credentials, no network. run_training submits it.
"""

from __future__ import annotations

from typing import Any

from azure.ai.ml import Input, Output, command, dsl
from azure.ai.ml.constants import AssetTypes
from azure.ai.ml.entities import CommandComponent, PipelineJob

from ml_service.data import training_input
from ml_service.environments import reference, training_environment
from ml_service.settings import PROJECT_ROOT, Settings

TRAIN = (
    "python -m {package}.training.train_step --data ${{inputs.data}} --parameters {package}/parameters.json"
    " --model-output ${{outputs.model}} --metrics-output ${{outputs.metrics}}"
    " $[[--drift-input ${{inputs.drift_input}}]]"
)
EVALUATE = (
    "python -m {package}.evaluate.evaluate_step --model-input ${{inputs.model_input}}"
    " --metrics-input ${{inputs.metrics_input}} --model-name ${{inputs.model_name}}"
    " --decision-output ${{outputs.decision}}"
)
REGISTER = (
    "python -m {package}.register.register_step --model-input ${{inputs.model_input}}"
    " --metrics-input ${{inputs.metrics_input}} $[[--decision-input ${{inputs.decision_input}}]]"
    " --model-name ${{inputs.model_name}} --build-id ${{inputs.build_id}} --build-uri ${{inputs.build_uri}}"
    " --experiment-name ${{inputs.experiment_name}} --output ${{outputs.registration}}"
)


def _folder() -> Output:
    return Output(type=AssetTypes.URI_FOLDER)


def training_steps(settings: Settings, environment: str) -> dict[str, CommandComponent]:
    """The three step components, keyed train/evaluate/register; they run the ML package's step CLIs."""
    package = settings.sources_dir_train
    shared = {
        "code": str(PROJECT_ROOT),
        "environment": environment,
        "environment_variables": {
            "RUN_EVALUATION": str(settings.run_evaluation).lower(),
            "ALLOW_RUN_CANCEL": str(settings.allow_run_cancel).lower(),
            "EXPERIMENT_NAME": settings.experiment_name,
            "MODEL_NAME": settings.model_name,
        },
    }
    train = command(
        name=f"{package}_train",
        display_name="Train",
        command=TRAIN.replace("{package}", package),
        inputs={
            "data": Input(type=AssetTypes.URI_FILE),
            # the monitor's breach.json in the drift-retraining pipeline (ml_service/monitoring.py)
            "drift_input": Input(type=AssetTypes.URI_FOLDER, optional=True),
        },
        outputs={"model": _folder(), "metrics": _folder()},
        **shared,
    )
    evaluate = command(
        name=f"{package}_evaluate",
        display_name="Evaluate",
        command=EVALUATE.replace("{package}", package),
        inputs={
            "model_input": Input(type=AssetTypes.URI_FOLDER),
            "metrics_input": Input(type=AssetTypes.URI_FOLDER),
            "model_name": Input(type="string"),
        },
        outputs={"decision": _folder()},
        is_deterministic=False,  # reads the production model, which changes between runs
        **shared,
    )
    register = command(
        name=f"{package}_register",
        display_name="Register",
        command=REGISTER.replace("{package}", package),
        inputs={
            "model_input": Input(type=AssetTypes.URI_FOLDER),
            "metrics_input": Input(type=AssetTypes.URI_FOLDER),
            "decision_input": Input(type=AssetTypes.URI_FOLDER, optional=True),
            "model_name": Input(type="string"),
            "build_id": Input(type="string"),
            "build_uri": Input(type="string"),
            "experiment_name": Input(type="string"),
        },
        outputs={"registration": _folder()},
        is_deterministic=False,  # registers a model: never reuse an earlier run
        **shared,
    )
    return {"train": train, "evaluate": evaluate, "register": register}


def train_evaluate_register(
    steps: dict[str, CommandComponent],
    evaluate: bool,
    data: Any,
    model_name: Any,
    build_id: Any,
    build_uri: Any,
    experiment_name: Any,
    drift_input: Any = None,
) -> tuple[Any, Any]:
    """Inside a dsl pipeline: the train, evaluate (when `evaluate`) and register nodes, wired so that
    register takes evaluate's decision; `drift_input` (a monitor's breach output) gates training.
    Returns the train and register nodes. Shared by the training and drift-retraining pipelines."""
    train = steps["train"](data=data, **({"drift_input": drift_input} if drift_input is not None else {}))
    train.name = "train"
    decision = {}
    if evaluate:
        evaluation = steps["evaluate"](
            model_input=train.outputs.model, metrics_input=train.outputs.metrics, model_name=model_name
        )
        evaluation.name = "evaluate"
        decision = {"decision_input": evaluation.outputs.decision}
    register = steps["register"](
        model_input=train.outputs.model,
        metrics_input=train.outputs.metrics,
        model_name=model_name,
        build_id=build_id,
        build_uri=build_uri,
        experiment_name=experiment_name,
        **decision,
    )
    register.name = "register"
    return train, register


def build_training_pipeline(settings: Settings, build_id: str, build_uri: str) -> PipelineJob:
    """The pipeline job, ready to hand to MLClient.jobs.create_or_update."""
    steps = training_steps(settings, reference(training_environment(settings)))
    run_evaluation = settings.run_evaluation

    @dsl.pipeline(
        name=settings.training_pipeline_name,
        display_name=settings.training_pipeline_name,
        description="Train, evaluate against production, register when better",
        compute=settings.aml_compute_cluster_name,
    )
    def training_pipeline(data, model_name, build_id, build_uri, experiment_name):  # dsl reads no string annotations
        train, register = train_evaluate_register(
            steps, run_evaluation, data, model_name, build_id, build_uri, experiment_name
        )
        return {"model": train.outputs.model, "registration": register.outputs.registration}

    job = training_pipeline(
        data=training_input(settings),
        model_name=settings.model_name,
        build_id=build_id,
        build_uri=build_uri,
        experiment_name=settings.experiment_name,
    )
    job.experiment_name = settings.experiment_name
    job.tags = {"BuildId": build_id, "BuildUri": build_uri}
    return job
