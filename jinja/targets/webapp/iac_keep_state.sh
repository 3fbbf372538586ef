{%- set rg = "$(RESOURCE_GROUP)" if ci_platform == "azure_devops" else "$RESOURCE_GROUP" -%}
# Keep the image the web app serves (a model version): a re-run must not change what is served.
served="$(az webapp config show --resource-group "{{ rg }}" --name "{{ webapp_deployment_name }}" \
  --query linuxFxVersion --output tsv 2>/dev/null || true)"
served="${served#DOCKER|}"
served="${served#*/}"
