"""The pipeline variables of a generated repo: name, where it is set, its value from the
answers, and what it means. `docs/variable_group.md`, `.env.example` and the pipelines all come
from this list (copier.yml carries it as the computed value `pipeline_variables`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlops_scaffold import targets
from mlops_scaffold.conditions import AnyOf, Contains, Equals
from mlops_scaffold.deployment_environments import environment_names, promoting
from mlops_scaffold.model import GROUP, TEMPLATE, Variable
from mlops_scaffold.naming import PER_ENVIRONMENT_DERIVED, derived_names
from mlops_scaffold.options import DEPLOYMENT_TARGETS, PER_ENVIRONMENT

__all__ = [
    "GROUP",
    "PER_ENVIRONMENT_KEYS",
    "TEMPLATE",
    "VARIABLES",
    "Variable",
    "environment_variables",
    "per_environment",
    "pipeline_variables",
]

ADO = Equals("ci_platform", "azure_devops")
GITHUB = Equals("ci_platform", "github_actions")
BATCH = Equals("batch_scoring", True)
DATABRICKS = Equals("r_training", "databricks")
# Any deployment target: production monitoring and retraining exist exactly then.
MONITORING = "monitoring"  # the part of the variables production monitoring reads
DEPLOYED = AnyOf(tuple(Contains("deployment_targets", target) for target in DEPLOYMENT_TARGETS))
# Workspaces per environment and a registry between them (ADR 28).
PROMOTION = "promotion"  # the part of the variables promotion reads
PROMOTING = promoting()

VARIABLES: tuple[Variable, ...] = (
    Variable("BASE_NAME", "{base_name}", "Prefix of every Azure resource name"),
    Variable("LOCATION", "{location}", "Azure region of every resource"),
    Variable("RESOURCE_GROUP", "{resource_group}", "Resource group that holds the resources"),
    Variable("WORKSPACE_NAME", "{workspace_name}", "Azure Machine Learning workspace"),
    Variable("AZURE_SUBSCRIPTION_ID", "", "Subscription that holds the resource group", when=GITHUB, ci_login=True),
    Variable("AZURE_TENANT_ID", "", "Entra ID tenant of the deployment identity (OIDC)", when=GITHUB, ci_login=True),
    Variable(
        "AZURE_CLIENT_ID",
        "",
        "Client id of the federated identity the workflows log in as",
        when=GITHUB,
        ci_login=True,
    ),
    Variable(
        "AZURE_RM_SVC_CONNECTION",
        "{azure_rm_svc_connection}",
        "Azure Resource Manager service connection the pipelines run as",
        when=ADO,
        ci_login=True,
    ),
    Variable(
        "WORKSPACE_SVC_CONNECTION",
        "{workspace_svc_connection}",
        "Service connection scoped to the ML workspace",
        when=ADO,
        ci_login=True,
    ),
    *targets.collect("VARIABLES"),  # each deployment target's, from its module
    Variable(
        "SCORING_DATASTORE_STORAGE_NAME",
        "{scoring_storage_name}",
        "Storage account that holds batch-scoring input and output",
        when=BATCH,
    ),
    Variable(
        "DATABRICKS_HOST", "", "URL of the Databricks workspace (https://adb-….azuredatabricks.net)", when=DATABRICKS
    ),
    Variable("DB_CLUSTER_ID", "{db_cluster_id}", "Existing Databricks cluster that runs the R job", when=DATABRICKS),
    Variable(
        "DATABRICKS_COMPUTE_NAME",
        "{databricks_compute_name}",
        "Databricks compute attached to the workspace",
        when=DATABRICKS,
    ),
    Variable(
        "AML_REGISTRY_NAME",
        "{aml_registry_name}",
        "Azure ML registry the model trained in dev is promoted into, and deployed from elsewhere",
        when=PROMOTING,
        part_name=PROMOTION,
    ),
    Variable(
        "MONITORING_ALERT_EMAILS",
        "",
        "Comma-separated emails alerted when a monitoring signal breaches (empty: none)",
        required=False,
        when=DEPLOYED,
        part_name=MONITORING,
    ),
    # Defaults kept beside the pipelines rather than in the group.
    Variable("SOURCES_DIR_TRAIN", "{sample_name}", "Folder of the ML code", scope=TEMPLATE),
    Variable("EXPERIMENT_NAME", "{experiment_name}", "Experiment the training runs are recorded under", scope=TEMPLATE),
    Variable("MODEL_NAME", "{model_name}", "Registered model name", scope=TEMPLATE),
    Variable("DATASET_NAME", "{sample_name}_ds", "Data asset the training pipeline reads", scope=TEMPLATE),
    Variable("DATASET_VERSION", "latest", "Version of the data asset (a number or latest)", scope=TEMPLATE),
    Variable(
        "TRAINING_PIPELINE_NAME", "{sample_name}-training", "Display name of the training pipeline", scope=TEMPLATE
    ),
    Variable(
        "AML_ENV_NAME", "{sample_name}_training_env", "Azure ML environment of the training steps", scope=TEMPLATE
    ),
    Variable("AML_COMPUTE_CLUSTER_NAME", "train-cluster", "Training compute cluster", scope=TEMPLATE),
    Variable("AML_COMPUTE_CLUSTER_SKU", "STANDARD_DS2_V2", "VM size of the training cluster", scope=TEMPLATE),
    Variable("AML_CLUSTER_MIN_NODES", "0", "Minimum nodes of the training cluster", scope=TEMPLATE, kind="int"),
    Variable("AML_CLUSTER_MAX_NODES", "4", "Maximum nodes of the training cluster", scope=TEMPLATE, kind="int"),
    Variable(
        "AML_CLUSTER_PRIORITY",
        "low_priority",
        "Priority of the training cluster (dedicated or low_priority)",
        scope=TEMPLATE,
    ),
    Variable(
        "RETRAIN_CRON",
        "0 3 * * 1",
        "When the training pipeline is retrained on a schedule (cron, UTC; default Mondays 03:00)",
        scope=TEMPLATE,
        when=DEPLOYED,
        part_name=MONITORING,
    ),
    Variable(
        "RUN_EVALUATION",
        "true",
        "Compare the new model with production before registering",
        scope=TEMPLATE,
        kind="bool",
    ),
    Variable(
        "ALLOW_RUN_CANCEL",
        "true",
        "Cancel the run when the new model is not better",
        scope=TEMPLATE,
        kind="bool",
    ),
    Variable(
        "SCORING_DATASTORE_INPUT_CONTAINER", "input", "Container of the batch-scoring input", scope=TEMPLATE, when=BATCH
    ),
    Variable(
        "SCORING_DATASTORE_OUTPUT_CONTAINER",
        "output",
        "Container of the batch-scoring output",
        scope=TEMPLATE,
        when=BATCH,
    ),
    Variable(
        "SCORING_DATASTORE_INPUT_FILENAME", "diabetes_scoring_input.csv", "File to score", scope=TEMPLATE, when=BATCH
    ),
    Variable(
        "SCORING_DATASTORE_OUTPUT_FILENAME",
        "diabetes_scoring_output.csv",
        "File of predictions",
        scope=TEMPLATE,
        when=BATCH,
    ),
    Variable(
        "SCORING_DATASET_NAME",
        "{sample_name}_scoring_ds",
        "Data asset of the batch-scoring input",
        scope=TEMPLATE,
        when=BATCH,
    ),
    Variable(
        "SCORING_PIPELINE_NAME",
        "{sample_name}-batchscoring",
        "Display name of the batch-scoring pipeline",
        scope=TEMPLATE,
        when=BATCH,
    ),
    Variable(
        "AML_COMPUTE_CLUSTER_NAME_SCORING", "score-cluster", "Batch-scoring compute cluster", scope=TEMPLATE, when=BATCH
    ),
    Variable(
        "AML_COMPUTE_CLUSTER_SKU_SCORING",
        "STANDARD_DS2_V2",
        "VM size of the scoring cluster",
        scope=TEMPLATE,
        when=BATCH,
    ),
    Variable(
        "AML_CLUSTER_MIN_NODES_SCORING",
        "0",
        "Minimum nodes of the scoring cluster",
        scope=TEMPLATE,
        when=BATCH,
        kind="int",
    ),
    Variable(
        "AML_CLUSTER_MAX_NODES_SCORING",
        "4",
        "Maximum nodes of the scoring cluster",
        scope=TEMPLATE,
        when=BATCH,
        kind="int",
    ),
    Variable(
        "AML_CLUSTER_PRIORITY_SCORING", "low_priority", "Priority of the scoring cluster", scope=TEMPLATE, when=BATCH
    ),
)


# What each environment has its own of (ADR 28): a variable made of one of these differs by environment.
PER_ENVIRONMENT_KEYS = frozenset({*PER_ENVIRONMENT, "base_name", *(name.key for name in PER_ENVIRONMENT_DERIVED)})


def per_environment(variable: Variable) -> bool:
    """Made of a name each environment has its own of, how the CI logs in (each environment has
    its own identity, and may have its own subscription), or declared its own per environment."""
    return variable.ci_login or variable.own_per_environment or bool(variable.fields() & PER_ENVIRONMENT_KEYS)


def environment_variables(answers: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """{environment: {variable: its value there}} for the variables that differ by environment
    (copier.yml's computed `environment_variables`); empty for `single`."""
    names = environment_names(answers, PER_ENVIRONMENT, PER_ENVIRONMENT_DERIVED)
    context = {**answers, **derived_names(str(answers["base_name"]))}
    return {
        environment: {
            variable.name: variable.render({**context, **named})
            for variable in VARIABLES
            if variable.when.holds(answers) and per_environment(variable)
        }
        for environment, named in names.items()
    }


def pipeline_variables(answers: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The variables that apply to these answers, with their values, as the template sees them."""
    context = {**answers, **derived_names(str(answers["base_name"]))}
    return [
        {
            "name": variable.name,
            "value": variable.render(context),
            "meaning": variable.meaning,
            "scope": variable.scope,
            "required": variable.required,
            "secret": variable.secret,
            "ci_login": variable.ci_login,
            "kind": variable.kind,
            "core": variable.core,
            "part": variable.part,
        }
        for variable in VARIABLES
        if variable.when.holds(answers)
    ]
