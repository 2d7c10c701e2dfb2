"""Reading `# OK` / `# NOT OK` markers from a policy fixture's Terraform.

Every `resource "TYPE" "NAME" {` block in a fixture carries a marker comment directly above it (other comment
lines may sit between); the NOT OK set is the exact set of addresses the policy must flag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_RESOURCE = re.compile(r'^resource\s+"([^"]+)"\s+"([^"]+)"\s*\{')
_MARKER = re.compile(r"^#\s*(NOT OK|OK)\b")


@dataclass(frozen=True)
class Expectations:
    failing: frozenset[str]
    passing: frozenset[str]


class MarkerError(ValueError):
    """A resource block without a marker, or a marker above nothing."""


def read_markers(directory: Path) -> Expectations:
    failing: set[str] = set()
    passing: set[str] = set()
    for path in sorted(directory.glob("*.tf")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines):
            resource = _RESOURCE.match(line)
            if not resource:
                continue
            address = f"{resource.group(1)}.{resource.group(2)}"
            marker = None
            above = number - 1
            while above >= 0 and lines[above].lstrip().startswith("#"):
                found = _MARKER.match(lines[above].strip())
                if found:
                    marker = found.group(1)
                    break
                above -= 1
            if marker is None:
                raise MarkerError(f"{path}:{number + 1}: {address} has no # OK / # NOT OK marker above it")
            (failing if marker == "NOT OK" else passing).add(address)
    if not failing and not passing:
        raise MarkerError(f"{directory}: no marked resource blocks")
    return Expectations(frozenset(failing), frozenset(passing))
