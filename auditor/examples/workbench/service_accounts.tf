# Each instance runs as its own user-managed service account, never as the default Compute Engine one
# (PROJECT_NUMBER-compute@developer.gserviceaccount.com, which may carry roles/editor).
resource "google_service_account" "notebook" {
  for_each = var.instances

  project      = var.project_id
  account_id   = "nb-${each.key}"
  display_name = "Workbench instance nb-${each.key}"
  description  = "Runs the ${each.key} team's Workbench instance; users may act as it only to open that instance."
}

# The identity of the ChatOps start/stop workflow (GitHub Actions through workload identity federation).
resource "google_service_account" "chatops" {
  project      = var.project_id
  account_id   = "notebook-chatops"
  display_name = "ChatOps start/stop workflow"
  description  = "Starts and stops Workbench instances on request from chat; its workflow needs platform-team review."
}
