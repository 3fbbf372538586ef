"""Where the scoring containers on ACI and App Service write what they score (docs/monitoring.md).

Azure ML's data collector serves only its own online endpoints, so the scoring image appends the
collector's JSONL lines itself (SCORING_COLLECT_LOG) to a file share mounted into the container:
the share of the workspace's `workspacefilestore` datastore, which every workspace has. The
drift-retraining pipeline (ml_service/monitoring.py) reads the same folder through that datastore.

The ARM templates take the share as parameters (`parameters()`), filled at deploy time from the
datastore; the storage key is read by ARM (listKeys) and never passes through the pipeline: ACI's
Azure Files volumes and App Service's storage mounts take only an account key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from azure.ai.ml import MLClient

DATASTORE = "workspacefilestore"
MOUNT = "/mnt/collected"
ACCOUNT, SHARE = "collectedLogsAccount", "collectedLogsShare"
STORAGE_API_VERSION = "2023-05-01"
HOST = "{host}"  # what the scoring script replaces with the host name


def folder(target: str) -> str:
    """The folder of `target`'s logs inside the share (and the datastore)."""
    return f"monitoring/{target}"


def datastore_uri(target: str) -> str:
    """What the drift-retraining pipeline reads: the folder through the workspace's file datastore."""
    return f"azureml://datastores/{DATASTORE}/paths/{folder(target)}/"


def log_path(target: str) -> str:
    """SCORING_COLLECT_LOG in the container: one file per host, as the scoring script expands {host}."""
    return f"{MOUNT}/{folder(target)}/{HOST}.jsonl"


def template_parameters() -> dict[str, Any]:
    """The ARM template parameters that name the share."""
    return {name: {"type": "string"} for name in (ACCOUNT, SHARE)}


def account_key() -> str:
    """The storage account key as an ARM expression: resolved by ARM at deployment, written nowhere."""
    account = f"resourceId('Microsoft.Storage/storageAccounts', parameters('{ACCOUNT}'))"
    return f"[listKeys({account}, '{STORAGE_API_VERSION}').keys[0].value]"


def parameters(ml_client: MLClient) -> dict[str, str]:
    """The parameter values: the workspace's file datastore's storage account and share."""
    datastore = ml_client.datastores.get(DATASTORE)
    return {ACCOUNT: datastore.account_name, SHARE: datastore.file_share_name}
