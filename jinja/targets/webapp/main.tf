
# --- Web App for containers: pulls the scoring image with its own identity ---

resource "azurerm_service_plan" "webapp" {
  name                = var.app_service_plan_name
  location            = local.location
  resource_group_name = local.rg
  os_type             = "Linux"
  sku_name            = "B1"
}

resource "azurerm_linux_web_app" "webapp" {
  name                    = var.web_app_name
  location                = local.location
  resource_group_name     = local.rg
  service_plan_id         = azurerm_service_plan.webapp.id
  https_only              = true
  client_affinity_enabled = false

  identity {
    type = "SystemAssigned"
  }

  site_config {
    always_on                               = true
    minimum_tls_version                     = "1.2"
    scm_minimum_tls_version                 = "1.2"
    ftps_state                              = "Disabled"
    http2_enabled                           = true
    health_check_path                       = "/"
    health_check_eviction_time_in_min       = 5
    container_registry_use_managed_identity = true

    application_stack {
      docker_image_name   = var.web_app_image
      docker_registry_url = "https://${azurerm_container_registry.main.login_server}"
    }
  }

  app_settings = {
    WEBSITES_PORT                         = "5001"
    WEBSITES_ENABLE_APP_SERVICE_STORAGE   = "false"
    APPLICATIONINSIGHTS_CONNECTION_STRING = azurerm_application_insights.main.connection_string
  }

  # No anonymous requests: authentication on, every request without a valid token gets 401. The CD
  # deploy (ml_service/deploy/webapp.py) names the Entra ID app registration (WEBAPP_AUTH_CLIENT_ID).
  auth_settings_v2 {
    auth_enabled           = true
    require_authentication = true
    unauthenticated_action = "Return401"

    login {
      token_store_enabled = false
    }
  }

  logs {
    detailed_error_messages = true
    failed_request_tracing  = true

    http_logs {
      file_system {
        retention_in_days = 7
        retention_in_mb   = 35
      }
    }
  }

  lifecycle {
    # The CD pipeline points the app at each new image and names the identity provider of its
    # authentication; a re-apply must not roll either back.
    ignore_changes = [site_config[0].application_stack[0].docker_image_name, auth_settings_v2]
  }
}

resource "azurerm_role_assignment" "webapp_acr_pull" {
  scope                = azurerm_container_registry.main.id
  role_definition_name = "AcrPull"
  principal_id         = azurerm_linux_web_app.webapp.identity[0].principal_id
  principal_type       = "ServicePrincipal"
}
