
output "aks_compute_name" {
  value = azapi_resource.aks_compute.name
}
