
variable "app_service_plan_name" {
  type        = string
  description = "Linux App Service plan of the scoring web app"
}

variable "web_app_name" {
  type        = string
  description = "Web App for containers that runs the scoring image (globally unique)"
}

variable "web_app_image" {
  type        = string
  description = "Repository:tag of the scoring image: the model version it serves (0 = none yet; the CD pipeline pushes one image per model version)"
}
