"""The `workflow` subject: a GitHub Actions workflow (from `auditor.workflows`, a source) joined with the Terraform
intent, and judged here, beside the other facts, for the `chatops-*` policies.

Each workflow becomes one frozen `WorkflowFacts`, so every policy condition stays one line of CEL
(`workflow.injections_count > 0`). The service account a workflow authenticates as is looked up in the intent's
bindings, and its notebook and instance permissions beyond start/stop/get/list become `identity_surplus_permissions`.

Scope, decided per policy:
- `chatops-expression-injection` applies to every workflow, also those that control no notebook and README snippets
  with unknown triggers: the expression itself (`github.event.client_payload.*`, a comment body, an input) proves
  the text is the triggering user's, and pasting it into a script gives that user the job's token, secrets and
  cloud identity whatever the job was meant to do. The effective-access sentence says what that is worth.
- `chatops-unrestricted-operation` and `chatops-overbroad-identity` apply to workflows that control notebooks.
- `chatops-key-credential` and `chatops-unpinned-action` apply to workflows that hold a Google Cloud identity
  (authenticate, or control notebooks): generic hygiene elsewhere is zizmor's job, not ours.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Annotated, Any

from auditor.identities import email_matches
from auditor.model import Binding, Intent, Location
from auditor.policy.facts.base import Subject
from auditor.policy.schema import SubjectKind
from auditor.roles.catalog import RoleLookup, role_key
from auditor.workflows.model import Identity, IdentityKind, NotebookControl, Source, Workflow

ALLOWED_PERMISSIONS = frozenset(
    {
        "notebooks.instances.start",
        "notebooks.instances.stop",
        "notebooks.instances.get",
        "notebooks.instances.list",
        # gcloud waits for the long-running start/stop operation; polling it needs this read.
        "notebooks.operations.get",
    }
)
"""What a start/stop identity needs; v1 and v2 instances share these permission names."""

SAFE_VERBS = frozenset({"start", "stop", "describe", "list"})
"""Verbs an allowlist may let through: start/stop plus the read-only ones the allowed permissions cover."""

_RELEVANT_PREFIXES = ("notebooks.", "compute.instances.")
"""Workbench instances are Compute Engine VMs: compute.instances.setMetadata & co. reconfigure them too."""

_WHO = {
    "repository_dispatch": "anyone who can send a repository_dispatch event (a chat bot relaying commands: "
    "everyone who can talk to the bot; or any token with write access to the repository)",
    "workflow_dispatch": "anyone with write access to the repository (workflow_dispatch)",
    "issue_comment": "anyone who can comment on an issue or pull request (any GitHub user on a public repository)",
    "issues": "anyone who can open or edit an issue",
    "pull_request_target": "anyone who can open a pull request, including from a fork (pull_request_target)",
    "pull_request": "anyone who can open a pull request",
    "pull_request_review": "anyone who can review a pull request",
    "pull_request_review_comment": "anyone who can comment on a pull request",
    "discussion": "anyone who can open a discussion",
    "discussion_comment": "anyone who can comment on a discussion",
    "workflow_call": "any workflow that calls this one (workflow_call)",
    "workflow_run": "whoever can make the upstream workflow run (workflow_run)",
    "push": "anyone who can push to the repository",
    "schedule": "the schedule (nobody triggers it directly)",
}
_EVENT_OF_PATH = (
    ("github.event.client_payload", "repository_dispatch"),
    ("github.event.inputs", "workflow_dispatch"),
    ("inputs", "workflow_dispatch"),
    ("github.event.comment", "issue_comment"),
    ("github.event.issue", "issues"),
    ("github.event.pull_request", "pull_request_target"),
    ("github.head_ref", "pull_request_target"),
)


def workflow_subjects(workflows: Iterable[Workflow], intent: Intent, roles: RoleLookup) -> Iterator[Subject]:
    """One `workflow` subject per workflow, its identity judged against the intent's bindings.

    Roles resolve through the same `RoleLookup` as every other subject (the catalog plus the declared custom
    roles), so a workflow's service account and a binding's member can never be judged by two role tables. A
    policy that points at a particular step names its line variable in its own file (`line:`).
    """
    declared = {str(instance.name) for instance in intent.instances if isinstance(instance.name, str)}
    for workflow in workflows:
        facts = WorkflowFacts.of(workflow, intent, roles, declared)
        yield Subject(
            kind=SubjectKind.WORKFLOW,
            activation={"workflow": facts},
            resource=workflow.path,
            location=Location(workflow.path, workflow.line),
        )


def _workflow_facts(workflow: Workflow, intent: Intent, roles: RoleLookup, declared: set[str]) -> dict[str, Any]:
    controls = [_control_facts(control, declared) for control in workflow.notebook_controls]
    unrestricted = [c for c in controls if c["unrestricted"]]
    control_jobs = {control.job for control in workflow.notebook_controls}
    identities = [i for i in workflow.identities if not control_jobs or i.job in control_jobs] or list(
        workflow.identities
    )
    keys = [i for i in workflow.identities if i.kind is IdentityKind.KEY]
    holds_identity = bool(workflow.identities) or workflow.controls_notebooks
    unpinned = [a for a in workflow.actions if not a.pinned]
    identity = _identity_facts(identities, intent, roles)
    injections = [
        {
            "expression": i.expression,
            "text": i.text,
            "line": i.line,
            "job": i.job,
            "step": i.step,
            "sink": i.sink,
            "via_env": i.via_env or "",
        }
        for i in workflow.injections
    ]
    events = _events(workflow)
    facts: dict[str, Any] = {
        "path": workflow.path,
        "name": workflow.name,
        "line": workflow.line,
        "fragment": workflow.fragment,
        "triggers": events,
        "triggered_by": _who(events),
        "controls_notebooks": workflow.controls_notebooks,
        "notebook_controls": controls,
        "notebook_controls_count": len(controls),
        "injections": injections,
        "injections_count": len(injections),
        "injection_expressions": sorted({i.expression for i in workflow.injections}),
        "injection_line": injections[0]["line"] if injections else 0,
        "unrestricted_operations_count": len(unrestricted),
        "unrestricted_reasons": [reason for c in unrestricted for reason in c["reasons"]],
        "unrestricted_line": unrestricted[0]["line"] if unrestricted else 0,
        "authenticates_to_gcp": bool(workflow.identities),
        "holds_cloud_identity": holds_identity,
        **identity,
        "key_credentials_count": len(keys),
        "key_secrets": [k.credentials_secret for k in keys],
        "key_line": keys[0].line if keys else 0,
        "unpinned_actions": [{"uses": a.uses, "line": a.line, "job": a.job} for a in unpinned],
        "unpinned_actions_count": len(unpinned),
        "unpinned_uses": sorted({a.uses for a in unpinned}),
        "unpinned_line": unpinned[0].line if unpinned else 0,
    }
    facts["effective_access"] = effective_access(facts)
    return facts


def _events(workflow: Workflow) -> list[str]:
    if workflow.triggers:
        return [trigger.event for trigger in workflow.triggers]
    inferred = []
    for injection in workflow.injections:
        for prefix, event in _EVENT_OF_PATH:
            if injection.expression == prefix or injection.expression.startswith(prefix + "."):
                inferred.append(event)
                break
    return list(dict.fromkeys(inferred))


def _who(events: list[str]) -> str:
    if not events:
        return "whoever can trigger it (triggers unknown)"
    parts = [_WHO.get(event, f"whoever can cause a {event} event") for event in events]
    return "; ".join(dict.fromkeys(parts))


def _control_facts(control: NotebookControl, declared: set[str]) -> dict[str, Any]:
    reasons = []
    verb, instance = control.verb, control.instance
    if verb.source is Source.LITERAL and verb.text not in SAFE_VERBS:
        reasons.append(f"the workflow runs `{verb.text}` on notebook instances, not only start/stop")
    elif verb.source in (Source.TRIGGER, Source.UNKNOWN):
        if control.allowed_verbs is None:
            origin = ", ".join(verb.expressions) or verb.text
            reasons.append(
                f"the operation `{verb.text}` comes from {_origin_words(verb.source)} ({origin}) "
                "with no allowlist, so delete, set-iam-policy or create pass through"
            )
        elif not set(control.allowed_verbs) <= SAFE_VERBS:
            extra = sorted(set(control.allowed_verbs) - SAFE_VERBS)
            reasons.append(f"the allowlist for `{verb.text}` lets through {', '.join(extra)}")
    if instance is not None and instance.source in (Source.TRIGGER, Source.UNKNOWN):
        if control.allowed_instances is None:
            origin = ", ".join(instance.expressions) or instance.text
            reasons.append(
                f"the instance name `{instance.text}` comes from {_origin_words(instance.source)} "
                f"({origin}) with no allowlist of instances"
            )
        elif declared and not set(control.allowed_instances) <= declared:
            extra = sorted(set(control.allowed_instances) - declared)
            reasons.append(f"the instance allowlist names instances the Terraform does not declare: {', '.join(extra)}")
    return {
        "line": control.line,
        "job": control.job,
        "step": control.step,
        "tool": control.tool,
        "generation": control.generation or "",
        "verb": verb.text,
        "verb_source": verb.source.value,
        "instance": instance.text if instance else "",
        "instance_source": instance.source.value if instance else "",
        "allowed_verbs": list(control.allowed_verbs) if control.allowed_verbs is not None else [],
        "verb_allowlisted": control.allowed_verbs is not None,
        "allowed_instances": list(control.allowed_instances) if control.allowed_instances is not None else [],
        "instance_allowlisted": control.allowed_instances is not None,
        "unrestricted": bool(reasons),
        "reasons": reasons,
    }


def _origin_words(source: Source) -> str:
    return "the trigger" if source is Source.TRIGGER else "a value the auditor cannot trace"


def _identity_facts(identities: list[Identity], intent: Intent, roles: RoleLookup) -> dict[str, Any]:
    accounts = [i.service_account for i in identities if i.service_account]
    unresolved_accounts = [
        i.service_account_text or i.credentials_secret or i.kind.value for i in identities if not i.service_account
    ]
    bindings: list[dict[str, str]] = []
    known_roles: list[str] = []
    unresolved_roles: list[str] = []
    surplus: set[str] = set()
    for binding in _bindings_of(accounts, intent.bindings):
        role = binding.role
        bindings.append(
            {
                "address": binding.address,
                "role": str(role),
                "scope": str(binding.scope),
                "location": str(binding.location),
                "member": next(m.member for m in binding.members if any(email_matches(m, a) for a in accounts)),
            }
        )
        key = role_key(role)
        grant = roles(key) if key is not None else None
        if grant is None:
            unresolved_roles.append(str(role))
            continue
        known_roles.append(str(role))
        surplus |= {p for p in grant.permissions if p.startswith(_RELEVANT_PREFIXES) and p not in ALLOWED_PERMISSIONS}
    kinds = sorted({i.kind.value for i in identities})
    descriptions = list(dict.fromkeys(_describe(i) for i in identities))
    checked = bool(identities) and not unresolved_accounts and not unresolved_roles
    ordered = sorted(surplus, key=lambda p: (not p.startswith("notebooks.instances."), p))
    return {
        "identity_kind": kinds[0] if len(kinds) == 1 else ("none" if not kinds else "mixed"),
        "identity_line": identities[0].line if identities else 0,
        "identities": descriptions,
        "service_accounts": sorted(set(accounts)),
        "service_account": ", ".join(sorted(set(accounts))) or ", ".join(unresolved_accounts),
        "service_account_resolved": bool(identities) and not unresolved_accounts,
        "identity_checked": checked,
        "identity_roles": sorted(set(known_roles)),
        "identity_unresolved_roles": sorted(set(unresolved_roles)),
        "identity_bindings": bindings,
        "identity_binding_locations": [f"{b['address']} ({b['location']})" for b in bindings],
        "identity_surplus_permissions": ordered,
        "identity_surplus_count": len(ordered),
    }


def _describe(identity: Identity) -> str:
    if identity.kind is IdentityKind.KEY:
        account = f"service account {identity.service_account} " if identity.service_account else "the service account "
        return f"{account}whose key is read from {_bare(identity.credentials_secret)}"
    how = (
        "workload identity federation"
        if identity.kind is IdentityKind.WORKLOAD_IDENTITY
        else "google-github-actions/auth"
    )
    account = identity.service_account or f"{_bare(identity.service_account_text) or '(none given)'} (unresolved)"
    return f"service account {account} through {how}"


def _bare(text: str) -> str:
    """`${{ secrets.KEY }}` -> `secrets.KEY`: expressions are named, never rendered as markup."""
    match = re.fullmatch(r"\s*\$\{\{\s*(.*?)\s*\}\}\s*", text)
    return match.group(1) if match else text


def _bindings_of(accounts: list[str], bindings: Iterable[Binding]) -> list[Binding]:
    return [b for b in bindings if any(email_matches(m, a) for m in b.members for a in accounts)]


def effective_access(facts: Mapping[str, Any]) -> str:
    """Who can trigger the workflow, as which identity, and which notebook permissions beyond start/stop."""
    who = facts["triggered_by"]
    who = who[0].upper() + who[1:]
    kind = facts["identity_kind"]
    if kind == "none":
        identity = "with no Google Cloud identity of its own (no google-github-actions/auth step)"
        if facts["controls_notebooks"]:
            identity += ", so gcloud runs as whatever credentials the runner has"
    else:
        identity = "as " + " or as ".join(facts["identities"])
    sentence = f"{who} can trigger this workflow and run it {identity}"
    if kind == "none" and not facts["controls_notebooks"]:
        return sentence + "."
    surplus = facts["identity_surplus_permissions"]
    clauses = []
    if surplus:
        shown = ", ".join(surplus[:8]) + (f" and {len(surplus) - 8} more" if len(surplus) > 8 else "")
        clauses.append(f"which in the Terraform holds notebook permissions beyond start and stop: {shown}")
    if facts["identity_unresolved_roles"]:
        roles = ", ".join(facts["identity_unresolved_roles"])
        clauses.append(f"it holds roles whose permissions are unknown ({roles}), so nothing can be ruled out")
    if not facts["service_account_resolved"]:
        clauses.append("a service account not written in the workflow could not be checked against the Terraform")
    if not clauses:
        if not facts["identity_bindings"]:
            clauses.append("which the Terraform grants no role (it may be granted outside it)")
        else:
            clauses.append(
                "which in the Terraform holds nothing beyond start, stop, get and list on notebook instances"
            )
    return sentence + ", " + "; ".join(clauses) + "."


@dataclass(frozen=True, slots=True)
class WorkflowFacts:
    """The `workflow` variables: one workflow judged against the Terraform beside it."""

    path: Annotated[str, "The workflow file, relative to the scanned directory (the finding's resource)."]
    name: Annotated[str, "The workflow's `name:`, or its file name."]
    line: Annotated[int, "First line of the workflow document."]
    fragment: Annotated[bool, "A bare list of steps (a README snippet) rather than a whole workflow."]
    triggers: Annotated[tuple[str, ...], "The `on:` events; for a fragment, the events its expressions imply."]
    triggered_by: Annotated[str, "Who can trigger it, in words (derived from the triggers)."]
    controls_notebooks: Annotated[
        bool, "A step controls notebook instances (`gcloud notebooks|workbench instances ...`, the notebooks REST API)."
    ]
    notebook_controls: Annotated[
        tuple[Mapping[str, Any], ...],
        "One map per such command: `line`, `job`, `step`, `tool` (`gcloud`/`rest`), `generation`, `verb`, "
        "`verb_source` (`literal`, `configuration`, `trigger`, `unknown`), `instance`, `instance_source`, "
        "`allowed_verbs`, `verb_allowlisted`, `allowed_instances`, `instance_allowlisted`, `unrestricted`, `reasons`.",
    ]
    notebook_controls_count: Annotated[int, "Number of notebook-controlling commands."]
    injections: Annotated[
        tuple[Mapping[str, Any], ...],
        "One map per attacker-controlled expression expanded into a script: `expression`, `text`, `line`, `job`, "
        "`step`, `sink` (`run` or `with.script`), `via_env` (the env variable it came through, or empty).",
    ]
    injections_count: Annotated[int, "Number of such expansions."]
    injection_expressions: Annotated[
        tuple[str, ...],
        "The distinct attacker-controlled context paths expanded (`github.event.client_payload.command`, ...).",
    ]
    injection_line: Annotated[int, "Line of the first injection; 0 when none."]
    unrestricted_operations_count: Annotated[
        int,
        "Notebook commands whose verb or instance comes from the trigger (or an untraceable value) without an "
        "allowlist of start/stop and of the declared instances, or that run another verb outright.",
    ]
    unrestricted_reasons: Annotated[tuple[str, ...], "Why each of those is unrestricted, one sentence each."]
    unrestricted_line: Annotated[int, "Line of the first unrestricted command; 0 when none."]
    authenticates_to_gcp: Annotated[bool, "A `google-github-actions/auth` step or a key-file gcloud login."]
    holds_cloud_identity: Annotated[bool, "Authenticates to Google Cloud or controls notebooks."]
    identity_kind: Annotated[str, "`workload_identity`, `key`, `other`, `mixed` (several kinds) or `none`."]
    identity_line: Annotated[int, "Line of the first authentication relevant to the notebook jobs; 0 if none."]
    identities: Annotated[tuple[str, ...], "Each identity in words (account and how it authenticates)."]
    service_accounts: Annotated[tuple[str, ...], "Service account emails written literally in the workflow."]
    service_account: Annotated[
        str, "Those emails comma-separated, or the unresolved expression/secret naming the account."
    ]
    service_account_resolved: Annotated[bool, "Every identity names its service account literally."]
    identity_checked: Annotated[
        bool, "The identity was checked against the Terraform: accounts literal and every role granted to them known."
    ]
    identity_roles: Annotated[tuple[str, ...], "Known roles the Terraform grants the workflow's accounts."]
    identity_unresolved_roles: Annotated[
        tuple[str, ...],
        "Roles granted to them whose permissions are unknown (undeclared custom role, unresolved name).",
    ]
    identity_bindings: Annotated[
        tuple[Mapping[str, Any], ...],
        "The Terraform bindings granting those accounts: `address`, `role`, `scope`, `location`, `member`.",
    ]
    identity_binding_locations: Annotated[tuple[str, ...], "The same bindings as `address (file:line)`, for messages."]
    identity_surplus_permissions: Annotated[
        tuple[str, ...],
        "`notebooks.*` and `compute.instances.*` permissions of those roles beyond start, stop, get, list (and "
        "`notebooks.operations.get`).",
    ]
    identity_surplus_count: Annotated[int, "Number of surplus permissions."]
    key_credentials_count: Annotated[
        int,
        "Authentications with a service-account key (`credentials_json`, `gcloud auth activate-service-account "
        "--key-file`).",
    ]
    key_secrets: Annotated[tuple[str, ...], "Where each key comes from (`${{ secrets.NAME }}`, `key file`)."]
    key_line: Annotated[int, "Line of the first key authentication; 0 when none."]
    unpinned_actions: Annotated[
        tuple[Mapping[str, Any], ...], "Actions not pinned to a full commit SHA: `uses`, `line`, `job`."
    ]
    unpinned_actions_count: Annotated[int, "Number of unpinned action uses."]
    unpinned_uses: Annotated[tuple[str, ...], "The distinct unpinned `uses:` values."]
    unpinned_line: Annotated[int, "Line of the first unpinned action; 0 when none."]
    effective_access: Annotated[
        str,
        "One sentence: who can trigger the workflow, as which service account, and which notebook permissions that "
        "gives them beyond start and stop.",
    ]

    @classmethod
    def of(cls, workflow: Workflow, intent: Intent, roles: RoleLookup, declared: set[str]) -> WorkflowFacts:
        facts = _workflow_facts(workflow, intent, roles, declared)
        return cls(**{name: _frozen(value) for name, value in facts.items()})


def _frozen(value: Any) -> Any:
    """Lists become tuples and dicts read-only mappings: the facts are as immutable as the model."""
    if isinstance(value, list):
        return tuple(_frozen(item) for item in value)
    if isinstance(value, dict):
        return MappingProxyType({key: _frozen(item) for key, item in value.items()})
    return value
