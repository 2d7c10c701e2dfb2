"""Example inputs shipped inside the package, so `auditor demo` works after `pip install` as well as in a checkout.

`examples/workbench` at the repository root is a symlink to `WORKBENCH`: one copy, two ways in.
"""

from __future__ import annotations

from pathlib import Path

WORKBENCH = Path(__file__).resolve().parent / "workbench"
"""The platform team's Terraform (two Workbench instances, their service accounts, the ChatOps account)."""

WORKBENCH_LIVE_STATE = WORKBENCH / "live-state.json"
"""The simulator state for `auditor demo`: the same project after out-of-band changes (see `live-state.json`)."""

ORGANIZATION_STATE = WORKBENCH / "organization-state.json"
"""Added to the live state by `auditor demo --organization`: the organization and folders above the project, and a
second team's project (read through Cloud Asset Inventory)."""
