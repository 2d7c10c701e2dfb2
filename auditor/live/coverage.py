"""What a live read covered, as typed values: the projects and hierarchy nodes read, and each read that failed.

Every source (per-service APIs, Cloud Asset Inventory, export files) hands this to the drift comparison with its
model objects, so drift knows where an absence means something and where it only means "not read" -- without
parsing error messages. No Google library is imported here.
"""

from __future__ import annotations

from dataclasses import dataclass

from auditor.live.calls import Call
from auditor.model import Intent


@dataclass(frozen=True, slots=True)
class Unread:
    """One read that failed: whatever it would have returned is unknown."""

    call: Call
    project: str | None = None
    """The project id the call was about; None when it was about no single project (a folder or organization
    listing, whose projects are then unknown too)."""
    item: str | None = None
    """What within it: the service account email, the instance name, the location id of a listing, the folder or
    organization name; None for all of it."""


@dataclass(frozen=True, slots=True)
class Coverage:
    """What one live read covered: the projects and hierarchy nodes read, and every read that failed."""

    projects: frozenset[str] = frozenset()
    """Ids of the projects read (declared resources elsewhere are not compared)."""
    nodes: frozenset[str] = frozenset()
    """`folders/N` and `organizations/N` whose IAM policy was asked for."""
    unread: frozenset[Unread] = frozenset()

    def __or__(self, other: Coverage) -> Coverage:
        return Coverage(self.projects | other.projects, self.nodes | other.nodes, self.unread | other.unread)


def hierarchy_nodes(intent: Intent) -> frozenset[str]:
    """The `folders/N` and `organizations/N` a read model holds: the nodes a source that returned it covered."""
    organization = {intent.organization} if intent.organization else set()
    return frozenset({f.name for f in intent.folders} | organization)
