"""Terraform sources: HCL directories and `terraform show -json` plans, into the intent model.

`load_intent` is the one entry point the commands use. A directory is searched for root modules (directories
with `.tf` or `.tf.json` files that no other scanned directory calls as a local module), each evaluated with its
own variables; a directory with no configuration at all is an input error. A plan file is read as planned;
when a directory is given beside a plan, it only lends the plan its source lines (auditing both would report
every resource twice).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from auditor.model import InputError, Intent
from auditor.terraform.resources import ResourceInstance


def load_intent(paths: Sequence[Path], *, var_files: Sequence[Path] = (), allow_empty: Sequence[Path] = ()) -> Intent:
    """The intent of Terraform directories, files and plans. A directory with no configuration in it is an input
    error (an empty or mistyped path must never pass as clean), unless it is in `allow_empty` (it holds something
    else the caller audits, such as workflows)."""
    from auditor.terraform.hcl import find_root_modules, load_module
    from auditor.terraform.semantics import build_intent

    resources: list[ResourceInstance] = []
    errors: list[InputError] = []
    plans = [p for p in paths if p.is_file() and p.suffix == ".json" and not _is_configuration(p)]
    directories = [p for p in paths if p.is_dir()]
    for path in paths:
        if not path.exists():
            errors.append(InputError(str(path), "no such file or directory"))
        elif path.is_file() and path.suffix != ".json" and not _is_configuration(path):
            errors.append(InputError(str(path), "not a Terraform directory, .tf file or plan JSON file"))
    for plan in plans:
        from auditor.terraform.plan import read_plan  # only with a plan: a directory alone never needs it

        found, plan_errors = read_plan(plan, directories[0] if directories else None)
        resources.extend(found)
        errors.extend(plan_errors)
    if not plans:
        roots: list[Path] = []
        for path in paths:
            if path.is_dir():
                found_roots = find_root_modules(path, errors)
                if not found_roots and path not in allow_empty:
                    errors.append(
                        InputError(
                            str(path), "no Terraform configuration here (no .tf or .tf.json files): check the path"
                        )
                    )
                roots.extend(found_roots)
            elif path.is_file() and _is_configuration(path):
                roots.append(path.parent)
        unique = {root.resolve(): root for root in reversed(roots)}
        for root in reversed(unique.values()):
            found, module_errors = load_module(_display(root), var_files=var_files)
            resources.extend(found)
            errors.extend(module_errors)
    return build_intent(resources, errors)


def _is_configuration(path: Path) -> bool:
    return path.name.endswith((".tf", ".tf.json"))


def _display(path: Path) -> Path:
    """Paths relative to the working directory when they are below it: that is what people click on."""
    if not path.is_absolute():
        return path
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path
