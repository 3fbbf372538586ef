
variable "aci_identity_name" {
  type        = string
  description = "User-assigned identity the ACI container group pulls the scoring image with"
}

variable "aci_vnet_name" {
  type        = string
  description = "Virtual network of the private ACI test target (subnet scoring, delegated to ACI)"
}
