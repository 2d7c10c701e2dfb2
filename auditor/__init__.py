"""auditor: a policy-as-code IAM auditor for Vertex AI Workbench."""

from auditor import codecache

__version__ = "0.1.0"

codecache.install()
