#!/usr/bin/env bash
# Creates the Azure DevOps variable group devopsforai-aml-vg with the values from your answers,
# or updates it when it exists (safe to re-run). docs/variable_group.md describes every variable.
#
#   az login
#   az devops configure --defaults organization=https://dev.azure.com/<org> project=<project>
#   ./environment_setup/create-variable-group.sh
#
# An environment variable of the same name overrides an answer (LOCATION=westeurope ...).
# Empty values are skipped with a reminder; secret variables are read only from the environment.
set -euo pipefail

# name|value from the answers|secret
shared=(
  'BASE_NAME|mlopsdiabe|false'
  'LOCATION|centralus|false'
  'RESOURCE_GROUP|mlops-RG|false'
  'WORKSPACE_NAME|mlops-AML-WS|false'
  'AZURE_RM_SVC_CONNECTION|azure-resource-connection|false'
  'WORKSPACE_SVC_CONNECTION|aml-workspace-connection|false'
  'ACI_DEPLOYMENT_NAME|mlops-aci|false'
  'SCORING_DATASTORE_STORAGE_NAME|mlopsdiabescoresa|false'
  'MONITORING_ALERT_EMAILS||false'
)

if ! command -v az >/dev/null 2>&1; then
  echo "error: the Azure CLI (az) is required: https://learn.microsoft.com/cli/azure/install-azure-cli" >&2
  exit 1
fi
if ! az extension show --name azure-devops --output none 2>/dev/null; then
  az extension add --name azure-devops --only-show-errors
fi

# sync_group GROUP SUFFIX ENTRY...: creates GROUP with the entries, or updates it. The environment
# variable NAME+SUFFIX overrides an entry's value; secrets are read only from the environment.
sync_group() {
  local group=$1 suffix=$2
  shift 2
  local plain=() secrets=() skipped=() entry name answer secret override value group_id existing action pair
  for entry in "$@"; do
    IFS='|' read -r name answer secret <<<"$entry"
    override="$name$suffix"
    value="${!override:-$answer}"
    if [[ -z "$value" ]]; then
      skipped+=("$override")
    elif [[ "$secret" == "true" ]]; then
      secrets+=("$name=$value")
    else
      plain+=("$name=$value")
    fi
  done

  # exact name: the filter alone also matches groups whose names contain it
  group_id=$(az pipelines variable-group list --group-name "$group" --query "[?name=='$group'].id | [0]" --output tsv)
  if [[ -z "$group_id" ]]; then
    if [[ -z "${plain[*]:-}" ]]; then
      echo "error: no values to create $group with" >&2
      exit 1
    fi
    group_id=$(az pipelines variable-group create --name "$group" --authorize true \
      --description "Pipeline variables; see docs/variable_group.md" \
      --variables "${plain[@]}" --query id --output tsv)
    echo "Created variable group $group (id $group_id), open to all pipelines."
  else
    existing=$(az pipelines variable-group variable list --group-id "$group_id" --query "keys(@)" --output tsv)
    for pair in "${plain[@]}"; do
      name="${pair%%=*}"
      if grep -qx "$name" <<<"$existing"; then
        action=update
      else
        action=create
      fi
      az pipelines variable-group variable "$action" --group-id "$group_id" \
        --name "$name" --value "${pair#*=}" --output none
    done
    echo "Updated variable group $group (id $group_id)."
  fi

  # Secrets go through AZURE_DEVOPS_EXT_PIPELINE_VAR_<name>, never the command line.
  for pair in "${secrets[@]}"; do
    name="${pair%%=*}"
    existing=$(az pipelines variable-group variable list --group-id "$group_id" --query "keys(@)" --output tsv)
    if grep -qx "$name" <<<"$existing"; then
      action=update
    else
      action=create
    fi
    env "AZURE_DEVOPS_EXT_PIPELINE_VAR_${name}=${pair#*=}" \
      az pipelines variable-group variable "$action" --group-id "$group_id" --name "$name" --secret true --output none
    echo "Set secret $name in $group."
  done

  for name in "${skipped[@]}"; do
    echo "Not set in $group: $name has no value yet. Re-run with $name=<value> in the environment (docs/variable_group.md)."
  done
}

sync_group devopsforai-aml-vg "" "${shared[@]}"
