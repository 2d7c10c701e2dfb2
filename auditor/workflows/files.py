"""Finding workflow files: cheap enough for every `auditor check`, which reads YAML only when some exist."""

from __future__ import annotations

import os
from pathlib import Path

from auditor.model import InputError
from auditor.walk import walk_once

_SKIP_DIRS = frozenset({".git", ".terraform", "node_modules", ".venv", "venv", "__pycache__"})


def discover(root: Path, errors: list[InputError] | None = None) -> list[Path]:
    """Workflow files of every repository under `root`: `.github/workflows/*.yml|yaml`, sorted.

    A directory that cannot be listed goes to `errors` when it lies below a dot-directory (`.github`): the Terraform
    reader never lists those, so nobody else reports it, and a workflow in it would be missed in silence. The others
    the Terraform reader reports itself."""
    if root.is_file():
        return [root]

    def unreadable(error: OSError) -> None:
        where = os.fspath(error.filename or root)
        hidden = any(part.startswith(".") for part in Path(os.path.relpath(where, root)).parts if part != "..")
        if errors is not None and hidden:
            errors.append(InputError(where, f"cannot read the directory: {error.strerror or error}"))

    found = []
    for current, subdirs, filenames in walk_once(root, onerror=unreadable):
        # Only directories below the root are vendored code: the root itself may well sit under a `venv`.
        subdirs[:] = [d for d in subdirs if d not in _SKIP_DIRS]
        directory = Path(current)
        if directory.name == "workflows" and directory.parent.name == ".github":
            found.extend(p for p in map(directory.joinpath, filenames) if p.suffix in (".yml", ".yaml") and p.is_file())
    return sorted(found)


def yaml_files(directory: Path, errors: list[InputError] | None = None) -> list[Path]:
    """Every `*.yml|yaml` under a directory given explicitly (`--workflows DIR`); a subdirectory that cannot be
    listed goes to `errors`."""
    if directory.is_file():
        return [directory]

    def unreadable(error: OSError) -> None:
        if errors is not None:
            where = os.fspath(error.filename or directory)
            errors.append(InputError(where, f"cannot read the directory: {error.strerror or error}"))

    found = []
    for current, _, filenames in walk_once(directory, onerror=unreadable):
        found.extend(p for p in map(Path(current).joinpath, filenames) if p.suffix in (".yml", ".yaml") and p.is_file())
    return sorted(found)
