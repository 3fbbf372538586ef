"""The R model trained on Databricks: a one-time run on the existing cluster DB_CLUSTER_ID.

r_train.r and its sample data (data/weight_data.csv) are uploaded as workspace files beside a small R notebook that
runs the script with Rscript; `r_training_run` is the runs/submit request, built offline.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import TYPE_CHECKING, Any

from databricks.sdk.service.jobs import NotebookTask, Source, SubmitTask
from databricks.sdk.service.workspace import ImportFormat, Language

from ml_service.data import R_SAMPLE_DATA
from ml_service.settings import PROJECT_ROOT, Settings

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

SUBMIT_PATH = "/api/2.2/jobs/runs/submit"
TIMEOUT_SECONDS = 3600
NOTEBOOK = """# Databricks notebook source
data <- dbutils.widgets.get("data")
output <- dbutils.widgets.get("output")
script <- dbutils.widgets.get("script")
status <- system2("Rscript", c(script, "--data", data, "--output", output))
if (status != 0) stop(paste("r_train.r failed with exit status", status))
"""


def workspace_folder(settings: Settings) -> str:
    return f"/Shared/{settings.sources_dir_train}"


def r_script(settings: Settings) -> Path:
    return PROJECT_ROOT / settings.sources_dir_train / "training" / "R" / "r_train.r"


def r_training_run(settings: Settings) -> dict[str, Any]:
    """The body of the Jobs API runs/submit request (a one-time run, no job definition left behind)."""
    folder = workspace_folder(settings)
    task = SubmitTask(
        task_key="r_train",
        description="Train the R model with Rscript",
        existing_cluster_id=settings.db_cluster_id,
        notebook_task=NotebookTask(
            notebook_path=f"{folder}/run_r_train",
            source=Source.WORKSPACE,
            base_parameters={
                "script": f"/Workspace{folder}/r_train.r",
                "data": f"/Workspace{folder}/{R_SAMPLE_DATA.name}",
                "output": f"/Workspace{folder}/r_model",
            },
        ),
        timeout_seconds=TIMEOUT_SECONDS,
    )
    return {
        "run_name": f"{settings.sources_dir_train}-r-training",
        "tasks": [task.as_dict()],
        "timeout_seconds": TIMEOUT_SECONDS,
    }


def upload_files(client: WorkspaceClient, settings: Settings) -> None:
    """The notebook, r_train.r and the sample data, as workspace files."""
    folder = workspace_folder(settings)
    client.workspace.mkdirs(folder)
    client.workspace.import_(
        f"{folder}/run_r_train",
        content=base64.b64encode(NOTEBOOK.encode()).decode(),
        format=ImportFormat.SOURCE,
        language=Language.R,
        overwrite=True,
    )
    for path in (r_script(settings), R_SAMPLE_DATA):
        client.workspace.import_(
            f"{folder}/{path.name}",
            content=base64.b64encode(path.read_bytes()).decode(),
            format=ImportFormat.AUTO,
            overwrite=True,
        )


def submit_r_training(client: WorkspaceClient, settings: Settings) -> Any:
    """Upload the files and submit exactly the request of `r_training_run`; returns the waiter."""
    upload_files(client, settings)
    request = r_training_run(settings)
    return client.jobs.submit(
        run_name=request["run_name"],
        tasks=[SubmitTask.from_dict(task) for task in request["tasks"]],
        timeout_seconds=request["timeout_seconds"],
    )


def databricks_client(settings: Settings) -> WorkspaceClient:
    """A Databricks client for DATABRICKS_HOST, authenticated as the pipeline's Azure identity."""
    from databricks.sdk import WorkspaceClient

    return WorkspaceClient(host=settings.databricks_host)


def run_r_training(client: WorkspaceClient, settings: Settings) -> int:
    waiter = submit_r_training(client, settings)
    print(f"Submitted Databricks run {waiter.run_id} on cluster {settings.db_cluster_id}")
    run = waiter.result()
    result = run.state.result_state.value if run.state and run.state.result_state else "UNKNOWN"
    print(f"Databricks run {run.run_id} finished: {result}")
    return 0 if result == "SUCCESS" else 1
