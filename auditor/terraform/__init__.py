"""Terraform sources: HCL directories and `terraform show -json` plans, into the intent model."""
