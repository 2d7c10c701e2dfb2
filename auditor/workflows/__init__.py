"""GitHub Actions workflows as an input of `auditor check`: the ChatOps path that starts and stops instances.

`reader` turns workflow YAML into `model.Workflow` facts; `facts.workflow_subjects` joins them with the Terraform
intent into the `workflow` subject the `chatops-*` policies evaluate.
"""
