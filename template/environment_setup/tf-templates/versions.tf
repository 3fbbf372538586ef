# Terraform and provider versions, pinned to the current majors (azurerm 4.x, azapi 2.x).
terraform {
  required_version = ">= 1.9.0, < 2.0.0"

  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.0"
    }
    azapi = {
      source  = "Azure/azapi"
      version = "~> 2.0"
    }
  }
}

# Credentials and the subscription come from the environment (ARM_SUBSCRIPTION_ID, ARM_CLIENT_ID,
# ARM_TENANT_ID and ARM_USE_OIDC / ARM_OIDC_TOKEN in the pipelines; `az login` locally).
provider "azurerm" {
  features {
    key_vault {
      # Purge protection keeps a deleted vault for 90 days: recover it instead of failing on the name.
      purge_soft_delete_on_destroy    = false
      recover_soft_deleted_key_vaults = true
    }
    machine_learning {
      # A soft-deleted workspace would block re-creating the same name for 14 days.
      purge_soft_deleted_workspace_on_destroy = true
    }
  }
}

provider "azapi" {}
