"""One Markdown page per built-in policy, generated from the policy files so the docs cannot drift from them.

`python -m auditor.policy.docs [DIR]` (re)writes `docs/policies/`; a test fails when the committed pages differ
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


if __name__ == "__main__":
    from auditor.policy.loader import load_policies

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/policies")
    for page in write_pages(load_policies(), target):
        print(page)
