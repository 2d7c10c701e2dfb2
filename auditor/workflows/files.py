"""Finding workflow files: cheap enough for every `auditor check`, which reads YAML only when some exist."""

from __future__ import annotations

from pathlib import Path

from auditor.walk import walk_once

_SKIP_DIRS = frozenset({".git", ".terraform", "node_modules", ".venv", "venv", "__pycache__"})


def discover(root: Path) -> list[Path]:
    """Workflow files of every repository under `root`: `.github/workflows/*.yml|yaml`, sorted."""
    if root.is_file():
        return [root]
    found = []
    for current, subdirs, filenames in walk_once(root):
        # Only directories below the root are vendored code: the root itself may well sit under a `venv`.
        subdirs[:] = [d for d in subdirs if d not in _SKIP_DIRS]
        directory = Path(current)
        if directory.name == "workflows" and directory.parent.name == ".github":
            found.extend(p for p in map(directory.joinpath, filenames) if p.suffix in (".yml", ".yaml") and p.is_file())
    return sorted(found)


def yaml_files(directory: Path) -> list[Path]:
    """Every `*.yml|yaml` under a directory given explicitly (`--workflows DIR`)."""
    if directory.is_file():
        return [directory]
    return sorted(p for p in directory.rglob("*.y*ml") if p.suffix in (".yml", ".yaml") and p.is_file())
