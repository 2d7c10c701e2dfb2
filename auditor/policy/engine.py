"""The policy engine: compiles CEL conditions once and evaluates them on subjects built from the model.

Engine choice, measured by benchmarks/cel_engines.py (figures in benchmarks/results/cel-engines.txt; 2 cores,
Python 3.11, the 14 built-in conditions, each on an activation of its subject; member: 101 permissions):

    engine                                     import     compile/condition   evaluate/activation
    celpy 0.5 (cel-python, pure Python)        154 ms     1,084 us            898 us (787 us lean)
    cel 0.10 (common-expression-language)      294 ms        58 us            259 us (122 us lean)
      its extension module loaded alone         25 ms
      one Context per subject, shared                                          33 us

We use `common-expression-language` (Rust): ~19x faster to compile, 3.5-6.5x faster per evaluation from a dict
and ~27x with the shared Context the engine uses, and ~130 ms cheaper to import when its extension is loaded
on its own (celpy has no equivalent of the shared, pre-converted context). Its package `__init__` imports its
own REPL (typer, prompt_toolkit: ~270 ms), so `_load_rust_cel` loads the compiled module directly and falls
back to `import cel`.

Converting a Python activation into CEL values dominates (~5 us a value), so `evaluate` converts only the
variables a group of conditions reads, once per subject into a shared `Context`, and memoizes verdicts per
distinct set of those values (conditions are pure). End to end with the real role catalog: 2,000 bindings over
six roles plus 500 instances (5,331 findings) in 223 ms; 2,000 clean bindings in 109 ms.

Evaluation errors (a missing key, a type mismatch, a non-boolean result) raise `PolicyError` naming the policy
file, id and resource: a condition that cannot be evaluated is never read as "no violation".
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import re
import sys
from collections.abc import Callable, Collection, Hashable, Iterator, Mapping, Sequence
from functools import cache, partial
from operator import attrgetter, itemgetter
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, assert_never

from auditor.errors import PolicyError, did_you_mean
from auditor.model import CustomRole, Finding, FindingKind, Intent, Location
from auditor.policy.facts import (
    SUBJECTS,
    VARIABLES,
    Subject,
    binding_activation,
    binding_subject,
    conflict_subject,
    instance_subject,
    key_subject,
    member_subjects,
    sample_activation,
    service_account_subject,
    variable_names,
    workflow_subjects,
)
from auditor.policy.facts.base import as_activation, cel_value, fact
from auditor.policy.schema import Policy, SubjectKind
from auditor.roles.catalog import RoleLookup, catalog_lookup

if TYPE_CHECKING:
    from auditor.access.graph import AccessGraph
    from auditor.workflows.model import Workflow


@cache
def _load_rust_cel() -> ModuleType:
    """The `cel` extension module without its package `__init__` (which imports a REPL we never use)."""
    # The extension may be initialised only once per process (a second init panics in its logger setup), so
    # reuse it when anything imported it already, and register ours so a later `import cel` reuses it too.
    loaded = sys.modules.get("cel.cel")
    if loaded is not None:
        return loaded
    spec = importlib.util.find_spec("cel")
    if spec is None or not spec.submodule_search_locations:
        raise PolicyError("the CEL engine is not installed (pip package common-expression-language)")
    for directory in spec.submodule_search_locations:
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = Path(directory) / f"cel{suffix}"
            if path.is_file():
                loader = importlib.machinery.ExtensionFileLoader("cel.cel", str(path))
                extension_spec = importlib.util.spec_from_file_location("cel.cel", path, loader=loader)
                if extension_spec is None:
                    continue
                module = importlib.util.module_from_spec(extension_spec)
                try:
                    loader.exec_module(module)
                except ImportError:
                    continue
                sys.modules["cel.cel"] = module
                return module
    import cel  # the layout changed: pay for the full package rather than fail

    return cel


def compile_condition(condition: str) -> Any:
    """Compile a CEL expression; a syntax error raises ValueError with the engine's caret diagnostic."""
    return _load_rust_cel().compile(condition)


# --- message templates --------------------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


def template_fields(template: str) -> list[str]:
    """The `{dotted.variable}` placeholders of a message template (`{{`/`}}` are literal braces)."""
    return [match.group(1).strip() for match in _PLACEHOLDER.finditer(template) if match.group(1) is not None]


def _render_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        items = [_render_value(v) for v in value]
        # Items that are sentences (a workflow's reasons) hold commas themselves: keep them apart.
        separator = "; " if any("," in item for item in items) else ", "
        return separator.join(items) or "none"
    if isinstance(value, dict):
        return ", ".join(f"{k}={_render_value(v)}" for k, v in sorted(value.items())) or "none"
    return str(value)


def render_message(template: str, activation: Mapping[str, Any]) -> str:
    return "".join(
        part if isinstance(part, str) else _render_value(cel_value(fact(activation[part[0]], part[1])))
        for part in _template_parts(template)
    )


@cache
def _template_parts(template: str) -> tuple[str | tuple[str, str], ...]:
    """A message template split once into literal text and (top, name) placeholders: a policy's message is
    rendered for each of its findings."""
    parts: list[str | tuple[str, str]] = []
    end = 0
    for match in _PLACEHOLDER.finditer(template):
        parts.append(template[end : match.start()])
        end = match.end()
        if match.group(1) is None:
            parts.append(match.group(0)[0])  # `{{` or `}}`: a literal brace
        else:
            top, _, name = match.group(1).strip().partition(".")
            parts.append((top, name))
    parts.append(template[end:])
    return tuple(part for part in parts if part != "")


# --- static checks the loader runs after compiling ----------------------------------------------------------------

_STRING_LITERAL = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_FIELD_ACCESS = re.compile(r"(?<![\w.])([a-z_]+)\.([a-z_]+)\b")


def check_policy(policy: Policy) -> None:
    """Refuse conditions and messages that name variables their subject does not have, and dry-run the
    condition on an all-zero activation, so a typo fails at load time rather than on the first real subject."""
    if policy.subject is None:
        return  # a drift rule has nothing to evaluate
    known = variable_names(policy.subject)
    tops = {name.partition(".")[0] for name in known}
    code = _STRING_LITERAL.sub("''", policy.condition)
    _check_identifiers(policy, policy.subject, code, tops)
    if policy.line is not None and not any(
        v.name == policy.line and v.type == "int" for v in VARIABLES[policy.subject]
    ):
        raise PolicyError(
            f"{policy.source}: {policy.id}: line: {policy.line} is not an int variable of a "
            f"{policy.subject.value} subject (see docs/policy-variables.md)"
        )
    for top, attribute in _FIELD_ACCESS.findall(code):
        if top in tops and f"{top}.{attribute}" not in known:
            raise PolicyError(
                f"{policy.source}: {policy.id}: condition reads {top}.{attribute}, "
                f"which a {policy.subject.value} subject does not have (see docs/policy-variables.md)"
            )
    for placeholder in template_fields(policy.message):
        if placeholder not in known:
            raise PolicyError(
                f"{policy.source}: {policy.id}: message placeholder {{{placeholder}}} is not a variable of a "
                f"{policy.subject.value} subject (see docs/policy-variables.md)"
            )
    sample = sample_activation(policy.subject)
    try:
        policy.program.execute(sample)
    except KeyError:
        return  # a map key the all-empty sample lacks (`instance.metadata['owner']`); typos of fields are caught above
    except Exception:
        pass  # `_evaluate` below fails the same way, with the formatted error
    _evaluate(policy, sample, "a sample subject")  # raises that error, or checks the result is a bool


_CEL_NAMES = frozenset(
    {"true", "false", "null", "in", "has", "size", "int", "uint", "double", "string", "bool", "bytes", "list", "map"}
    | {"type", "dyn", "null_type", "duration", "timestamp", "matches"}
)
_IDENTIFIER = re.compile(r"(?<![\w.])([A-Za-z_]\w*)(?!\w)(?!\s*\()")
_MACRO_VARIABLE = re.compile(r"\.(?:all|exists|exists_one|filter|map)\(\s*([A-Za-z_]\w*)\s*,")


def _check_identifiers(policy: Policy, subject: SubjectKind, code: str, tops: set[str]) -> None:
    """Refuse a condition (`code`, its string literals blanked) naming a variable its subject does not have
    (`princpal.human`): CEL would only fail on it at evaluation, and `false && <error>` is false, so a typo could
    pass every run unnoticed."""
    bound = set(_MACRO_VARIABLE.findall(code))
    for name in _IDENTIFIER.findall(code):
        if name in tops or name in bound or name in _CEL_NAMES:
            continue
        hint = did_you_mean(name, tops)
        raise PolicyError(
            f"{policy.source}: {policy.id}: condition reads an unknown variable {name!r}{hint}; a "
            f"{subject.value} subject has {', '.join(sorted(tops))} "
            "(see docs/policy-variables.md)"
        )


def _evaluate(policy: Policy, activation: Any, resource: str) -> bool:
    """Run one condition; `activation` is a dict or a `cel.Context` shared by every policy of the subject."""
    try:
        result = policy.program.execute(activation)
    except Exception as error:  # the engine raises KeyError, TypeError, RuntimeError, ValueError
        detail = error.args[0] if isinstance(error, KeyError) and error.args else error
        kind = "no such key" if isinstance(error, KeyError) else type(error).__name__
        raise PolicyError(f"{policy.source}: {policy.id}: could not evaluate on {resource}: {kind}: {detail}") from None
    if not isinstance(result, bool):
        raise PolicyError(
            f"{policy.source}: {policy.id}: condition must be true or false, got {type(result).__name__} "
            f"{result!r} on {resource}"
        )
    return result


# --- evaluation ---------------------------------------------------------------------------------------------------


_VARIABLE_USE = re.compile(r"(?<![\w.])([A-Za-z_]\w*)(?:\.([A-Za-z_]\w*))?")


def condition_fields(policy: Policy) -> frozenset[str] | None:
    """The documented `top.field` variables a condition reads, or None when it reads a subject variable in a way
    this scan cannot see through (bare `principal`, `role['name']`, a macro variable named like a subject)."""
    if policy.subject is None:
        return frozenset()  # a drift rule reads nothing
    tops = {top for top, _ in SUBJECTS[policy.subject].tops}  # not the variables: those need the type hints
    fields: set[str] = set()
    for top, attribute in _VARIABLE_USE.findall(_STRING_LITERAL.sub("''", policy.condition)):
        if top not in tops:
            continue
        if not attribute:
            return None
        fields.add(f"{top}.{attribute}")
    return frozenset(fields)


def _hashable(value: Any) -> Hashable:
    # Each position of a memo key is one typed variable, so True and 1 can never meet in the same slot.
    if isinstance(value, Mapping):
        return tuple(sorted((key, _hashable(item)) for key, item in value.items()))
    if isinstance(value, (tuple, list)):
        return tuple(_hashable(item) for item in value)
    return value  # type: ignore[no-any-return]  # str, int, bool, frozenset (permissions hash as they are)


def _pruned(activation: Mapping[str, Any], fields: Sequence[tuple[str, str]] | None) -> dict[str, Any]:
    """Only the variables the group's conditions read, converted to CEL values: converting costs ~5 us a value,
    far more than evaluating, and a member subject has ~50 values of which a condition reads a few (and the
    permissions of roles/owner alone are ~13,500)."""
    if fields is None:
        return as_activation(activation)
    pruned: dict[str, dict[str, Any]] = {}
    for top, attribute in fields:
        pruned.setdefault(top, {})[attribute] = cel_value(fact(activation[top], attribute))
    return pruned


class _Reader:
    """Reads the memo key of a group's pruned activation: one `attrgetter` per facts object (or `itemgetter` for a
    plain dict, as in a sample activation), its raw values hashed as they are, converted only when one is not
    hashable (a mapping or list): ~50,000 `fact()`/`isinstance` calls fewer at 2,000 resources. A facts object
    shared by many subjects (a binding's, by its members; a role's, by every binding of it) is read once."""

    def __init__(self, fields: Sequence[tuple[str, str]]) -> None:
        tops: dict[str, list[str]] = {}
        for top, attribute in fields:
            tops.setdefault(top, []).append(attribute)
        self.fields = fields
        self.tops = [(top, attrgetter(*names), itemgetter(*names)) for top, names in tops.items()]
        self.read: dict[int, tuple[object, Any]] = {}
        """id(facts) -> (facts, its values): the object is held, so its id cannot be reused while it is here."""

    def __call__(self, activation: Mapping[str, Any]) -> Hashable:
        values = []
        for top, by_attribute, by_item in self.tops:
            facts = activation[top]
            seen = self.read.get(id(facts))
            if seen is not None and seen[0] is facts:
                values.append(seen[1])
                continue
            value = by_item(facts) if isinstance(facts, Mapping) else by_attribute(facts)
            self.read[id(facts)] = (facts, value)
            values.append(value)
        key = tuple(values)
        try:
            hash(key)
        except TypeError:
            return tuple(_hashable(fact(activation[top], attribute)) for top, attribute in self.fields)
        return key


def _memo_key(activation: Mapping[str, Any], fields: Sequence[tuple[str, str]] | None) -> Hashable:
    if fields is None:
        return _hashable(as_activation(activation))
    return tuple(_hashable(fact(activation[top], attribute)) for top, attribute in fields)


def subjects(
    intent: Intent,
    kind: SubjectKind,
    roles: RoleLookup,
    *,
    shared: dict[int, dict[str, Any]] | None = None,
    workflows: Sequence[Workflow] = (),
    administrators: Collection[str] = (),
    graph: Callable[[], AccessGraph] | None = None,
) -> Iterator[Subject]:
    """Every subject of `kind` in the intent; `shared` memoizes each binding's `binding`/`role` facts across the
    member and binding subject kinds; `workflows` become one subject each, judged against the intent; `graph`
    gives the intent's access graph when the caller shares one build across subject kinds."""
    match kind:
        case SubjectKind.MEMBER | SubjectKind.BINDING:
            cache = {} if shared is None else shared
            for index, binding in enumerate(intent.bindings):
                if index not in cache:
                    cache[index] = binding_activation(binding, roles)
                if kind is SubjectKind.MEMBER:
                    yield from member_subjects(binding, cache[index])
                else:
                    yield binding_subject(binding, cache[index])
        case SubjectKind.INSTANCE:
            yield from (instance_subject(i) for i in intent.instances)
        case SubjectKind.SERVICE_ACCOUNT:
            yield from (service_account_subject(a) for a in intent.service_accounts)
        case SubjectKind.KEY:
            yield from (key_subject(k) for k in intent.keys)
        case SubjectKind.CONFLICT:
            yield from (conflict_subject(c) for c in intent.conflicts)
        case SubjectKind.WORKFLOW:
            yield from workflow_subjects(workflows, intent, roles)
        case SubjectKind.ESCALATION:
            from auditor.access.subjects import escalation_subjects

            yield from escalation_subjects(intent, workflows, administrators, None if graph is None else graph())
        case _:
            assert_never(kind)


def evaluate(
    intent: Intent,
    policies: Sequence[Policy],
    kind: FindingKind = FindingKind.INTENT,
    custom_roles: Sequence[CustomRole] | Mapping[str, frozenset[str]] | None = None,
    roles: RoleLookup | None = None,
    workflows: Sequence[Workflow] = (),
    administrators: Collection[str] = (),
) -> list[Finding]:
    """Evaluate every policy on every subject of its kind; findings sorted worst first, then by place.

    `roles` resolves role names to permissions and facts; by default the role catalog with `custom_roles`
    (declared `CustomRole`s or role name -> permissions; default: the intent's own declared custom roles).
    `workflows` are the GitHub Actions workflows read beside the Terraform: `workflow` policies see each of them
    together with this intent (the service account a workflow runs as is looked up in its bindings).
    """
    if roles is None:
        roles = catalog_lookup(intent.custom_roles if custom_roles is None else custom_roles)
    groups: dict[SubjectKind, list[Policy]] = {}
    for policy in policies:
        if policy.subject is None:
            continue  # a drift rule: `auditor drift` judges it, not a condition
        if policy.program is None:
            raise PolicyError(f"{policy.source}: {policy.id}: condition was never compiled")
        groups.setdefault(policy.subject, []).append(policy)

    context_class = _load_rust_cel().Context
    admins = {a.lower() for a in administrators}
    shared: dict[int, dict[str, Any]] = {}
    findings: dict[tuple[str, str, str, str], Finding] = {}
    # Built once, only if a subject kind needs it, with the same role lookup as the direct policies.
    graph = cache(partial(_access_graph, intent, workflows, roles))
    for subject_kind, group in groups.items():
        read: frozenset[str] | None = frozenset()
        for policy in group:
            more = condition_fields(policy)
            read = None if more is None or read is None else read | more
        fields = None if read is None else [_split(name) for name in sorted(read)]
        memo_key_of = partial(_memo_key, fields=None) if fields is None else _Reader(fields)
        # Conditions are pure functions of the variables they read, and those repeat across subjects (the same
        # role, principal kind and scope kind): evaluate each distinct pruned activation once.
        verdicts: dict[Hashable, tuple[bool, ...]] = {}
        for subject in subjects(
            intent, subject_kind, roles, shared=shared, workflows=workflows, administrators=administrators, graph=graph
        ):
            memo_key = memo_key_of(subject.activation)
            if memo_key not in verdicts:
                # One context shared by the group's policies: the engine converts the variables once.
                context = context_class(_pruned(subject.activation, fields))
                verdicts[memo_key] = tuple(_evaluate(policy, context, subject.resource) for policy in group)
            for policy, violated in zip(group, verdicts[memo_key], strict=True):
                if not violated or (policy.effective and (subject.principal or "").lower() in admins):
                    continue  # an effective-access policy is not about the team's intended administrators
                key = (policy.id, subject.resource, subject.principal or "", subject.role or "")
                if key in findings:
                    continue
                message = render_message(policy.message, subject.activation)
                findings[key] = _finding(policy, kind, subject, message)
    effective = [p for p in policies if p.effective and p.subject is SubjectKind.MEMBER]
    if effective:
        from auditor.access.subjects import effective_member_subjects

        # A principal that already holds the permission directly is reported there; a path adds one finding per
        # first edge (the binding to remove), through whichever grant it reaches first.
        direct = {(f.rule, f.principal) for f in findings.values()}
        for subject, words in effective_member_subjects(intent, roles, workflows, administrators, graph()):
            context = context_class(as_activation(subject.activation))
            for policy in effective:
                key = (policy.id, subject.resource, subject.principal or "", "effective")
                if key in findings or (policy.id, subject.principal) in direct:
                    continue
                if not _evaluate(policy, context, subject.resource):
                    continue
                message = f"{render_message(policy.message, subject.activation)} {words}"
                findings[key] = _finding(policy, kind, subject, message)
    return sorted(findings.values(), key=finding_sort_key)


def _access_graph(intent: Intent, workflows: Sequence[Workflow], roles: RoleLookup) -> AccessGraph:
    from auditor.access.graph import build_graph

    return build_graph(intent, workflows, roles=roles)


def _finding(policy: Policy, kind: FindingKind, subject: Subject, message: str) -> Finding:
    return Finding(
        rule=policy.id,
        severity=policy.severity,
        kind=kind,
        resource=subject.resource,
        message=message,
        location=_location(subject, policy),
        principal=subject.principal,
        role=subject.role or None,
        remediation=policy.remediation,
        path=subject.path,
        permissions=subject.permissions,
    )


def _location(subject: Subject, policy: Policy) -> Location:
    """The subject's location, or the line its policy names (`line:` in the YAML: a workflow's offending step)."""
    location = subject.location if subject.location is not None else Location(subject.resource)
    if policy.line:
        top, _, attribute = policy.line.partition(".")
        line = fact(subject.activation[top], attribute)
        if isinstance(line, int) and line > 0:
            return Location(location.path, line)
    return location


def _split(name: str) -> tuple[str, str]:
    top, _, attribute = name.partition(".")
    return top, attribute


def finding_sort_key(finding: Finding) -> tuple[Any, ...]:
    return (
        -finding.severity.rank,
        finding.location.path,
        finding.location.line or 0,
        finding.rule,
        finding.resource,
        finding.principal or "",
        finding.role or "",
    )
