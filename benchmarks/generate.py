"""Generate a Terraform configuration of N typical Workbench/IAM resources, spread over files of 100.

Usage: python benchmarks/generate.py N OUTDIR
The mix (service accounts, their IAM, project IAM members, Workbench instances, for_each over locals) is what
the platform team's repositories hold; about 6.7 lines per resource, like the corpus measured in GCP-NOTES.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

HEADER = """\
terraform {
  required_providers {
    google = { source = "hashicorp/google" }
  }
}

provider "google" {
  project = var.project_id
}

variable "project_id" {
  default = "bench-project"
}

variable "zone" {
  default = "us-central1-a"
}

locals {
  users_group = "group:data-scientists@example.com"
}
"""


def resource(index: int) -> str:
    kind = index % 4
    if kind == 0:
        return f"""
resource "google_service_account" "sa_{index}" {{
  account_id   = "nb-sa-{index}"
  display_name = "Notebook {index}"
}}
"""
    if kind == 1:
        return f"""
resource "google_service_account_iam_member" "use_{index}" {{
  service_account_id = google_service_account.sa_{index - 1}.name
  role               = "roles/iam.serviceAccountUser"
  member             = local.users_group
}}
"""
    if kind == 2:
        return f"""
resource "google_project_iam_member" "viewer_{index}" {{
  project = var.project_id
  role    = "roles/notebooks.viewer"
  member  = "user:user{index}@example.com"
}}
"""
    return f"""
resource "google_workbench_instance" "nb_{index}" {{
  name     = "nb-{index}"
  location = var.zone
  gce_setup {{
    machine_type = "e2-standard-4"
    service_accounts {{
      email = google_service_account.sa_{index - 3}.email
    }}
    disable_public_ip = true
    metadata = {{
      notebook-disable-root = "true"
    }}
  }}
}}
"""


def generate(count: int, directory: Path, per_file: int = 100) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.tf"):
        stale.unlink()
    (directory / "main.tf").write_text(HEADER)
    files = [directory / "main.tf"]
    for start in range(0, count, per_file):
        path = directory / f"resources_{start // per_file:03d}.tf"
        path.write_text("".join(resource(i) for i in range(start, min(start + per_file, count))))
        files.append(path)
    return files


if __name__ == "__main__":
    generate(int(sys.argv[1]), Path(sys.argv[2]))
