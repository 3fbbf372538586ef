
# --- AKS: the cluster, the Azure ML extension Kubernetes online endpoints need, the attachment ---

resource "azurerm_kubernetes_cluster" "aks" {
  name                              = var.aks_cluster_name
  location                          = local.location
  resource_group_name               = local.rg
  dns_prefix                        = var.aks_cluster_name
  role_based_access_control_enabled = true
  local_account_disabled            = true
  automatic_upgrade_channel         = "stable"
  azure_policy_enabled              = true

  default_node_pool {
    name            = "system"
    node_count      = var.aks_node_count
    vm_size         = var.aks_node_vm_size
    os_disk_type    = "Ephemeral"
    os_disk_size_gb = 64
    max_pods        = 50
  }

  identity {
    type = "SystemAssigned"
  }

  azure_active_directory_role_based_access_control {
    azure_rbac_enabled = true
    tenant_id          = data.azurerm_client_config.current.tenant_id
  }

  network_profile {
    network_plugin = "azure"
    network_policy = "azure"
  }

  oms_agent {
    log_analytics_workspace_id = azurerm_log_analytics_workspace.main.id
  }

  key_vault_secrets_provider {
    secret_rotation_enabled = true
  }
}

resource "azurerm_kubernetes_cluster_extension" "azureml" {
  name           = "azureml"
  cluster_id     = azurerm_kubernetes_cluster.aks.id
  extension_type = "Microsoft.AzureML.Kubernetes"
  release_train  = "stable"

  configuration_settings = {
    enableInference            = "true"
    inferenceRouterServiceType = "LoadBalancer"
    inferenceRouterHA          = "false"
    allowInsecureConnections   = "true"
  }
}

# azurerm has no resource for a Kubernetes compute target, so the attachment goes through azapi.
resource "azapi_resource" "aks_compute" {
  type      = "Microsoft.MachineLearningServices/workspaces/computes@2024-10-01"
  name      = var.aks_compute_name
  parent_id = azurerm_machine_learning_workspace.main.id
  location  = local.location

  identity {
    type = "SystemAssigned"
  }

  body = {
    properties = {
      computeType = "Kubernetes"
      resourceId  = azurerm_kubernetes_cluster.aks.id
      properties = {
        namespace = "azureml"
      }
    }
  }

  depends_on = [azurerm_kubernetes_cluster_extension.azureml]
}

resource "azurerm_role_assignment" "aks_acr_pull" {
  scope                = azurerm_container_registry.main.id
  role_definition_name = "AcrPull"
  principal_id         = azurerm_kubernetes_cluster.aks.kubelet_identity[0].object_id
  principal_type       = "ServicePrincipal"
}
