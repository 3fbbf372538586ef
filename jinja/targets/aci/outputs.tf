
output "aci_identity_id" {
  value = azurerm_user_assigned_identity.aci.id
}
