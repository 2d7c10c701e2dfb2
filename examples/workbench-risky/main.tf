# A Workbench setup that breaks every built-in policy at least once: `auditor check examples/workbench-risky`
# should report each of them. Compare with examples/workbench/, which keeps the platform team's promises.

terraform {
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 5.0, < 8.0"
    }
  }
}

provider "google" {
  project = "risky-project"
  region  = "europe-west4"
}

variable "extra_admin" {
  description = "Set by another pipeline; unknown to a static audit (unresolved-sensitive-binding)."
  type        = string
}

resource "google_service_account" "notebook" {
  account_id   = "nb-shared"
  display_name = "Shared notebook account"
}

# user-managed-service-account-key: a long-lived key, stored in the Terraform state
resource "google_service_account_key" "notebook" {
  service_account_id = google_service_account.notebook.name
}

# default-compute-service-account, notebook-public-ip, notebook-root-access, notebook-shielded-vm:
# no service account, public IP by default, root allowed by default, secure boot off by default
resource "google_workbench_instance" "shared" {
  name     = "shared"
  location = "europe-west4-a"
  gce_setup {
    machine_type = "n1-standard-8"
  }
}

# deprecated-notebooks-api: the notebooks v1 API is shut down
resource "google_notebooks_instance" "legacy" {
  name            = "legacy"
  location        = "europe-west4-a"
  machine_type    = "n1-standard-4"
  service_account = "nb-shared@risky-project.iam.gserviceaccount.com"
  no_public_ip    = true
  metadata = {
    notebook-disable-root = "true"
  }
  shielded_instance_config {
    enable_secure_boot = true
  }
  vm_image {
    project      = "deeplearning-platform-release"
    image_family = "tf-latest-cpu"
  }
}

# human-notebook-admin: notebooks.editor creates and reconfigures instances, whatever its name suggests
# (privilege-escalation, notebook-create-as: with actAs on nb-shared below, a notebook that runs as it)
resource "google_project_iam_member" "analyst_editor" {
  project = "risky-project"
  role    = "roles/notebooks.editor"
  member  = "user:analyst@example.com"
}

# human-vm-control-of-notebooks: setMetadata on every VM, notebooks included
# (privilege-escalation, vm-metadata: with actAs on nb-shared below, a startup-script runs as it)
resource "google_project_iam_member" "analyst_compute" {
  project = "risky-project"
  role    = "roles/compute.instanceAdmin.v1"
  member  = "user:analyst@example.com"
}

# project-level-service-account-user: actAs on every service account in the project
# (privilege-escalation, notebook-use: opening the shared notebook runs code as nb-shared, a project editor)
resource "google_project_iam_member" "users_act_as" {
  project = "risky-project"
  role    = "roles/iam.serviceAccountUser"
  member  = "group:notebook-users@example.com"
}

# service-account-admin-privileges: the notebook's own account is an editor
# (privilege-escalation, sa-key: an editor creates keys for the ChatOps account and acts as it)
resource "google_project_iam_member" "notebook_editor" {
  project = "risky-project"
  role    = "roles/editor"
  member  = "serviceAccount:nb-shared@risky-project.iam.gserviceaccount.com"
}

# public-principal: anyone on the internet can list the notebooks
resource "google_project_iam_member" "public_viewer" {
  project = "risky-project"
  role    = "roles/notebooks.viewer"
  member  = "allUsers"
}

# basic-role-human: a group of owners
# (privilege-escalation, resource-set-iam: owners set the project's IAM, and so grant themselves anything)
resource "google_project_iam_member" "team_owner" {
  project = "risky-project"
  role    = "roles/owner"
  member  = "group:data-platform@example.com"
}

# unresolved-sensitive-binding: the notebooks admin role for a member nobody can see here
# (a member grant, not an authoritative binding: that would also fight with chatops_admin below)
resource "google_project_iam_member" "extra_admin" {
  project = "risky-project"
  role    = "roles/notebooks.admin"
  member  = var.extra_admin
}

# iam-resource-conflict: an authoritative binding and a member grant of the same role fight on every apply
resource "google_project_iam_binding" "viewers" {
  project = "risky-project"
  role    = "roles/viewer"
  members = ["group:notebook-users@example.com"]
}

resource "google_project_iam_member" "viewer_extra" {
  project = "risky-project"
  role    = "roles/viewer"
  member  = "user:contractor@example.com"
}

# chatops-overbroad-identity: the chat bot's start/stop workflow (.github/workflows/notebook-chatops.yml) runs as
# this account, which can also create, delete and reconfigure every instance and change its IAM
# (also service-account-admin-privileges: notebooks.admin is an admin role on the project)
resource "google_project_iam_member" "chatops_admin" {
  project = "risky-project"
  role    = "roles/notebooks.admin"
  member  = "serviceAccount:chatops@risky-project.iam.gserviceaccount.com"
}

# privilege-escalation (sa-token): a contractor can mint access tokens for the ChatOps account, and so create,
# delete and reconfigure every notebook through it
resource "google_service_account_iam_member" "contractor_token" {
  service_account_id = "projects/risky-project/serviceAccounts/chatops@risky-project.iam.gserviceaccount.com"
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = "user:contractor@example.com"
}

# privilege-escalation (notebook-use): actAs on the notebook's account lets the analyst open it and run code as
# nb-shared, a project editor (it also completes analyst_editor's and analyst_compute's paths above)
resource "google_service_account_iam_member" "analyst_act_as_notebook" {
  service_account_id = google_service_account.notebook.name
  role               = "roles/iam.serviceAccountUser"
  member             = "user:analyst@example.com"
}
