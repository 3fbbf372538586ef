{%- from 'jinja/target_fragments.jinja' import fragments with context -%}
{%- from 'jinja/escape.jinja' import hcl_str -%}
{%- macro var(name) %}{{ (pipeline_variables | selectattr('name', 'equalto', name) | first).value }}{% endmacro -%}
# Generated from your answers (.copier-answers.yml). Names derived from BASE_NAME = {{ base_name }}.
location                  = {{ hcl_str(location) }}
resource_group_name       = {{ hcl_str(resource_group) }}
workspace_name            = {{ hcl_str(workspace_name) }}
storage_account_name      = {{ storage_account_name | tojson }}
key_vault_name            = {{ key_vault_name | tojson }}
container_registry_name   = {{ container_registry_name | tojson }}
application_insights_name = {{ application_insights_name | tojson }}
log_analytics_name        = {{ log_analytics_name | tojson }}
compute_cluster_name      = {{ var('AML_COMPUTE_CLUSTER_NAME') | tojson }}
compute_cluster_vm_size   = {{ var('AML_COMPUTE_CLUSTER_SKU') | tojson }}
compute_cluster_min_nodes = {{ var('AML_CLUSTER_MIN_NODES') | int }}
compute_cluster_max_nodes = {{ var('AML_CLUSTER_MAX_NODES') | int }}
compute_cluster_priority  = {{ ('LowPriority' if var('AML_CLUSTER_PRIORITY') == 'low_priority' else 'Dedicated') | tojson }}
{{- fragments("terraform.tfvars", "iac") }}
{%- if batch_scoring %}
scoring_storage_name      = {{ scoring_storage_name | tojson }}
scoring_input_container   = {{ var('SCORING_DATASTORE_INPUT_CONTAINER') | tojson }}
scoring_output_container  = {{ var('SCORING_DATASTORE_OUTPUT_CONTAINER') | tojson }}
scoring_cluster_name      = {{ var('AML_COMPUTE_CLUSTER_NAME_SCORING') | tojson }}
scoring_cluster_vm_size   = {{ var('AML_COMPUTE_CLUSTER_SKU_SCORING') | tojson }}
scoring_cluster_min_nodes = {{ var('AML_CLUSTER_MIN_NODES_SCORING') | int }}
scoring_cluster_max_nodes = {{ var('AML_CLUSTER_MAX_NODES_SCORING') | int }}
scoring_cluster_priority  = {{ ('LowPriority' if var('AML_CLUSTER_PRIORITY_SCORING') == 'low_priority' else 'Dedicated') | tojson }}
{%- endif %}
{%- if r_training == 'databricks' %}
databricks_workspace_name = {{ databricks_workspace_name | tojson }}
{%- endif %}
