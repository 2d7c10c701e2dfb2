variable "project_id" {
  description = "Project that hosts the Workbench instances."
  type        = string
  default     = "acme-ml-platform"
}

variable "project_number" {
  description = "Number of that project (used in the workload identity principal of the ChatOps workflow)."
  type        = string
  default     = "123456789012"
}

variable "region" {
  type    = string
  default = "europe-west4"
}

variable "zone" {
  type    = string
  default = "europe-west4-a"
}

variable "network_name" {
  type    = string
  default = "ml-vpc"
}

variable "subnet_name" {
  description = "Subnet with Private Google Access: the instances have no public IP."
  type        = string
  default     = "notebooks"
}

variable "users_group" {
  description = "Google group of the notebook users: they open the instances and start/stop them through ChatOps."
  type        = string
  default     = "ml-notebook-users@acme.example"
}

variable "platform_group" {
  description = "Google group of the data-platform team: the only people who administer the instances."
  type        = string
  default     = "notebook-platform@acme.example"
}

variable "chatops_repository" {
  description = "GitHub repository (owner/name) whose start/stop workflow acts as the ChatOps service account."
  type        = string
  default     = "acme/ml-notebooks-chatops"
}

variable "instances" {
  description = "One Workbench instance per team: its machine shape and GPUs."
  type = map(object({
    machine_type = string
    accelerators = list(object({ type = string, core_count = number }))
  }))
  default = {
    forecasting = {
      machine_type = "e2-standard-8"
      accelerators = []
    }
    vision = {
      machine_type = "n1-standard-8"
      accelerators = [{ type = "NVIDIA_TESLA_T4", core_count = 1 }]
    }
  }
}
