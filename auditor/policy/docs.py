"""One Markdown page per built-in policy, generated from the policy files so the docs cannot drift from them.

`python -m auditor.policy.docs [DIR]` (re)writes `docs/policies/` and, beside it, `policy-variables.md` (from the
facts classes); a test fails when the committed pages differ
from what the policy files say. SARIF rules and `auditor explain` link to these pages (`help_uri`).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from auditor.policy.schema import Policy

DOCS_BASE_URL = "https://github.com/auditor-project/auditor/blob/main/docs/policies"
"""Where the pages are published; the repository's own address once it has one."""


def help_uri(policy_id: str) -> str:
    return f"{DOCS_BASE_URL}/{policy_id}.md"


def render_page(policy: Policy) -> str:
    lines = [f"# `{policy.id}`: {policy.title}", "", f"- **Severity**: {policy.severity.value}"]
    if policy.subject is None:
        lines += ["- **Reported by**: `auditor drift`, comparing the live project with the Terraform", ""]
    else:
        lines += [
            f"- **Evaluated on**: each `{policy.subject.value}` (variables: "
            "[policy-variables.md](../policy-variables.md))",
            "",
            "## Condition (CEL)",
            "",
            "```cel",
            policy.condition,
            "```",
            "",
        ]
    lines += [
        "## Why it matters",
        "",
        policy.rationale,
        "",
        "## How to fix it",
        "",
        policy.remediation,
        "",
        "## Suppressing it",
        "",
        "With a reason, and an end date where the exception is temporary, on or directly above the resource block:",
        "",
        "```hcl",
        f"# auditor:ignore[{policy.id}] <reason> until=YYYY-MM-DD",
        "```",
    ]
    if policy.subject is None:
        lines += [
            "",
            "or, for a live resource, with an `[[ignore]]` entry in `auditor.toml` (`policy`, `address`, `reason`, "
            "`until`).",
        ]
    if policy.references:
        lines += ["", "## References", "", *(f"- <{url}>" for url in policy.references)]
    lines += ["", f"<!-- generated from policies/{policy.id}.yaml by `python -m auditor.policy.docs` -->", ""]
    return "\n".join(lines)


def write_pages(policies: Sequence[Policy], directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for policy in policies:
        path = directory / f"{policy.id}.md"
        path.write_text(render_page(policy), encoding="utf-8")
        written.append(path)
    return written


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def variables_markdown() -> str:
    """docs/policy-variables.md, generated from the facts classes so the documentation cannot drift from the code."""
    from auditor.policy.facts import SUBJECTS, VARIABLES
    from auditor.policy.schema import SubjectKind

    lines = [
        "# Policy variables",
        "",
        "<!-- Generated from the facts classes in auditor/policy/facts/ (their annotated fields); a test keeps -->",
        "<!-- this file in sync. Regenerate: python -m auditor.policy.docs -->",
        "",
        "A policy's `condition` is one CEL expression over the variables of its `subject`; true means a violation.",
        "Its `message` may use the same variables as `{dotted.name}` placeholders (`{{` and `}}` are literal braces;",
        "lists render comma-separated -- semicolon-separated when an item itself holds a comma -- and an empty list",
        "as `none`).",
        "",
        "Unknown values are never made to look safe: a value that could not be resolved statically reads as its",
        "shape (`wb@{var.project_id}.iam.gserviceaccount.com`, holes in braces) or its origin (`var.project_id`)",
        "in its text form, and a `*_unresolved` boolean beside it is true. Booleans such as",
        "`instance.public_ip` are true only when the value is known to be true, so a condition that must not pass",
        "unknowns checks both (`instance.public_ip || instance.public_ip_unresolved`).",
        "",
        "The `role.*` facts come from the role catalog (`auditor/roles/catalog.py`): predefined roles and the custom",
        "roles declared in the audited Terraform. They are judged by permissions, not by role names.",
        "",
        "## Writing a team policy",
        "",
        "One YAML file per policy, named after its id, in a directory passed with `--policies DIR` (repeatable) or",
        "listed under `policies` in the config. Every file is checked against",
        "`auditor/policy/policy.schema.json`, its condition compiled and its variable names checked before anything",
        "is evaluated; a mistake stops the run with `file: policy id: message` and exit code 2. Ids must be unique",
        'across built-in and team policies; a built-in is turned off with `disable = ["id"]` in the config.',
        "",
        "```yaml",
        "id: no-domain-wide-notebook-users",
        "title: A whole domain can open notebooks",
        "severity: medium",
        "subject: member",
        "condition: principal.kind == 'domain' && role.notebook_use",
        "message: >-",
        "  Everyone in {principal.member} can open notebook instances through {binding.role} on",
        "  {binding.scope_kind} {binding.scope}.",
        "rationale: Notebook access is granted per team, never to a whole domain.",
        "remediation: Grant the role to the team's group instead.",
        "references: []",
        "```",
        "",
        "A policy whose finding should point at a particular line of its subject (a workflow's offending step) names",
        "that line's `int` variable in its file: `line: workflow.injection_line`. Drift rules are files of the same",
        "registry with `kind: drift` and no `subject`, `condition` or `message`.",
        "",
        "`auditor policies` lists what would run, `auditor explain ID` shows one policy in full.",
        "",
    ]
    for kind in SubjectKind:
        lines += [f"## `{kind.value}`", "", SUBJECTS[kind].intro, ""]
        if not VARIABLES[kind]:
            continue
        lines += ["| variable | type | meaning |", "| --- | --- | --- |"]
        lines += [f"| `{v.name}` | {v.type} | {_cell(v.doc)} |" for v in VARIABLES[kind]]
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    from auditor.policy.loader import load_policies

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/policies")
    for page in write_pages(load_policies(), target):
        print(page)
    variables = target.parent / "policy-variables.md"
    variables.write_text(variables_markdown(), encoding="utf-8")
    print(variables)
