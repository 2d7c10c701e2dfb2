# Users see the instances (and open them, below); they cannot create, reconfigure or re-permission them.
resource "google_project_iam_member" "users_notebooks_viewer" {
  project = var.project_id
  role    = "roles/notebooks.viewer"
  member  = local.users_member
}

# Opening JupyterLab in service-account mode needs iam.serviceAccounts.actAs on the instance's own account:
# grant it there, one account at a time, never at project level.
resource "google_service_account_iam_member" "users_act_as_notebook" {
  for_each = var.instances

  service_account_id = google_service_account.notebook[each.key].name
  role               = "roles/iam.serviceAccountUser"
  member             = local.users_member
}

# The ChatOps workflow is the only path to start/stop: its service account administers notebooks.
# auditor:ignore[service-account-admin-privileges] the documented ChatOps start/stop identity; its workflow is reviewed by the platform team
resource "google_project_iam_member" "chatops_notebooks_admin" {
  project = var.project_id
  role    = "roles/notebooks.admin"
  member  = google_service_account.chatops.member
}

# The platform team administers the instances (creates, reconfigures, deletes, re-permissions them): the one human
# notebook admin, intended and listed in auditor.toml's `administrators`.
resource "google_project_iam_member" "platform_notebooks_admin" {
  project = var.project_id
  role    = "roles/notebooks.admin"
  member  = "group:${var.platform_group}"
}

# Only the ChatOps repository's workflows may act as the ChatOps service account.
resource "google_service_account_iam_member" "chatops_workload_identity" {
  service_account_id = google_service_account.chatops.name
  role               = "roles/iam.workloadIdentityUser"
  member             = "principalSet://iam.googleapis.com/projects/${var.project_number}/locations/global/workloadIdentityPools/github/attribute.repository/${var.chatops_repository}"
}
