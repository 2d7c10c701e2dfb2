"""Drift: the live project compared with the Terraform intent.

Sits after both sources in the pipeline: it reads two `Intent`s (declared from Terraform, live from the reader) and
yields findings of kind `drift`. It reads neither the cloud nor Terraform, and never imports the Google libraries.
The IAM semantics (what each Terraform authority claims) are those of `shared/GCP-NOTES.md`.
"""

from __future__ import annotations

import fnmatch
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass

from auditor.hierarchy import project_of
from auditor.model import (
    DEFAULT_SERVICE_ACCOUNT,
    Accelerator,
    Authority,
    Binding,
    Finding,
    FindingKind,
    Intent,
    NotebookInstance,
    Principal,
    PrincipalKind,
    Scope,
    ScopeKind,
    Severity,
    Unresolved,
)

LiveViolations = Callable[[Binding, Principal], Severity | None]
"""The worst severity among the policies a live grant (binding, member) fails, or None when it fails none."""

UNEXPECTED_MEMBER = "drift-unexpected-member"
UNMANAGED_GRANT = "unmanaged-grant"
MISSING_MEMBER = "drift-missing-member"
PRIVILEGE_EXPANSION = "drift-privilege-expansion"
INSTANCE_CONFIG = "drift-instance-config"
UNMANAGED_INSTANCE = "unmanaged-instance"
MISSING_INSTANCE = "drift-missing-instance"
UNRESOLVED = "drift-unresolved"
"""Not a drift: a declared value that could not be resolved, so the comparison was not made (never a silent pass)."""

DRIFT_RULES: dict[str, tuple[str, str]] = {
    UNEXPECTED_MEMBER: (
        "A live member in a (role, condition) pair that Terraform owns",
        "Grant the access in Terraform if it is intended; otherwise revoke it (the next apply removes it anyway).",
    ),
    UNMANAGED_GRANT: (
        "A live grant that Terraform does not manage",
        "Bring the grant under Terraform or revoke it; judge it by the policies it fails.",
    ),
    MISSING_MEMBER: (
        "A grant that Terraform declares is absent live (or one it removes is still present)",
        "Run `terraform apply`, or find out who changed the policy outside Terraform.",
    ),
    PRIVILEGE_EXPANSION: (
        "Terraform grants the role under a condition; the live grant has no condition or another one",
        "Restore the condition (`terraform apply`) and find out who widened the grant.",
    ),
    INSTANCE_CONFIG: (
        "A notebook instance's live configuration differs from Terraform",
        "Find out who reconfigured or recreated the instance; `terraform apply` restores (or recreates) it.",
    ),
    UNMANAGED_INSTANCE: (
        "A live notebook instance that Terraform does not declare",
        "Import the instance into Terraform or delete it; only the platform team should create instances.",
    ),
    MISSING_INSTANCE: (
        "A notebook instance that Terraform declares does not exist live",
        "Run `terraform apply`, or find out who deleted the instance.",
    ),
    UNRESOLVED: (
        "Cannot compare: a declared value could not be resolved statically",
        "Set the variable (tfvars or `--var-file`) or audit a `terraform show -json` plan so the value is known.",
    ),
}
"""Rule id -> (title, remediation), for reporters and `auditor explain`."""

ScopeKey = tuple[ScopeKind, str]

_INSTANCE_KIND = {"v1": ScopeKind.NOTEBOOK_INSTANCE, "v2": ScopeKind.WORKBENCH_INSTANCE}
_EMAIL_KINDS = frozenset({PrincipalKind.USER, PrincipalKind.GROUP, PrincipalKind.SERVICE_ACCOUNT})


def compare(
    declared: Intent,
    live: Intent,
    *,
    live_violations: LiveViolations,
    projects: Collection[str] | None = None,
    unread: Collection[Scope] = (),
) -> list[Finding]:
    """Findings of kind `drift` between what Terraform declares and what the live read found, in a stable order.

    `projects`: the projects that were read; declared resources elsewhere are not compared (default: the projects
    seen in `live`). `unread`: scopes whose IAM policy could not be read (the report is incomplete anyway); nothing
    is claimed about their IAM. A name with shell wildcards means a listing failed, so the resources themselves are
    unknown there too: `Scope(WORKBENCH_INSTANCE, "projects/p/locations/us-west1-b/*")` for an unreachable location,
    `Scope(SERVICE_ACCOUNT, "*@p.iam.gserviceaccount.com")` when listing service accounts failed.
    """
    comparison = _Comparison(declared, live, live_violations, projects, unread)
    findings = [*comparison.grants(), *comparison.instances()]
    return sorted(findings, key=_order)


# --- normalisation ---


def _scope_key(scope: Scope) -> ScopeKey | None:
    """(kind, canonical name); None when the name is unresolved. Terraform and the API spell some names differently."""
    name = scope.name
    if isinstance(name, Unresolved):
        return None
    name = name.strip()
    match scope.kind:
        case ScopeKind.PROJECT:
            name = name.removeprefix("projects/")
        case ScopeKind.SERVICE_ACCOUNT:
            # `google_service_account.x.name` is `projects/P/serviceAccounts/EMAIL`; the live side uses the email.
            name = name.rpartition("/serviceAccounts/")[2] if "/serviceAccounts/" in name else name
            name = name.lower()
        case ScopeKind.FOLDER if name.isdigit():
            name = f"folders/{name}"
        case ScopeKind.ORGANIZATION if name.isdigit():
            name = f"organizations/{name}"
        case _:
            pass
    return (scope.kind, name)


def _project_of(key: ScopeKey) -> str | None:
    """The project a scope lives in, when its name says so."""
    kind, name = key
    if kind is ScopeKind.PROJECT:
        return name
    if kind is ScopeKind.SERVICE_ACCOUNT and name.endswith(".iam.gserviceaccount.com"):
        domain = name.partition("@")[2]
        return domain.removesuffix(".iam.gserviceaccount.com") or None
    if kind in (ScopeKind.NOTEBOOK_INSTANCE, ScopeKind.WORKBENCH_INSTANCE) and name.startswith("projects/"):
        return name.split("/")[1]
    return None


def _member_key(principal: Principal) -> str | None:
    """IAM compares emails case-insensitively; None when the member is unresolved."""
    if principal.kind is PrincipalKind.UNRESOLVED:
        return None
    if principal.kind in _EMAIL_KINDS or principal.kind is PrincipalKind.DOMAIN:
        prefix, _, rest = principal.member.partition(":")
        return f"{prefix}:{rest.lower()}"
    return principal.member


def _condition_key(binding: Binding) -> str | None:
    """The condition expression ("" for none); titles and descriptions are cosmetic. None when unresolved."""
    if binding.condition is None:
        return ""
    expression = binding.condition.expression
    if isinstance(expression, Unresolved):
        return None
    return expression.strip()


def _role_key(binding: Binding) -> str | None:
    return None if isinstance(binding.role, Unresolved) else binding.role.strip()


def _instance_key(instance: NotebookInstance) -> ScopeKey | None:
    if any(isinstance(part, Unresolved) for part in (instance.project, instance.zone, instance.name)):
        return None
    return (_INSTANCE_KIND.get(instance.generation, ScopeKind.WORKBENCH_INSTANCE), instance.full_name)


def _describe(principal: Principal) -> str:
    if principal.service_agent:
        return f"{principal.member} (Google-managed service agent)"
    return principal.member


def _condition_text(condition: str) -> str:
    return f"condition `{condition}`" if condition else "no condition"


def _order(finding: Finding) -> tuple[str, int, str, str, str, str, str]:
    return (
        finding.location.path,
        finding.location.line or 0,
        finding.rule,
        finding.resource,
        finding.role or "",
        finding.principal or "",
        finding.field or "",
    )


# --- grants ---


@dataclass(frozen=True, slots=True)
class _Grant:
    """One member of one binding, with each identity part canonical; None marks a part Terraform left unresolved."""

    binding: Binding
    principal: Principal
    scope: ScopeKey | None
    role: str | None
    condition: str | None
    member: str | None

    @property
    def resolved(self) -> bool:
        return None not in (self.scope, self.role, self.condition, self.member)

    @property
    def key(self) -> tuple[ScopeKey | None, str | None, str | None, str | None]:
        return (self.scope, self.role, self.condition, self.member)

    def could_be(self, other: _Grant) -> bool:
        """Whether this (partly unresolved) declared grant could turn out to be the resolved grant `other`."""
        return all(mine is None or mine == theirs for mine, theirs in zip(self.key, other.key, strict=True))


def _grants(bindings: Iterable[Binding]) -> Iterator[_Grant]:
    for binding in bindings:
        scope, role, condition = _scope_key(binding.scope), _role_key(binding), _condition_key(binding)
        for principal in binding.members:
            yield _Grant(binding, principal, scope, role, condition, _member_key(principal))


def _first(bindings: Iterable[Binding]) -> Binding:
    """The declaring resource a finding points at when several qualify: the first in source order."""
    return min(bindings, key=lambda b: (b.location.path, b.location.line or 0, b.address))


class _Comparison:
    """One comparison run: indexes both sides once, then yields findings."""

    def __init__(
        self,
        declared: Intent,
        live: Intent,
        live_violations: LiveViolations,
        projects: Collection[str] | None,
        unread: Collection[Scope],
    ) -> None:
        self.declared = declared
        self.live = live
        self.live_violations = live_violations
        self.unread = [key for key in map(_scope_key, unread) if key is not None]

        live_scopes = {key for key in map(_scope_key, (b.scope for b in live.bindings)) if key is not None}
        live_scopes |= {(ScopeKind.SERVICE_ACCOUNT, str(sa.email).lower()) for sa in live.service_accounts}
        live_scopes |= {key for key in map(_instance_key, live.instances) if key is not None}
        self.live_scopes = live_scopes
        if projects is None:
            projects = {p for p in map(_project_of, live_scopes) if p is not None}
            projects |= {sa.project for sa in live.service_accounts if isinstance(sa.project, str)}
        self.projects = {p.removeprefix("projects/") for p in projects}

        # Instances Terraform declares that do not exist live: their IAM is covered by `drift-missing-instance`.
        live_instances = {key for key in map(_instance_key, live.instances) if key is not None}
        self.missing_instance_scopes = {
            key
            for key in map(_instance_key, declared.instances)
            if key is not None and key not in live_instances and self.audited(key, listing=True)
        }

        # Unresolved parts make a declared grant a pattern; such declarations get one `drift-unresolved` note each.
        self.unresolved_candidates: dict[int, list[str]] = defaultdict(list)

    def audited(self, key: ScopeKey | None, *, listing: bool = False) -> bool:
        """Whether the live read covered this scope's IAM (or, with `listing`, the resource itself), so that absence
        live means something. A failed IAM read leaves the listed resource's own configuration comparable."""
        if key is None:
            return True  # unknown scope: it might be one that was read
        for kind, pattern in self.unread:
            wildcard = any(c in pattern for c in "*?[")
            if kind is key[0] and (wildcard or not listing) and fnmatch.fnmatchcase(key[1], pattern):
                return False
        project = _project_of(key)
        return key in self.live_scopes if project is None else project in self.projects

    # The heart of the IAM comparison. Each live grant is explained by exactly one of: declared as is; declared
    # absent (`_member_remove`); declared only with a condition (expansion); possibly declared (unresolved);
    # in a pair Terraform owns (unexpected); or not managed at all.
    def grants(self) -> Iterator[Finding]:
        declared_bindings = [b for b in self.declared.bindings if b.authority is not Authority.LIVE]
        exact: dict[tuple, list[_Grant]] = defaultdict(list)
        removes: dict[tuple, list[_Grant]] = defaultdict(list)
        conditions: dict[tuple, set[str]] = defaultdict(set)
        patterns: list[_Grant] = []
        for grant in _grants(declared_bindings):
            if not grant.resolved:
                patterns.append(grant)
            elif grant.binding.authority is Authority.REMOVE:
                removes[grant.key].append(grant)
            else:
                exact[grant.key].append(grant)
                conditions[(grant.scope, grant.role, grant.member)].add(grant.condition)

        owners_of_scope: dict[ScopeKey, list[Binding]] = defaultdict(list)
        owners_of_pair: dict[tuple, list[Binding]] = defaultdict(list)
        for binding in declared_bindings:
            scope = _scope_key(binding.scope)
            if scope is None:
                continue
            if binding.authority is Authority.POLICY:
                owners_of_scope[scope].append(binding)
            elif binding.authority is Authority.BINDING:
                role, condition = _role_key(binding), _condition_key(binding)
                if role is not None and condition is not None:
                    owners_of_pair[(scope, role, condition)].append(binding)

        present: set[tuple] = set()
        expanded: set[tuple] = set()
        for grant in _grants(self.live.bindings):
            if grant.scope is None or not self.audited(grant.scope):
                continue
            key = grant.key
            if key in exact:
                present.add(key)
                continue
            if key in removes:
                yield self._still_present(grant, _first(g.binding for g in removes[key]))
                continue
            declared_conditions = conditions.get((grant.scope, grant.role, grant.member), set())
            if declared_conditions and "" not in declared_conditions:
                declared = [g for c in declared_conditions for g in exact[(grant.scope, grant.role, c, grant.member)]]
                expanded.update(g.key for g in declared)
                yield self._expansion(grant, declared)
                continue
            candidates = [p for p in patterns if p.could_be(grant)]
            if candidates:
                for pattern in candidates:
                    self.unresolved_candidates[id(pattern.binding)].append(grant.principal.member)
                continue
            owners = owners_of_pair.get((grant.scope, grant.role, grant.condition)) or owners_of_scope.get(grant.scope)
            if owners:
                yield self._unexpected(grant, _first(owners))
            else:
                yield self._unmanaged(grant)

        for key, grants in exact.items():
            scope = key[0]
            if key in present or key in expanded or not self.audited(scope) or scope in self.missing_instance_scopes:
                continue
            yield self._missing(grants[0], _first(g.binding for g in grants))

        noted: set[int] = set()
        for pattern in patterns:
            if id(pattern.binding) in noted or not self.audited(pattern.scope):
                continue
            noted.add(id(pattern.binding))
            yield self._unresolved_binding(pattern.binding)

    def _unmanaged(self, grant: _Grant) -> Finding:
        severity = self.live_violations(grant.binding, grant.principal)
        who = _describe(grant.principal)
        fails = f"; it fails a {severity.value} policy" if severity else ""
        agent = " Service agents are granted by Google when an API is enabled." if grant.principal.service_agent else ""
        return _grant_finding(
            UNMANAGED_GRANT,
            severity or Severity.INFO,
            grant,
            grant.binding,
            f"{who} holds {grant.role} ({_condition_text(grant.condition or '')}) on {grant.binding.address}, "
            f"which Terraform does not manage{fails}.{agent}",
        )

    def _unexpected(self, grant: _Grant, owner: Binding) -> Finding:
        severity = Severity.HIGH if self.live_violations(grant.binding, grant.principal) else Severity.MEDIUM
        owns = (
            "the whole IAM policy"
            if owner.authority is Authority.POLICY
            else f"the pair ({grant.role}, {_condition_text(grant.condition or '')})"
        )
        agent = (
            " Removing a service agent's grant can break the Google service that relies on it: declare it."
            if grant.principal.service_agent
            else ""
        )
        return _grant_finding(
            UNEXPECTED_MEMBER,
            severity,
            grant,
            owner,
            f"{_describe(grant.principal)} holds {grant.role} on {grant.binding.address} live, but {owner.address} "
            f"owns {owns} and does not list it: the next apply removes it.{agent}",
        )

    def _still_present(self, grant: _Grant, remover: Binding) -> Finding:
        return _grant_finding(
            MISSING_MEMBER,
            Severity.MEDIUM,
            grant,
            remover,
            f"{remover.address} removes {_describe(grant.principal)} from {grant.role} on {grant.binding.address}, "
            "but the grant is still present live.",
        )

    def _expansion(self, grant: _Grant, declared: list[_Grant]) -> Finding:
        owner = _first(g.binding for g in declared)
        wanted = ", ".join(sorted(f"`{g.condition}`" for g in declared))
        live = "without a condition" if not grant.condition else f"under another condition `{grant.condition}`"
        return _grant_finding(
            PRIVILEGE_EXPANSION,
            Severity.HIGH,
            grant,
            owner,
            f"{_describe(grant.principal)} holds {grant.role} on {grant.binding.address} {live}; "
            f"{owner.address} grants it only under {wanted}.",
            declared=wanted,
            live=grant.condition or "(no condition)",
        )

    def _missing(self, grant: _Grant, declaring: Binding) -> Finding:
        where = f"{grant.scope[0].value.replace('_', ' ')} {grant.scope[1]}" if grant.scope else str(declaring.scope)
        return _grant_finding(
            MISSING_MEMBER,
            Severity.MEDIUM,
            grant,
            declaring,
            f"{declaring.address} grants {grant.role} ({_condition_text(grant.condition or '')}) to "
            f"{_describe(grant.principal)} on {where}, but the grant is absent live.",
        )

    def _unresolved_binding(self, binding: Binding) -> Finding:
        parts = binding.unresolved or tuple(
            str(value)
            for value in (binding.scope.name, binding.role, *(p.value for p in binding.members))
            if isinstance(value, Unresolved)
        )
        candidates = sorted(set(self.unresolved_candidates.get(id(binding), [])))
        could = f" Live grants it could match: {', '.join(candidates)}." if candidates else ""
        return Finding(
            rule=UNRESOLVED,
            severity=Severity.INFO,
            kind=FindingKind.DRIFT,
            resource=binding.address,
            message=f"Cannot compare {binding.address} with the live policy: declared value unresolved "
            f"({', '.join(parts) or 'unknown'}).{could}",
            location=binding.location,
            role=None if isinstance(binding.role, Unresolved) else binding.role,
            remediation=DRIFT_RULES[UNRESOLVED][1],
        )

    # --- instances -------------------------------------------------------------------------------------------------

    def instances(self) -> Iterator[Finding]:
        live_by_key: dict[ScopeKey, NotebookInstance] = {}
        for instance in sorted(self.live.instances, key=lambda i: i.address):
            key = _instance_key(instance)
            if key is not None:
                live_by_key.setdefault(key, instance)

        matched: set[ScopeKey] = set()
        unresolved: list[NotebookInstance] = []
        for instance in sorted(self.declared.instances, key=lambda i: (i.location.path, i.location.line or 0)):
            key = _instance_key(instance)
            if key is None:
                unresolved.append(instance)
                continue
            if not self.audited(key, listing=True) or key in matched:
                continue  # another project; or a duplicate declaration (the model reports conflicts)
            live = live_by_key.get(key)
            if live is None:
                yield _instance_finding(
                    MISSING_INSTANCE,
                    Severity.MEDIUM,
                    instance,
                    f"{instance.address} declares {instance.full_name} ({instance.generation}), which does not exist "
                    "live; its declared IAM grants are not compared.",
                )
                continue
            matched.add(key)
            yield from _config_drift(instance, live)

        possibly_declared: set[ScopeKey] = set()
        for instance in unresolved:
            could = [key for key, live in live_by_key.items() if _could_be(instance, live)]
            possibly_declared.update(could)
            parts = ", ".join(
                str(v) for v in (instance.project, instance.zone, instance.name) if isinstance(v, Unresolved)
            )
            names = f" Live instances it could be: {', '.join(k[1] for k in sorted(could))}." if could else ""
            yield _instance_finding(
                UNRESOLVED,
                Severity.INFO,
                instance,
                f"Cannot compare {instance.address} with the live project: its name or location is unresolved "
                f"({parts}).{names}",
            )

        for key, live in sorted(live_by_key.items(), key=lambda item: (item[0][0].value, item[0][1])):
            if key in matched or key in possibly_declared or not self.audited(key, listing=True):
                continue
            runs_as = (
                "the default compute service account" if live.uses_default_service_account else live.service_account
            )
            yield Finding(
                rule=UNMANAGED_INSTANCE,
                severity=Severity.MEDIUM,
                kind=FindingKind.DRIFT,
                resource=live.address,
                message=f"{live.full_name} ({live.generation}, runs as {runs_as}) exists live but no Terraform "
                "resource declares it.",
                location=live.location,
                remediation=DRIFT_RULES[UNMANAGED_INSTANCE][1],
            )


def _grant_finding(
    rule: str,
    severity: Severity,
    grant: _Grant,
    at: Binding,
    message: str,
    *,
    declared: str | None = None,
    live: str | None = None,
) -> Finding:
    return Finding(
        rule=rule,
        severity=severity,
        kind=FindingKind.DRIFT,
        resource=at.address,
        message=message,
        location=at.location,
        principal=grant.principal.member,
        role=grant.role,
        remediation=DRIFT_RULES[rule][1],
        declared=declared,
        live=live,
        project=project_of(grant.binding.scope),
    )


def _instance_finding(rule: str, severity: Severity, instance: NotebookInstance, message: str, **fields) -> Finding:
    return Finding(
        rule=rule,
        severity=severity,
        kind=FindingKind.DRIFT,
        resource=instance.address,
        message=message,
        location=instance.location,
        remediation=DRIFT_RULES[rule][1],
        project=instance.project if isinstance(instance.project, str) else None,
        **fields,
    )


def _could_be(declared: NotebookInstance, live: NotebookInstance) -> bool:
    pairs = ((declared.project, live.project), (declared.zone, live.zone), (declared.name, live.name))
    same_generation = declared.generation == live.generation
    return same_generation and all(isinstance(d, Unresolved) or d == v for d, v in pairs)


# --- instance configuration ---

_Comparable = str | bool | tuple | None


def _machine_type(value: str) -> str:
    """v1 reports a URL (`.../zones/Z/machineTypes/n1-standard-4`), v2 and Terraform the bare name."""
    return value.rstrip("/").rpartition("/")[2].lower()


def _service_account(value: str) -> str:
    """The default compute account may appear as unset (Terraform) or as `N-compute@developer...` (API)."""
    value = value.strip().lower()
    if value in ("", DEFAULT_SERVICE_ACCOUNT) or value.endswith("-compute@developer.gserviceaccount.com"):
        return DEFAULT_SERVICE_ACCOUNT
    return value


def _accelerators(value: tuple[Accelerator, ...]) -> tuple[tuple[str, int], ...] | Unresolved:
    for accelerator in value:
        for part in (accelerator.type, accelerator.core_count):
            if isinstance(part, Unresolved):
                return part
    return tuple(sorted((str(a.type).upper(), int(a.core_count)) for a in value))  # type: ignore[arg-type]


def _show(value: object) -> str:
    if value is None:
        return "(not set)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ", ".join(f"{kind} x{count}" for kind, count in value) or "(none)"
    return str(value)


def _config_drift(declared: NotebookInstance, live: NotebookInstance) -> Iterator[Finding]:
    """One finding per differing field; a declared value that is unresolved is reported, never taken as equal."""
    fields: list[tuple[str, object, object, Callable[[object], _Comparable]]] = [
        ("machine_type", declared.machine_type, live.machine_type, _machine_type),
        ("accelerators", _accelerators(declared.accelerators), _accelerators(live.accelerators), lambda v: v),
        ("image", declared.image, live.image, lambda v: str(v).strip()),
        ("service_account", declared.service_account, live.service_account, _service_account),
        ("public_ip", declared.public_ip, live.public_ip, bool),
        ("shielded_vm.secure_boot", declared.shielded_vm.secure_boot, live.shielded_vm.secure_boot, bool),
        ("shielded_vm.vtpm", declared.shielded_vm.vtpm, live.shielded_vm.vtpm, bool),
        (
            "shielded_vm.integrity_monitoring",
            declared.shielded_vm.integrity_monitoring,
            live.shielded_vm.integrity_monitoring,
            bool,
        ),
    ]
    for name, want, have, normalise in fields:
        if want is None:
            continue  # not declared: the API default applies and Terraform does not manage it
        if isinstance(want, Unresolved):
            yield _instance_finding(
                UNRESOLVED,
                Severity.INFO,
                declared,
                f"Cannot compare {name} of {declared.full_name}: declared value unresolved ({want.expression}); "
                f"live value is {_show(have)}.",
                field=name,
                declared=str(want),
                live=_show(have),
            )
            continue
        if have is not None and not isinstance(have, Unresolved) and normalise(want) == normalise(have):
            continue
        yield _instance_drift(declared, live, name, want, have)


def _instance_drift(
    declared: NotebookInstance, live: NotebookInstance, name: str, want: object, have: object
) -> Finding:
    label = name.replace("shielded_vm.", "shielded VM ").replace("_", " ")
    message = f"{declared.full_name}: {label} is {_show(have)} live, {_show(want)} in Terraform."
    if name == "service_account":
        live_sa = "the default compute service account" if live.uses_default_service_account else _show(have)
        message = f"{declared.full_name} runs as {live_sa} live ({_show(have)}); Terraform declares {_show(want)}."
        if declared.generation == "v2":
            message += (
                " A Workbench instance's service account is immutable: the instance was recreated outside Terraform."
            )
    return _instance_finding(
        INSTANCE_CONFIG,
        Severity.HIGH if name == "service_account" else Severity.MEDIUM,
        declared,
        message,
        field=name,
        declared=_show(want),
        live=_show(have),
    )
