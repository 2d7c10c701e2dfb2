"""Where the auditor keeps what it may remember between runs: one folder per kind of data in the user cache directory.

`AUDITOR_CACHE_DIR` names the folder; otherwise `$XDG_CACHE_HOME/auditor`, else `~/.cache/auditor`.
`AUDITOR_NO_CACHE` (any value) turns every cache off. Every cache here holds plain data (marshal or JSON) keyed by
content and version, and is only ever a shortcut: a missing, stale or unwritable cache costs time, never correctness.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir(kind: str) -> Path | None:
    """The folder for one kind of cached data (not created here), or None when caching is off."""
    if os.environ.get("AUDITOR_NO_CACHE"):
        return None
    explicit = os.environ.get("AUDITOR_CACHE_DIR")
    if explicit:
        return Path(explicit) / kind
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "auditor" / kind
