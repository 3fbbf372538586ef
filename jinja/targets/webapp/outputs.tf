
output "web_app_host_name" {
  value = azurerm_linux_web_app.webapp.default_hostname
}
