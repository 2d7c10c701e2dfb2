# Least-privilege identity for the start/stop workflow in .github/workflows/notebook-startstop.yml.
# The service account can start, stop, get and list notebook instances and nothing else: the custom role's
# permission names cover both user-managed notebooks (v1) and Workbench Instances (v2).

terraform {
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 6.0"
    }
  }
}

provider "google" {
  project = "data-platform-prod"
  region  = "europe-west4"
}

resource "google_service_account" "notebook_startstop" {
  account_id   = "notebook-startstop"
  display_name = "ChatOps start/stop for Workbench instances"
}

resource "google_project_iam_custom_role" "notebook_startstop" {
  role_id     = "notebookStartStop"
  title       = "Notebook start/stop"
  description = "Start, stop and look up notebook instances (v1 and v2); nothing else."
  permissions = [
    "notebooks.instances.get",
    "notebooks.instances.list",
    "notebooks.instances.start",
    "notebooks.instances.stop",
    "notebooks.operations.get", # gcloud waits for the start/stop operation
  ]
}

resource "google_project_iam_member" "notebook_startstop" {
  project = "data-platform-prod"
  role    = google_project_iam_custom_role.notebook_startstop.name
  member  = "serviceAccount:${google_service_account.notebook_startstop.email}"
}

# Only this repository's workflow may impersonate the service account (workload identity federation).
resource "google_service_account_iam_member" "notebook_startstop_wif" {
  service_account_id = google_service_account.notebook_startstop.name
  role               = "roles/iam.workloadIdentityUser"
  member             = "principalSet://iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/github/attribute.repository/example-org/data-platform"
}

resource "google_workbench_instance" "analytics_alice" {
  name     = "analytics-alice"
  location = "europe-west4-a"

  gce_setup {
    machine_type      = "e2-standard-4"
    disable_public_ip = true
    service_accounts {
      email = "nb-analytics-alice@data-platform-prod.iam.gserviceaccount.com"
    }
    shielded_instance_config {
      enable_secure_boot          = true
      enable_vtpm                 = true
      enable_integrity_monitoring = true
    }
    metadata = {
      notebook-disable-root = "true"
    }
  }

  lifecycle {
    # Users start and stop the instance through the workflow; Terraform must not undo that on the next apply.
    ignore_changes = [desired_state]
  }
}

resource "google_workbench_instance" "analytics_bob" {
  name     = "analytics-bob"
  location = "europe-west4-a"

  gce_setup {
    machine_type      = "e2-standard-4"
    disable_public_ip = true
    service_accounts {
      email = "nb-analytics-bob@data-platform-prod.iam.gserviceaccount.com"
    }
    shielded_instance_config {
      enable_secure_boot          = true
      enable_vtpm                 = true
      enable_integrity_monitoring = true
    }
    metadata = {
      notebook-disable-root = "true"
    }
  }

  lifecycle {
    # Users start and stop the instance through the workflow; Terraform must not undo that on the next apply.
    ignore_changes = [desired_state]
  }
}
