"""GitHub Actions `${{ }}` expressions: which context paths carry data the triggering user controls.

The list follows GitHub's security hardening guide and zizmor's template-injection audit: free text from the event
(comment and issue bodies, titles, branch names, commit messages), the whole `repository_dispatch` payload and
every workflow input. Anything not listed is repository configuration or GitHub-generated.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from auditor.workflows.model import Source

EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)

# Context paths inside an expression; `*` and `[...]` keep object filters like `commits.*.message` whole.
_CONTEXT_PATH = re.compile(
    r"(?<![\w.'\"])((?:github|inputs|env|steps|needs|vars|secrets|matrix)(?:\.[\w\-*]+|\[[^\]]*\])*)"
)

_ATTACKER_PREFIXES = (
    "github.event.client_payload",
    "github.event.inputs",
    "inputs",
)
_ATTACKER_PATTERNS = tuple(
    re.compile("^" + re.escape(pattern).replace(r"\*", r"[^.]+") + "$")
    for pattern in (
        "github.head_ref",
        "github.event.comment.body",
        "github.event.issue.title",
        "github.event.issue.body",
        "github.event.pull_request.title",
        "github.event.pull_request.body",
        "github.event.pull_request.head.ref",
        "github.event.pull_request.head.label",
        "github.event.pull_request.head.repo.default_branch",
        "github.event.review.body",
        "github.event.review_comment.body",
        "github.event.discussion.title",
        "github.event.discussion.body",
        "github.event.pages.*.page_name",
        "github.event.commits.*.message",
        "github.event.commits.*.author.email",
        "github.event.commits.*.author.name",
        "github.event.head_commit.message",
        "github.event.head_commit.author.email",
        "github.event.head_commit.author.name",
        "github.event.workflow_run.head_branch",
        "github.event.workflow_run.head_commit.message",
        "github.event.workflow_run.head_commit.author.email",
        "github.event.workflow_run.head_commit.author.name",
        "github.event.workflow_run.display_title",
    )
)
_CONFIGURATION_ROOTS = ("github", "vars", "secrets", "matrix")


@dataclass(frozen=True, slots=True)
class Expression:
    """One `${{ }}` expression in a workflow, where it stands."""

    text: str
    """The whole `${{ ... }}`."""
    body: str
    start: int
    """Offset of `${{` in the string it was found in."""

    @property
    def paths(self) -> tuple[str, ...]:
        return context_paths(self.body)


def find_expressions(text: str) -> Iterator[Expression]:
    for match in EXPRESSION.finditer(text):
        yield Expression(match.group(0), match.group(1).strip(), match.start())


def context_paths(body: str) -> tuple[str, ...]:
    """Context paths referenced in an expression body, string literals removed first."""
    without_strings = re.sub(r"'(?:[^']|'')*'", "''", body)
    return tuple(_normalise(path) for path in _CONTEXT_PATH.findall(without_strings))


def _normalise(path: str) -> str:
    # github.event['client_payload'] and github.event.client_payload are the same path.
    return re.sub(r"\[\s*'([\w\-]+)'\s*\]", r".\1", path)


def attacker_controlled(path: str) -> bool:
    if any(path == prefix or path.startswith(prefix + ".") for prefix in _ATTACKER_PREFIXES):
        return True
    if path in ("github.event", "github.event.comment", "github.event.issue", "github.event.pull_request"):
        return True  # toJSON(github.event) serialises every attacker field
    return any(pattern.match(path) for pattern in _ATTACKER_PATTERNS)


def source_of_path(path: str, env_sources: dict[str, Source] | None = None) -> Source:
    """Classify one context path; `env.NAME` looks NAME up in the sources of the env in scope."""
    if attacker_controlled(path):
        return Source.TRIGGER
    root, _, rest = path.partition(".")
    if root == "env":
        name = rest.split(".")[0]
        return (env_sources or {}).get(name, Source.CONFIGURATION)
    if root in _CONFIGURATION_ROOTS:
        return Source.CONFIGURATION
    return Source.UNKNOWN  # steps.*.outputs, needs.*.outputs: computed at run time


def worst(sources: list[Source] | tuple[Source, ...]) -> Source:
    """The least trustworthy of several sources (a value mixing a literal and the payload is the payload)."""
    for candidate in (Source.TRIGGER, Source.UNKNOWN, Source.CONFIGURATION):
        if candidate in sources:
            return candidate
    return Source.LITERAL


def source_of_text(text: str, env_sources: dict[str, Source] | None = None) -> tuple[Source, tuple[str, ...]]:
    """The source of a string that may contain expressions, and the context paths involved."""
    paths = tuple(path for expression in find_expressions(text) for path in expression.paths)
    if not paths:
        return (Source.LITERAL if "${{" not in text else Source.UNKNOWN), ()
    return worst([source_of_path(path, env_sources) for path in paths]), paths
