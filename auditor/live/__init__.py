"""The live side of the pipeline: read a Google Cloud project into the same model objects as Terraform intent.

Importing this package is cheap: the Google client libraries and grpc load only when a read (or the simulator)
starts, so the static `auditor check` path never pays for them.
"""

from __future__ import annotations

from auditor.live.calls import CALLS, PERMISSIONS, READ_ONLY_ROLES
from auditor.live.clients import Endpoints
from auditor.live.reader import LiveProject, Progress, read_project
from auditor.live.retry import RetryPolicy

__all__ = [
    "CALLS",
    "PERMISSIONS",
    "READ_ONLY_ROLES",
    "Endpoints",
    "LiveProject",
    "Progress",
    "RetryPolicy",
    "read_project",
]
