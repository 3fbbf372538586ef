"""Production monitoring and retraining in Azure ML (docs/monitoring.md).

- `data_collector()`: the data collector of managed online and Kubernetes deployments (model inputs
  and outputs, into the workspace's blob store at `collection_path()`).
- `monitor_schedule()`: an Azure ML model monitor (MonitorSchedule) of one deployment: data drift,
  prediction drift and data quality against the training data, with the data contract's thresholds
  (<package>/util/data.py) and alert emails from MONITORING_ALERT_EMAILS.
- `retraining_schedule()`: a JobSchedule that submits the training pipeline on RETRAIN_CRON; the
  pipeline ends at its evaluate gate, so a retrained model is registered only when it is better.
- `drift_retraining_schedule()`: for every target that collects what it scores, a daily pipeline:
  the ML package's monitor (`<package>.monitoring.monitor`, the metrics and thresholds of `make
  monitor`) over the inputs the target collected (the data collector's folder, or for ACI and App
  Service the file share their scoring containers write), then train -> evaluate -> register, where
  train runs only on a breach and the evaluate gate registers only a better model.

- `drift_monitoring_schedule()`: with environments (ADR 28 of the template), production only watches:
  the same monitor daily over what a target collected, without training; a breach fails the job.

Everything is built offline (the dry run writes it); `main` creates or updates the schedules after
a deployment to TARGET (Azure ML's model monitor watches online endpoints only, managed and
Kubernetes; the drift pipelines watch every target that collects):

    python -m ml_service.monitoring --target TARGET [--target TARGET ...]
    python -m ml_service.monitoring --scope monitors --target TARGET ...  # production: watch, never train
    python -m ml_service.monitoring --scope retraining                    # dev: the retraining schedule
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Iterable, Iterator
from typing import Any

from azure.ai.ml import Input, Output, command, dsl
from azure.ai.ml.constants import AssetTypes
from azure.ai.ml.entities import (
    AlertNotification,
    CronTrigger,
    DataAsset,
    DataCollector,
    DataDriftMetricThreshold,
    DataDriftSignal,
    DataQualityMetricsNumerical,
    DataQualityMetricThreshold,
    DataQualitySignal,
    DeploymentCollection,
    JobSchedule,
    MonitorDefinition,
    MonitoringTarget,
    MonitorSchedule,
    NumericalDriftMetrics,
    PipelineJob,
    PredictionDriftMetricThreshold,
    PredictionDriftSignal,
    ReferenceData,
    ServerlessSparkCompute,
)

from ml_service.cli import run
from ml_service.compute import cluster, get_or_create_compute
from ml_service.data import training_input
from ml_service.deploy.endpoints import endpoint_name, target_module
from ml_service.deploy.endpoints import targets as deployment_targets
from ml_service.deploy.online import PRODUCTION
from ml_service.environments import reference, training_environment
from ml_service.pipelines.training import build_training_pipeline, train_evaluate_register, training_steps
from ml_service.settings import PROJECT_ROOT, Settings, load_settings

# The model monitor runs daily at 06:00 UTC on serverless Spark (Azure ML's defaults for a monitor).
MONITOR_CRON = "0 6 * * *"
MONITOR_COMPUTE = ServerlessSparkCompute(instance_type="standard_e4s_v3", runtime_version="3.4")
RETRAINING_BUILD_URI = "azureml://schedules/retraining"


def contract(settings: Settings) -> Any:
    """The data contract of the ML package (FEATURES, TARGET, MONITORING_THRESHOLDS)."""
    return importlib.import_module(f"{settings.sources_dir_train}.util.data")


def alert_emails(settings: Settings) -> list[str]:
    return [email.strip() for email in settings.monitoring_alert_emails.split(",") if email.strip()]


def collection_path(endpoint: str, deployment: str, collection: str) -> str:
    """Where the data collector writes `collection` of a deployment (named, so the drift-retraining
    pipeline reads the same folder): in the workspace's blob store, one folder per hour below it."""
    return f"azureml://datastores/workspaceblobstore/paths/modelDataCollector/{endpoint}/{deployment}/{collection}"


def data_collector(endpoint: str, deployment: str) -> DataCollector:
    """Collect every request's model inputs and outputs (sampling rate 1: all of them). Custom logging:
    the scoring script hands each request's rows to azureml-ai-monitoring's Collector."""
    return DataCollector(
        collections={
            collection: DeploymentCollection(
                enabled="true",
                data=DataAsset(
                    name=f"{endpoint}-{deployment}-{collection}".replace("_", "-"),
                    path=collection_path(endpoint, deployment, collection),
                    version=1,
                ),
            )
            for collection in ("model_inputs", "model_outputs")
        },
        sampling_rate=1.0,
    )


def _training_data(settings: Settings) -> ReferenceData:
    return ReferenceData(
        input_data=training_input(settings),
        data_context="training",
        data_column_names={"target_column": contract(settings).TARGET},
    )


def monitor_schedule(settings: Settings, endpoint: str, deployment: str) -> MonitorSchedule:
    """The model monitor of `endpoint`/`deployment` (its collected inputs and outputs)."""
    thresholds = contract(settings).MONITORING_THRESHOLDS
    drift = NumericalDriftMetrics(normalized_wasserstein_distance=thresholds["normalized_wasserstein_distance"])
    quality = DataQualityMetricsNumerical(
        null_value_rate=thresholds["null_value_rate"], out_of_bounds_rate=thresholds["out_of_bounds_rate"]
    )
    emails = alert_emails(settings)
    return MonitorSchedule(
        name=f"{endpoint}-{deployment}-monitor",
        trigger=CronTrigger(expression=MONITOR_CRON),
        create_monitor=MonitorDefinition(
            compute=MONITOR_COMPUTE,
            monitoring_target=MonitoringTarget(
                ml_task="regression", endpoint_deployment_id=f"azureml:{endpoint}:{deployment}"
            ),
            monitoring_signals={
                "data_drift": DataDriftSignal(
                    reference_data=_training_data(settings),
                    features="all_features",
                    metric_thresholds=DataDriftMetricThreshold(numerical=drift),
                    alert_enabled=bool(emails),
                ),
                "prediction_drift": PredictionDriftSignal(
                    reference_data=_training_data(settings),
                    metric_thresholds=PredictionDriftMetricThreshold(numerical=drift),
                    alert_enabled=bool(emails),
                ),
                "data_quality": DataQualitySignal(
                    reference_data=_training_data(settings),
                    features="all_features",
                    metric_thresholds=DataQualityMetricThreshold(numerical=quality),
                    alert_enabled=bool(emails),
                ),
            },
            alert_notification=AlertNotification(emails=emails) if emails else None,
        ),
        description=f"Drift and data quality of {settings.model_name} in production (docs/monitoring.md)",
    )


def retraining_schedule(settings: Settings) -> JobSchedule:
    """The training pipeline (train -> evaluate -> register) on RETRAIN_CRON. Unattended, it always
    evaluates (whatever RUN_EVALUATION says): a retrained model is registered only when better."""
    gated = settings.replace(run_evaluation=True)
    return JobSchedule(
        name=f"{settings.training_pipeline_name}-retraining",
        trigger=CronTrigger(expression=settings.retrain_cron),
        create_job=build_training_pipeline(gated, "scheduled-retraining", RETRAINING_BUILD_URI),
        description=f"Retrains {settings.model_name}; the evaluate gate registers it only when better",
    )


# The monitor's report; with --breach-output it writes breach.json and exits 0 on a breach, without it
# a breach exits 1 (fails the job).
MONITOR_REPORT = (
    "python -m {package}.monitoring.monitor --log ${{inputs.log}} --reference ${{inputs.reference}}"
    " --output ${{outputs.report}}"
)
MONITOR = MONITOR_REPORT + " --breach-output ${{outputs.breach}}"
# The drift-retraining pipelines run an hour after Azure ML's monitors (MONITOR_CRON).
DRIFT_RETRAINING_CRON = "0 7 * * *"
DRIFT_RETRAINING_BUILD_URI = "azureml://schedules/drift-retraining"


def collected_inputs(settings: Settings, target: str) -> str:
    """Where `target`'s scored inputs are collected: the data collector's model_inputs folder of an
    online endpoint's production deployment, or the folder the scoring image writes on the file share."""
    if monitored_by_azure_ml(target):
        return collection_path(endpoint_name(settings, target), PRODUCTION, "model_inputs")
    from ml_service.deploy import collected_logs  # exists with ACI or App Service only

    return collected_logs.datastore_uri(target)


def monitor_command(package: str, environment: str, command_line: str, *outputs: str) -> Any:
    """The monitor step of the drift pipelines: `make monitor`'s metrics over the collected inputs
    (`log`) against the training data (`reference`), with the named folder outputs."""
    return command(
        name=f"{package}_monitor",
        display_name="Monitor",
        command=command_line.replace("{package}", package),
        code=str(PROJECT_ROOT),
        environment=environment,
        inputs={"log": Input(type=AssetTypes.URI_FOLDER), "reference": Input(type=AssetTypes.URI_FILE)},
        outputs={name: Output(type=AssetTypes.URI_FOLDER) for name in outputs},
        is_deterministic=False,  # the collected inputs grow between runs under the same path
    )


def drift_retraining_pipeline(settings: Settings, target: str, collected: str) -> PipelineJob:
    """monitor -> train -> evaluate -> register. The monitor (the ML package's, the metrics and thresholds
    of `make monitor`) reads what `target` scored against the training data and writes breach.json; the
    train step retrains only on a breach, and the evaluate gate registers the new model only if better
    ({package}/monitoring/gate.py). No breach: nothing trained, nothing registered, the job succeeds.
    `collected` is the folder of collected inputs (collected_inputs())."""
    package = settings.sources_dir_train
    gated = settings.replace(run_evaluation=True)  # unattended: always compare with production
    environment = reference(training_environment(settings))  # has scipy and matplotlib (via mlflow)
    steps = training_steps(gated, environment)
    monitor_step = monitor_command(package, environment, MONITOR, "report", "breach")
    name = f"{settings.training_pipeline_name}-{target}-drift-retraining"

    @dsl.pipeline(
        name=name,
        display_name=name,
        description=f"Retrain when what the {target} deployment scored drifts (docs/monitoring.md)",
        compute=settings.aml_compute_cluster_name,
    )
    def pipeline(log, data, model_name, build_id, build_uri, experiment_name):  # dsl reads no string annotations
        monitor = monitor_step(log=log, reference=data)
        monitor.name = "monitor"
        _, register = train_evaluate_register(
            steps, True, data, model_name, build_id, build_uri, experiment_name, drift_input=monitor.outputs.breach
        )
        return {"report": monitor.outputs.report, "registration": register.outputs.registration}

    build_id = f"scheduled-{target}-drift-retraining"  # register_step makes it unique per run
    job = pipeline(
        log=Input(type=AssetTypes.URI_FOLDER, path=collected),
        data=training_input(settings),
        model_name=settings.model_name,
        build_id=build_id,
        build_uri=DRIFT_RETRAINING_BUILD_URI,
        experiment_name=settings.experiment_name,
    )
    job.experiment_name = f"{settings.experiment_name}-drift-retraining"
    job.tags = {"BuildId": build_id, "BuildUri": DRIFT_RETRAINING_BUILD_URI, "Target": target}
    return job


def drift_retraining_schedule(settings: Settings, target: str, collected: str | None = None) -> JobSchedule:
    """The drift-retraining pipeline of `target` daily at DRIFT_RETRAINING_CRON, over `collected`
    (default: where the target collects, collected_inputs())."""
    collected = collected or collected_inputs(settings, target)
    return JobSchedule(
        name=f"{settings.training_pipeline_name}-{target}-drift-retraining",
        trigger=CronTrigger(expression=DRIFT_RETRAINING_CRON),
        create_job=drift_retraining_pipeline(settings, target, collected),
        description=f"Retrains {settings.model_name} when its inputs on {target} drift (docs/monitoring.md)",
    )


def drift_monitoring_pipeline(settings: Settings, target: str, collected: str) -> PipelineJob:
    """The monitor of drift_retraining_pipeline() alone, for a workspace that must not train (production
    with environments): it judges what `target` scored against the training data, writes its report,
    and fails on a breach (the monitor's exit code), so the failed run is the alert; retraining happens
    in dev, whose model is then promoted again."""
    package = settings.sources_dir_train
    environment = reference(training_environment(settings))
    monitor_step = monitor_command(package, environment, MONITOR_REPORT, "report")
    name = f"{settings.training_pipeline_name}-{target}-drift-monitoring"

    @dsl.pipeline(
        name=name,
        display_name=name,
        description=f"Fails when what the {target} deployment scored drifts (docs/monitoring.md)",
        compute=settings.aml_compute_cluster_name,
    )
    def pipeline(log, data):  # dsl reads no string annotations
        monitor = monitor_step(log=log, reference=data)
        monitor.name = "monitor"
        return {"report": monitor.outputs.report}

    job = pipeline(log=Input(type=AssetTypes.URI_FOLDER, path=collected), data=training_input(settings))
    job.experiment_name = f"{settings.experiment_name}-drift-monitoring"
    job.tags = {"Target": target}
    return job


def drift_monitoring_schedule(settings: Settings, target: str, collected: str | None = None) -> JobSchedule:
    """The drift-monitoring pipeline of `target` daily at DRIFT_RETRAINING_CRON."""
    collected = collected or collected_inputs(settings, target)
    return JobSchedule(
        name=f"{settings.training_pipeline_name}-{target}-drift-monitoring",
        trigger=CronTrigger(expression=DRIFT_RETRAINING_CRON),
        create_job=drift_monitoring_pipeline(settings, target, collected),
        description=f"Watches what {target} scores for drift; retraining happens in dev (docs/monitoring.md)",
    )


class JobFileSchedule(JobSchedule):
    """A JobSchedule written as YAML that names its job's file (`create_job: {type, job: FILE}`): the
    form `az ml schedule create --file` loads, which validates the job file too."""

    def __init__(self, schedule: JobSchedule, job_file: str) -> None:
        super().__init__(
            name=schedule.name,
            trigger=schedule.trigger,
            create_job=schedule.create_job,
            description=schedule.description,
        )
        self.job_file = job_file

    def _to_dict(self) -> dict:
        return {**super()._to_dict(), "create_job": {"type": self.create_job.type, "job": self.job_file}}


# What `--scope` creates: everything in one workspace (a project without environments), or split so
# that production only watches and dev, the one workspace that trains, retrains (ADR 28).
SCOPES = ("all", "monitors", "retraining")


def schedules(settings: Settings, targets: list[str], scope: str = "all") -> Iterator[tuple[str, Any]]:
    """(dry-run file, entity) of `scope`: the retraining pipeline and its schedule (all, retraining);
    the model monitor of each online endpoint (all, monitors); for each collecting target the
    drift-retraining pipeline and its schedule (all) or the drift-monitoring one (monitors)."""
    if scope in ("all", "retraining"):
        retraining = retraining_schedule(settings)
        yield "jobs/retraining_pipeline.yml", retraining.create_job
        yield "schedules/retraining.yml", JobFileSchedule(retraining, "../jobs/retraining_pipeline.yml")
    if scope == "retraining":
        return
    for endpoint in monitored_endpoints(settings, targets):
        yield f"schedules/{endpoint}-monitor.yml", monitor_schedule(settings, endpoint, PRODUCTION)
    for target in collecting(targets):
        if scope == "monitors":
            yield from drift_monitoring_entities(settings, target)
        else:
            yield from drift_retraining_entities(settings, target)


def created_schedules(settings: Settings, targets: list[str], scope: str) -> list[JobSchedule | MonitorSchedule]:
    """The schedules `main` creates or updates for `scope` (those schedules() writes for the dry run)."""
    found: list[JobSchedule | MonitorSchedule] = []
    if scope in ("all", "retraining"):
        found.append(retraining_schedule(settings))
    if scope != "retraining":
        found += [
            monitor_schedule(settings, endpoint, PRODUCTION) for endpoint in monitored_endpoints(settings, targets)
        ]
        drift = drift_monitoring_schedule if scope == "monitors" else drift_retraining_schedule
        found += [drift(settings, target) for target in collecting(targets)]
    return found


def drift_retraining_entities(
    settings: Settings, target: str, collected: str | None = None
) -> Iterator[tuple[str, Any]]:
    """(dry-run file, entity): the drift-retraining pipeline of `target` and its schedule."""
    schedule = drift_retraining_schedule(settings, target, collected)
    job_file = f"jobs/{target}_drift_retraining_pipeline.yml"
    yield job_file, schedule.create_job
    yield f"schedules/{target}-drift-retraining.yml", JobFileSchedule(schedule, f"../{job_file}")


def drift_monitoring_entities(
    settings: Settings, target: str, collected: str | None = None
) -> Iterator[tuple[str, Any]]:
    """(dry-run file, entity): the drift-monitoring pipeline of `target` and its schedule."""
    schedule = drift_monitoring_schedule(settings, target, collected)
    job_file = f"jobs/{target}_drift_monitoring_pipeline.yml"
    yield job_file, schedule.create_job
    yield f"schedules/{target}-drift-monitoring.yml", JobFileSchedule(schedule, f"../{job_file}")


def monitored_by_azure_ml(target: str) -> bool:
    """Azure ML's model monitoring watches online endpoints only (managed and Kubernetes): the targets
    whose deploy module names one (ENDPOINT_SETTING)."""
    return hasattr(target_module(target), "ENDPOINT_SETTING")


def log_monitored(targets: Iterable[str]) -> list[str]:
    """The targets Azure ML cannot monitor whose scoring containers write the data collector's JSONL
    shape to the workspace's file share (ml_service/deploy/collected_logs.py): their modules say
    MONITORED_FROM_LOGS, and a scheduled pipeline monitors the log."""
    return [target for target in targets if getattr(target_module(target), "MONITORED_FROM_LOGS", False)]


def collecting(targets: Iterable[str]) -> list[str]:
    """The targets whose scored inputs are collected (by Azure ML's data collector, or by their scoring
    container into the file share): each gets a drift-retraining pipeline over them."""
    return [target for target in targets if monitored_by_azure_ml(target) or log_monitored([target])]


def monitored_endpoints(settings: Settings, targets: Iterable[str]) -> list[str]:
    return [endpoint_name(settings, target) for target in targets if monitored_by_azure_ml(target)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    targets = deployment_targets()
    parser.add_argument("--target", action="append", default=[], choices=targets, help="a deployed target")
    parser.add_argument(
        "--scope",
        choices=SCOPES,
        default="all",
        help="all (one workspace), monitors (production: watch, never train) or retraining (dev)",
    )
    args = parser.parse_args(argv)
    if args.scope != "retraining" and not args.target:
        parser.error(f"--target is required with --scope {args.scope}")

    def _main() -> int:
        from ml_service.workspace import workspace_client

        settings = load_settings()
        ml_client = workspace_client(settings)
        if args.scope == "monitors" and collecting(args.target):  # the drift monitors' cluster (min 0 nodes)
            get_or_create_compute(ml_client, cluster(settings.training_cluster))
        for schedule in created_schedules(settings, args.target, args.scope):
            ml_client.schedules.begin_create_or_update(schedule).result()
            print(f"Created or updated the schedule {schedule.name}")
        return 0

    return run(_main)


if __name__ == "__main__":
    raise SystemExit(main())
