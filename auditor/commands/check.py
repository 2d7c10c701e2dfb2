"""`auditor check [PATH...]`: the CI gate. Terraform intent (+ GitHub Actions workflows) -> policies -> report.

Workflows are read beside the Terraform so the `chatops-*` policies can judge a start/stop workflow by the IAM its
service account holds in that same Terraform. Nothing here imports the Google client libraries.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.model import InputError

if TYPE_CHECKING:
    from auditor.workflows.model import Workflow


def register(subparsers: Any) -> None:
    from auditor.audit import add_report_options

    parser = subparsers.add_parser(
        "check",
        help="audit Terraform and GitHub Actions workflows against the policies (the CI gate)",
        description="Read Terraform (directories and plan JSON files) and the GitHub Actions workflows beside it, "
        "derive the intended IAM and notebook instances, evaluate the policies and report. Exit 0: clean; "
        "1: findings at or above --fail-on; 2: input, policy or usage error, or an incomplete audit.",
    )
    add_report_options(parser)
    parser.add_argument(
        "--workflows",
        action="append",
        type=Path,
        default=[],
        metavar="DIR",
        help="read the GitHub Actions workflows (*.yml, *.yaml) in this directory or file, instead of "
        "discovering .github/workflows/ under each scanned directory (repeatable)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from auditor.audit import finish, prepare
    from auditor.policy.engine import evaluate
    from auditor.terraform import load_intent

    setup = prepare(args)
    workflow_paths, missing = workflow_files(args.paths, args.workflows)
    # A directory whose only auditable content is its workflows is not "a path with no configuration".
    from auditor.workflows.files import discover

    with_workflows = [p for p in args.paths if p.is_dir() and discover(p)]
    intent = load_intent(args.paths, var_files=args.var_files, allow_empty=with_workflows)
    workflows: tuple[Workflow, ...] = ()
    workflow_errors: tuple[InputError, ...] = ()
    if workflow_paths:
        from auditor.workflows.reader import read_workflows

        workflows, workflow_errors = read_workflows(workflow_paths)
    findings = evaluate(intent, setup.policies, workflows=workflows, administrators=setup.config.administrators)
    scanned = [*map(str, args.paths), *map(str, args.workflows)]
    return finish(args, setup, findings, [*intent.errors, *missing, *workflow_errors], scanned)


def read_workflows_beside(paths: Sequence[Path]) -> tuple[tuple[Workflow, ...], tuple[InputError, ...]]:
    """The workflows under the scanned paths (for commands that read Terraform and judge access: drift, access),
    and the files that could not be read: the caller reports those, since a missing workflow may hide a path."""
    found, unlisted = workflow_files(paths, [])
    if not found:
        return (), tuple(unlisted)
    from auditor.workflows.reader import read_workflows

    workflows, unread = read_workflows(found)
    return workflows, (*unlisted, *unread)


def workflow_files(paths: Sequence[Path], workflow_dirs: Sequence[Path]) -> tuple[list[Path], list[InputError]]:
    """The workflow files to read: every YAML file of `--workflows`, else `.github/workflows/*.y*ml` under each
    scanned directory.

    Discovery looks down, never up: scanning `infra/` does not read the repository root's `.github/workflows`.
    A report then covers exactly the files named on the command line, an example directory inside a larger
    repository is audited on its own, and a monorepo with Terraform in a subdirectory says
    `--workflows .github/workflows` once (the GitHub Action passes it) instead of the auditor guessing which
    repository root is meant.
    """
    from auditor.workflows.files import discover, yaml_files

    found: list[Path] = []
    errors: list[InputError] = []
    if workflow_dirs:
        for directory in workflow_dirs:
            if not directory.exists():
                errors.append(InputError(str(directory), "--workflows: no such file or directory"))
                continue
            found.extend(yaml_files(directory, errors))
    else:
        # Plan JSON files are inputs too; only directories can hold a repository's workflows.
        for path in paths:
            if path.is_dir():
                found.extend(discover(path, errors))
    return list(dict.fromkeys(found)), errors
