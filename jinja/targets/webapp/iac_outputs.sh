{%- set rg = "$(RESOURCE_GROUP)" if ci_platform == "azure_devops" else "$RESOURCE_GROUP" -%}
{%- if iac == "arm" -%}
echo "Web app:            https://$(az deployment group show --resource-group "{{ rg }}" --name cloud-environment --query properties.outputs.webAppHostName.value --output tsv)"
{%- else -%}
echo "Web app:            https://$(terraform output -raw web_app_host_name)"
{%- endif %}
