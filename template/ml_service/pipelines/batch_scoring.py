"""The batch-scoring pipeline: a parallel scoring step over mini-batches of the scoring data,
then the copy-output step that writes the predictions to the scoring datastore.

`build_batch_scoring_pipeline` only builds entities; run_batch_scoring submits them.
"""

from __future__ import annotations

from azure.ai.ml import Input, Output, command, dsl
from azure.ai.ml.constants import AssetTypes, InputOutputModes
from azure.ai.ml.entities import AzureBlobDatastore, Data, ManagedIdentityConfiguration, PipelineJob
from azure.ai.ml.parallel import RunFunction, parallel_run_function

from ml_service.data import data_reference
from ml_service.environments import reference, scoring_environment
from ml_service.settings import PROJECT_ROOT, Settings

INPUT_DATASTORE = "scoring_input"
OUTPUT_DATASTORE = "scoring_output"
MINI_BATCH_SIZE = "1"  # files per mini-batch
ERROR_THRESHOLD = 10  # failed items tolerated in the whole job before it fails
MINI_BATCH_ERROR_THRESHOLD = 5  # failed mini-batches tolerated
MAX_CONCURRENCY_PER_INSTANCE = 2
COPY_OUTPUT = "python -m {package}.scoring.copy_output --input ${{inputs.scores}} --output ${{outputs.destination}}"


def scoring_datastores(settings: Settings) -> tuple[AzureBlobDatastore, AzureBlobDatastore]:
    """The input and output containers of the scoring storage account, identity-based (no keys stored)."""
    account = settings.scoring_datastore_storage_name
    return (
        AzureBlobDatastore(
            name=INPUT_DATASTORE,
            account_name=account,
            container_name=settings.scoring_datastore_input_container,
            description="Batch-scoring input",
        ),
        AzureBlobDatastore(
            name=OUTPUT_DATASTORE,
            account_name=account,
            container_name=settings.scoring_datastore_output_container,
            description="Batch-scoring output",
        ),
    )


def scoring_data_asset(settings: Settings) -> Data:
    """SCORING_DATASET_NAME: the input container's folder, each file one mini-batch."""
    return Data(
        name=settings.scoring_dataset_name,
        version="1",
        type=AssetTypes.URI_FOLDER,
        path=f"azureml://datastores/{INPUT_DATASTORE}/paths/",
        description=f"Batch-scoring input (e.g. {settings.scoring_datastore_input_filename})",
    )


def build_batch_scoring_pipeline(settings: Settings, model_version: str) -> PipelineJob:
    """The pipeline job scoring SCORING_DATASET_NAME with MODEL_NAME:model_version."""
    package = settings.sources_dir_train
    environment = reference(scoring_environment(settings))
    file_names = {
        "SCORING_DATASTORE_INPUT_FILENAME": settings.scoring_datastore_input_filename,
        "SCORING_DATASTORE_OUTPUT_FILENAME": settings.scoring_datastore_output_filename,
    }
    score = parallel_run_function(
        name=f"{package}_batch_score",
        display_name="Score in parallel",
        inputs={
            "model": Input(type=AssetTypes.MLFLOW_MODEL),
            "scoring_data": Input(type=AssetTypes.URI_FOLDER, mode=InputOutputModes.RO_MOUNT),
        },
        outputs={"scores": Output(type=AssetTypes.URI_FOLDER)},
        input_data="${{inputs.scoring_data}}",
        instance_count=settings.aml_cluster_max_nodes_scoring,
        max_concurrency_per_instance=MAX_CONCURRENCY_PER_INSTANCE,
        mini_batch_size=MINI_BATCH_SIZE,
        error_threshold=ERROR_THRESHOLD,
        mini_batch_error_threshold=MINI_BATCH_ERROR_THRESHOLD,
        retry_settings={"max_retries": 2, "timeout": 300},
        logging_level="INFO",
        environment_variables=file_names,
        task=RunFunction(
            code=str(PROJECT_ROOT),
            entry_script=f"{package}/scoring/batch_score.py",
            program_arguments="--model ${{inputs.model}}",
            append_row_to="${{outputs.scores}}",
            environment=environment,
        ),
    )
    copy_output = command(
        name=f"{package}_copy_output",
        display_name="Copy output",
        command=COPY_OUTPUT.replace("{package}", package),
        inputs={"scores": Input(type=AssetTypes.URI_FOLDER)},
        outputs={"destination": Output(type=AssetTypes.URI_FOLDER)},
        code=str(PROJECT_ROOT),
        environment=environment,
        environment_variables=file_names,
    )

    @dsl.pipeline(
        name=settings.scoring_pipeline_name,
        display_name=settings.scoring_pipeline_name,
        description="Score the scoring data set in parallel and copy the predictions to the scoring datastore",
        compute=settings.aml_compute_cluster_name_scoring,
    )
    def batch_scoring_pipeline(model, scoring_data):  # dsl reads no string annotations
        scored = score(model=model, scoring_data=scoring_data)
        scored.name = "score"
        copied = copy_output(scores=scored.outputs.scores)
        copied.name = "copy_output"
        copied.outputs.destination = Output(
            type=AssetTypes.URI_FOLDER,
            path=f"azureml://datastores/{OUTPUT_DATASTORE}/paths/",
            mode=InputOutputModes.RW_MOUNT,
        )
        return {"scores": scored.outputs.scores}

    job = batch_scoring_pipeline(
        model=Input(type=AssetTypes.MLFLOW_MODEL, path=f"azureml:{settings.model_name}:{model_version}"),
        scoring_data=Input(type=AssetTypes.URI_FOLDER, path=data_reference(settings.scoring_dataset_name, "latest")),
    )
    job.experiment_name = f"{settings.experiment_name}-batchscoring"
    # The steps reach the identity-based datastores as the cluster's managed identity, which the IaC
    # gives Storage Blob Data Contributor on the scoring storage account.
    job.identity = ManagedIdentityConfiguration()
    job.tags = {"ModelName": settings.model_name, "ModelVersion": model_version}
    return job
