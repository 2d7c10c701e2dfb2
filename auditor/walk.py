"""Directory walking for the readers that discover their inputs (Terraform roots, workflow files).

Symbolic links to directories are followed, as Terraform and git follow them (`envs/prod -> ../shared/prod` is
configuration to audit, not something to skip in silence); a directory reached twice, or through a link back up,
is walked once.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path


def walk_once(
    root: Path, onerror: Callable[[OSError], None] | None = None
) -> Iterator[tuple[str, list[str], list[str]]]:
    """`os.walk(root)` top-down with links followed, each real directory once; prune by editing the yielded
    subdirectory list in place, as with `os.walk`."""
    seen: set[str] = set()
    for current, subdirs, filenames in os.walk(root, onerror=onerror, followlinks=True):
        real = os.path.realpath(current)
        if real in seen:
            subdirs[:] = []
            continue
        seen.add(real)
        yield current, subdirs, filenames
