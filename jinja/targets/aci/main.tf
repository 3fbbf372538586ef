
# --- ACI: the identity the container group pulls the scoring image with ---

resource "azurerm_user_assigned_identity" "aci" {
  name                = var.aci_identity_name
  location            = local.location
  resource_group_name = local.rg
}

resource "azurerm_role_assignment" "aci_acr_pull" {
  scope                = azurerm_container_registry.main.id
  role_definition_name = "AcrPull"
  principal_id         = azurerm_user_assigned_identity.aci.principal_id
  principal_type       = "ServicePrincipal"
}

# --- ACI: a private test target, reachable only inside this virtual network (no public IP) ---

resource "azurerm_network_security_group" "aci" {
  name                = "${var.aci_vnet_name}-nsg"
  location            = local.location
  resource_group_name = local.rg

  security_rule {
    name                       = "scoring-from-the-virtual-network"
    description                = "The private ACI test target answers clients inside its virtual network only"
    priority                   = 100
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_address_prefix      = "VirtualNetwork"
    source_port_range          = "*"
    destination_address_prefix = "VirtualNetwork"
    destination_port_range     = "5001"
  }
}

resource "azurerm_virtual_network" "aci" {
  name                = var.aci_vnet_name
  location            = local.location
  resource_group_name = local.rg
  address_space       = ["10.20.0.0/16"]
}

resource "azurerm_subnet" "aci" {
  name                 = "scoring"
  resource_group_name  = local.rg
  virtual_network_name = azurerm_virtual_network.aci.name
  address_prefixes     = ["10.20.1.0/24"]

  delegation {
    name = "aci"

    service_delegation {
      name    = "Microsoft.ContainerInstance/containerGroups"
      actions = ["Microsoft.Network/virtualNetworks/subnets/action"]
    }
  }
}

resource "azurerm_subnet_network_security_group_association" "aci" {
  subnet_id                 = azurerm_subnet.aci.id
  network_security_group_id = azurerm_network_security_group.aci.id
}
