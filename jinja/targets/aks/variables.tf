
variable "aks_cluster_name" {
  type        = string
  description = "AKS cluster that hosts the Kubernetes online endpoint"
}

variable "aks_compute_name" {
  type        = string
  description = "Name of the AKS cluster attached to the workspace as compute"
}

variable "aks_node_count" {
  type        = number
  description = "Nodes of the AKS system pool"
}

variable "aks_node_vm_size" {
  type        = string
  description = "VM size of the AKS system pool"
}
