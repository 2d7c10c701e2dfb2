"""auditor: a policy-as-code IAM auditor for Vertex AI Workbench."""

__version__ = "0.1.0"
