"""Who needs which Azure role on what, as traits of option values: the identity and permission
model that checks/identity.py holds the generated IaC to.

`NEEDS` is a table: each row says that when a condition on the answers holds (an option value is
chosen), a principal (a managed identity, or the CI identity) needs a role on a resource. A new
resource adds rows here, not code in the check; a deployment target's rows (and its principals)
are in its module of mlops_scaffold/targets/ and collected here. `PRINCIPALS` and
`RESOURCES` say how each one is spelled in the two IaC flavours: its ARM resource type and name
parameter, its Terraform resource type and name variable.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlops_scaffold import targets
from mlops_scaffold.conditions import Equals
from mlops_scaffold.deployment_environments import ALL_ENVIRONMENTS, promoting
from mlops_scaffold.model import DEPLOYER, GIVEN, KUBELET, SYSTEM_ASSIGNED, USER_ASSIGNED, Entity, Need, Only

__all__ = [
    "DEPLOYER",
    "GIVEN",
    "KUBELET",
    "NEEDS",
    "ONLY",
    "PRINCIPALS",
    "RESOURCES",
    "ROLE_IDS",
    "SATISFIED_BY",
    "SYSTEM_ASSIGNED",
    "USER_ASSIGNED",
    "Entity",
    "Need",
    "Only",
    "grants",
    "needs_for",
]

_COMPUTE = "Microsoft.MachineLearningServices/workspaces/computes"
_STORAGE = "Microsoft.Storage/storageAccounts"
# The environments after dev deploy what dev promoted into the Azure ML registry (ADR 28).
_LATER = tuple(environment for environment in ALL_ENVIRONMENTS if not environment.trains)


_PROMOTING = promoting()

PRINCIPALS: dict[str, Entity] = {
    entity.key: entity
    for entity in (
        Entity("ci_identity", "CI identity (the one that deploys the IaC)", identity=DEPLOYER),
        Entity(
            "workspace",
            "workspace",
            "Microsoft.MachineLearningServices/workspaces",
            "workspaceName",
            "azurerm_machine_learning_workspace",
            "workspace_name",
        ),
        Entity(
            "training_cluster",
            "training cluster",
            _COMPUTE,
            "computeClusterName",
            "azurerm_machine_learning_compute_cluster",
            "compute_cluster_name",
        ),
        Entity(
            "scoring_cluster",
            "scoring cluster",
            _COMPUTE,
            "scoringClusterName",
            "azurerm_machine_learning_compute_cluster",
            "scoring_cluster_name",
        ),
        *targets.collect("PRINCIPALS"),  # each deployment target's, from its module
        # Identities given to the registry's IaC by object id: the promotion identity (dev's CI
        # identity), and each environment after dev's workspace and CI identity.
        Entity(
            "promotion_identity",
            "promotion identity (dev's CI identity)",
            arm_name="promotionPrincipalId",
            tf_name="promotion_principal_id",
            identity=GIVEN,
        ),
        *(
            Entity(
                f"{environment.name}_{who}",
                f"{environment.name} {title}",
                arm_name=f"{environment.name}{who.title()}PrincipalId",
                tf_name=f"{environment.name}_{who}_principal_id",
                identity=GIVEN,
            )
            for environment in _LATER
            for who, title in (("workspace", "workspace's identity"), ("deployer", "CI identity"))
        ),
    )
}

RESOURCES: dict[str, Entity] = {
    entity.key: entity
    for entity in (
        Entity(
            "registry",
            "container registry",
            "Microsoft.ContainerRegistry/registries",
            "containerRegistryName",
            "azurerm_container_registry",
            "container_registry_name",
        ),
        Entity(
            "key_vault", "Key Vault", "Microsoft.KeyVault/vaults", "keyVaultName", "azurerm_key_vault", "key_vault_name"
        ),
        Entity(
            "workspace_storage",
            "workspace storage account",
            _STORAGE,
            "storageAccountName",
            "azurerm_storage_account",
            "storage_account_name",
        ),
        Entity(
            "scoring_storage",
            "scoring storage account",
            _STORAGE,
            "scoringStorageName",
            "azurerm_storage_account",
            "scoring_storage_name",
        ),
        *targets.collect("RESOURCES"),
        Entity(
            "aml_registry",
            "Azure ML registry",
            "Microsoft.MachineLearningServices/registries",
            "registryName",
            "azapi_resource",
            "registry_name",
        ),
    )
}

_BATCH = Equals("batch_scoring", True)

NEEDS: tuple[Need, ...] = (
    Need("workspace", "key_vault", "Key Vault Administrator", "keep datastore and connection secrets (an RBAC vault)"),
    *targets.collect("NEEDS"),  # each deployment target's, from its module
    Need("training_cluster", "registry", "AcrPull", "pull the training environment image", if_own_identity=True),
    Need(
        "training_cluster",
        "key_vault",
        "Key Vault Secrets User",
        "read the credentials of the workspace's datastores",
        if_own_identity=True,
    ),
    Need("scoring_cluster", "registry", "AcrPull", "pull the scoring environment image", _BATCH),
    Need(
        "scoring_cluster",
        "key_vault",
        "Key Vault Secrets User",
        "read the credentials of the workspace's datastores (the model files)",
        _BATCH,
    ),
    Need(
        "scoring_cluster",
        "scoring_storage",
        "Storage Blob Data Contributor",
        "read the input and write the predictions through the identity-based datastores",
        _BATCH,
    ),
    Need(
        "ci_identity",
        "scoring_storage",
        "Storage Blob Data Contributor",
        "upload the scoring input (`az storage blob upload --auth-mode login`)",
        _BATCH,
    ),
    # ml_service/promote.py runs as the promotion identity.
    Need("promotion_identity", "aml_registry", "AzureML Registry User", "share the model dev registered", _PROMOTING),
    *(
        Need(f"{environment.name}_{who}", "aml_registry", "Reader", why, promoting(environment))
        for environment in _LATER
        for who, why in (
            ("workspace", "pull the promoted model for its deployments"),
            ("deployer", "create deployments that reference the promoted model"),
        )
    ),
)

# Roles on a resource that only one principal may hold: the registry is written by the promotion
# identity alone, so nothing another environment runs can change what prod deploys.
ONLY: tuple[Only, ...] = (
    Only(
        "aml_registry", "AzureML Registry User", "promotion_identity", "only the promotion identity writes the registry"
    ),
)

# Built-in role definition ids (ARM names roles by id; Terraform by name).
ROLE_IDS: dict[str, str] = {
    "7f951dda-4ed3-4680-a7ca-43fe172d538d": "AcrPull",
    "8311e382-0749-4cb8-b61a-304f252e45ec": "AcrPush",
    "00482a5a-887f-4fb3-b363-3b7fe8e74483": "Key Vault Administrator",
    "b86a8fe4-44ce-4948-aee5-eccb2c155cd7": "Key Vault Secrets Officer",
    "4633458b-17de-408a-b874-0445c86b69e6": "Key Vault Secrets User",
    "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1": "Storage Blob Data Reader",
    "ba92f5b4-2d11-453d-a403-e96b0029c9fe": "Storage Blob Data Contributor",
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": "Storage Blob Data Owner",
    "1823dd4f-9b8c-4ab6-ab4e-7397a3684615": "AzureML Registry User",
    "acdd72a7-3385-48ef-bd42-f606fba81ae7": "Reader",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
}

# A needed role is granted by itself or by a role whose permissions include it. Contributor and
# Owner carry control-plane actions only: they never satisfy a data role (Storage Blob Data *).
SATISFIED_BY: dict[str, frozenset[str]] = {
    "AcrPull": frozenset({"AcrPull", "AcrPush", "Contributor", "Owner"}),
    "Key Vault Administrator": frozenset({"Key Vault Administrator"}),
    "Key Vault Secrets User": frozenset(
        {"Key Vault Secrets User", "Key Vault Secrets Officer", "Key Vault Administrator"}
    ),
    "Storage Blob Data Reader": frozenset(
        {"Storage Blob Data Reader", "Storage Blob Data Contributor", "Storage Blob Data Owner"}
    ),
    "Storage Blob Data Contributor": frozenset({"Storage Blob Data Contributor", "Storage Blob Data Owner"}),
    # Reader's */read covers registries/assets/read; the registry user also writes assets.
    "Reader": frozenset({"Reader", "AzureML Registry User", "Contributor", "Owner"}),
    "AzureML Registry User": frozenset({"AzureML Registry User", "Contributor", "Owner"}),
}


def needs_for(answers: Mapping[str, Any]) -> list[Need]:
    """The rows that apply to these answers."""
    return [need for need in NEEDS if need.when.holds(answers)]


def grants(granted: str, needed: str) -> bool:
    return granted in SATISFIED_BY.get(needed, frozenset({needed}))
