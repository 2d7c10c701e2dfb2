# The ML platform team's Vertex AI Workbench setup (the pattern described in the auditor's README):
# each instance runs as its own service account, users may open instances but never create or
# reconfigure them, and start/stop goes through a reviewed ChatOps workflow.

terraform {
  required_version = ">= 1.5"
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 5.40, < 8.0"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}

locals {
  users_member = "group:${var.users_group}"

  # Every instance gets the same hardening metadata; teams add nothing here.
  notebook_metadata = {
    notebook-disable-root      = "true"
    serial-port-logging-enable = "false"
    idle-timeout-seconds       = "10800"
  }

  common_labels = {
    owner      = "ml-platform"
    managed-by = "terraform"
  }

  network = "projects/${var.project_id}/global/networks/${var.network_name}"
  subnet  = "projects/${var.project_id}/regions/${var.region}/subnetworks/${var.subnet_name}"
}
