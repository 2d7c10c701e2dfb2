"""Plan source: `terraform show -json` output (plan or state, format 0.x and 1.x) into `ResourceInstance`s.

Values come from `planned_values` (and `prior_state` for data sources read at plan time); what Terraform marks
unknown in `after_unknown` becomes `Unresolved("<address>.<attribute path>")`. The `configuration` section
supplies provider defaults, tells "not set" apart from "computed", and points at source lines when the
Terraform directory is given too. `semantics.build_intent` turns the instances into the model.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.model import InputError, Location, Unresolved
from auditor.terraform.resources import ResourceInstance, Value, is_unresolved, policy_data_json

SUPPORTED_MAJOR_VERSIONS = ("0", "1")
"""Terraform keeps the JSON format backward compatible within a major version; 2.x would break it."""

COMPUTED_WHEN_UNSET = frozenset(
    {"project", "region", "zone", "location", "service_account", "email", "member", "name", "id", "unique_id"}
)
"""Top-level scalar attributes the provider computes when the configuration does not set them.

At plan time they show as unknown. When the configuration does not set them, "unknown" means "the default"
(the provider's project or zone, the default compute service account, an email derived from account_id),
which is what the HCL source expresses by leaving the attribute out; so the plan reader leaves it out too
and semantics applies the default. Nested blocks are not in the list: a `dynamic` block is missing from
the plan's configuration too, so there an unknown must stay unknown."""

_SERVICE_ACCOUNT_REFERENCE = re.compile(
    r"^google_service_account\.(?P<name>[A-Za-z_][\w-]*)(?P<key>\[[^\]]+\])?\.(?P<attribute>email|member|name|id)$"
)
_CUSTOM_ROLE_REFERENCE = re.compile(
    r"^(?P<type>google_(?:project|organization)_iam_custom_role)\.(?P<name>[A-Za-z_][\w-]*)(?P<key>\[[^\]]+\])?"
    r"\.(?P<attribute>name|id)$"
)
_IAM_POLICY_REFERENCE = re.compile(
    r"^data\.google_iam_policy\.(?P<name>[A-Za-z_][\w-]*)(?P<key>\[[^\]]+\])?\.policy_data$"
)
_MODULE_SEGMENT = re.compile(r'module\.(?P<name>[A-Za-z_][\w-]*)(?:\[(?:"(?:[^"\\]|\\.)*"|\d+)\])?')


@dataclass
class _ModuleConfig:
    """One module's `configuration` section: resource expressions by local address, and where its files are."""

    resources: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    directory: Path | None = None


@dataclass
class _Plan:
    """One plan file as read: its modules, provider and variable values, and what is known only after apply."""

    path: Path
    modules: dict[str, _ModuleConfig]
    """Keyed by module path without index keys: "" for root, "module.a.module.b"."""
    providers: Mapping[str, Any]
    variables: Mapping[str, Any]
    unknown: dict[str, Any]
    """`after_unknown` by full resource address."""
    block_lines: dict[Path, dict[tuple[str, str, str], int]] = field(default_factory=dict)


def read_plan(path: Path, source_dir: Path | None = None) -> tuple[list[ResourceInstance], list[InputError]]:
    """Read one `terraform show -json` file; never raises for bad input, returns errors instead."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return [], [InputError(str(path), f"cannot read plan: {error}")]
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        return [], [InputError(str(path), f"invalid JSON: {error.msg}", error.lineno, error.colno)]
    except RecursionError:
        return [], [InputError(str(path), "invalid JSON: nested too deeply")]

    problem = _not_a_plan(document)
    if problem:
        return [], [InputError(str(path), problem)]

    problems = _shape_problems(document)
    malformed = [InputError(str(path), f"malformed plan: {problem}") for problem in problems[:_MAX_PROBLEMS]]
    if len(problems) > _MAX_PROBLEMS:
        malformed.append(InputError(str(path), f"malformed plan: {len(problems) - _MAX_PROBLEMS} more problems"))
    try:
        plan = _Plan(
            path=path,
            modules=_module_configs(_dict(document.get("configuration")), source_dir),
            providers=_dict(_dict(document.get("configuration")).get("provider_config")),
            variables=_dict(document.get("variables")),
            unknown=_unknown_by_address(document.get("resource_changes")),
        )
        instances = list(_instances(document, plan))
        return _resolve_references(instances, plan), malformed
    except RecursionError:
        return [], [InputError(str(path), "plan is nested too deeply to read")]


def _not_a_plan(document: Any) -> str | None:
    if not isinstance(document, dict):
        return "not a Terraform plan: expected a JSON object (output of `terraform show -json`)"
    version = document.get("format_version")
    if not isinstance(version, str):
        return "not a Terraform plan: no format_version (expected output of `terraform show -json`)"
    if version.split(".")[0] not in SUPPORTED_MAJOR_VERSIONS:
        return f"unsupported plan format_version {version} (supported: 0.x, 1.x)"
    if not isinstance(document.get("planned_values", document.get("values")), dict):
        return "not a Terraform plan: no planned_values (or state values)"
    return None


_MAX_PROBLEMS = 5


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else "an object"


def _shape_problems(document: dict[str, Any]) -> list[str]:
    """Entries without the shape `terraform show -json` gives them: a malformed plan is an input error, never
    skipped past (a dropped entry could hide a grant; a stray `after_unknown: true` would make a known
    `roles/owner` look unknown)."""
    problems: list[str] = []
    changes = document.get("resource_changes")
    if changes is not None and not isinstance(changes, list):
        problems.append(f"resource_changes is {_json_type(changes)}, expected a list")
    for index, change in enumerate(_list(changes)):
        where = f"resource_changes[{index}]"
        if not isinstance(change, dict):
            problems.append(f"{where} is {_json_type(change)}, expected an object")
            continue
        if not isinstance(change.get("address"), str):
            problems.append(f"{where}.address is {_json_type(change.get('address'))}, expected a string")
        inner = change.get("change")
        if not isinstance(inner, dict):
            problems.append(f"{where}.change is {_json_type(inner)}, expected an object")
            continue
        unknown = inner.get("after_unknown")
        if unknown is not None and unknown is not False and not isinstance(unknown, dict):
            problems.append(f"{where}.change.after_unknown is {_json_type(unknown)}, expected an object")
    values = document.get("planned_values", document.get("values"))
    root = _dict(values).get("root_module")
    if root is not None:
        problems += _module_problems(root, "planned_values.root_module")
    return problems


def _module_problems(module: Any, where: str) -> list[str]:
    if not isinstance(module, dict):
        return [f"{where} is {_json_type(module)}, expected an object"]
    problems: list[str] = []
    for key in ("resources", "child_modules"):
        if module.get(key) is not None and not isinstance(module[key], list):
            problems.append(f"{where}.{key} is {_json_type(module[key])}, expected a list")
    for index, resource in enumerate(_list(module.get("resources"))):
        at = f"{where}.resources[{index}]"
        if not isinstance(resource, dict):
            problems.append(f"{at} is {_json_type(resource)}, expected an object")
            continue
        for field_name in ("address", "mode", "type", "name"):
            if not isinstance(resource.get(field_name), str):
                problems.append(f"{at}.{field_name} is {_json_type(resource.get(field_name))}, expected a string")
        if resource.get("values") is not None and not isinstance(resource["values"], dict):
            problems.append(f"{at}.values is {_json_type(resource['values'])}, expected an object")
    for index, child in enumerate(_list(module.get("child_modules"))):
        problems += _module_problems(child, f"{where}.child_modules[{index}]")
    return problems


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _unknown_by_address(resource_changes: Any) -> dict[str, Any]:
    unknown: dict[str, Any] = {}
    for change in _list(resource_changes):
        change = _dict(change)
        address = change.get("address")
        after_unknown = _dict(change.get("change")).get("after_unknown")
        if isinstance(address, str) and isinstance(after_unknown, dict) and after_unknown:
            unknown[address] = after_unknown
    return unknown


# --- configuration ------------------------------------------------------------------------------------------------


def _module_configs(configuration: dict[str, Any], source_dir: Path | None) -> dict[str, _ModuleConfig]:
    modules: dict[str, _ModuleConfig] = {}

    def walk(module: dict[str, Any], module_path: str, directory: Path | None) -> None:
        config = _ModuleConfig(directory=directory)
        for resource in _list(module.get("resources")):
            resource = _dict(resource)
            address = resource.get("address")
            if isinstance(address, str):
                config.resources[address] = resource
        modules[module_path] = config
        for name, call in _dict(module.get("module_calls")).items():
            call = _dict(call)
            child_path = f"{module_path}.module.{name}" if module_path else f"module.{name}"
            source = call.get("source")
            child_dir = None
            # Only local modules have their files beside the configuration; registry/git sources do not.
            if directory is not None and isinstance(source, str) and source.startswith(("./", "../")):
                child_dir = Path(os.path.normpath(directory / source))
            walk(_dict(call.get("module")), child_path, child_dir)

    walk(_dict(configuration.get("root_module")), "", source_dir)
    return modules


def _config_module_path(module_address: str) -> str:
    """`module.a["x"].module.b[0]` -> `module.a.module.b` (configuration has no instance keys)."""
    return ".".join(f"module.{m.group('name')}" for m in _MODULE_SEGMENT.finditer(module_address))


def _module_address_of(address: str) -> str:
    """The module part of a full resource address (`module.a["k"].google_x.y[0]` -> `module.a["k"]`)."""
    end = 0
    for match in _MODULE_SEGMENT.finditer(address):
        if match.start() != end:
            break
        end = match.end() + 1  # the dot after the segment
    return address[: max(end - 1, 0)]


def _provider_setting(plan: _Plan, resource_config: Mapping[str, Any], module_path: str, name: str) -> Value:
    """The google provider's `project`/`region`/`zone` for a resource, or None when not configured."""
    key = resource_config.get("provider_config_key")
    candidates = []
    if isinstance(key, str):
        candidates.append(key)
        if ":" not in key and module_path:
            # 0.x plans key module providers as "child:google", 1.x as "module.child:google".
            candidates += [f"{module_path}:{key}", f"{module_path.removeprefix('module.')}:{key}"]
        candidates.append(key.rpartition(":")[2])
    candidates.append("google")
    for candidate in candidates:
        provider = _dict(plan.providers.get(candidate))
        if provider:
            expression = _dict(_dict(provider.get("expressions")).get(name))
            if not expression:
                return None
            # Variables are in the plan for the root module only; a provider declared in a module says so.
            in_root = "module_address" not in provider
            return _expression_value(expression, f"provider.{candidate}.{name}", plan, root=in_root)
    return None


def _expression_value(expression: Mapping[str, Any], text: str, plan: _Plan, root: bool) -> Value:
    if "constant_value" in expression:
        return expression["constant_value"]
    references = [r for r in _list(expression.get("references")) if isinstance(r, str)]
    if root and len(references) == 1 and references[0].startswith("var."):
        # A root variable's value is in the plan. The expression could be a template around it, but a provider
        # project is a plain `var.project` in practice, and a wrong guess renames a scope rather than hiding a grant.
        value = _dict(plan.variables.get(references[0][4:])).get("value")
        if isinstance(value, str) and value:
            return value
    return Unresolved(" ".join(references) if references else text)


# --- instances ----------------------------------------------------------------------------------------------------


def _modules(module: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield module
    for child in _list(module.get("child_modules")):
        if isinstance(child, dict):
            yield from _modules(child)


def _instances(document: dict[str, Any], plan: _Plan) -> Iterator[ResourceInstance]:
    values_root = _dict(_dict(document.get("planned_values", document.get("values"))).get("root_module"))
    seen: set[str] = set()
    for module in _modules(values_root):
        for resource in _list(module.get("resources")):
            instance = _instance(_dict(resource), plan)
            if instance is not None:
                seen.add(instance.address)
                yield instance
    # Data sources Terraform could read during planning appear only in prior_state.
    prior_root = _dict(_dict(_dict(document.get("prior_state")).get("values")).get("root_module"))
    for module in _modules(prior_root):
        for resource in _list(module.get("resources")):
            resource = _dict(resource)
            if resource.get("mode") == "data" and resource.get("address") not in seen:
                instance = _instance(resource, plan)
                if instance is not None:
                    yield instance


def _instance(resource: dict[str, Any], plan: _Plan) -> ResourceInstance | None:
    address, mode, type_, name = (resource.get(k) for k in ("address", "mode", "type", "name"))
    if not (isinstance(address, str) and isinstance(mode, str) and isinstance(type_, str) and isinstance(name, str)):
        return None
    values = _dict(resource.get("values"))
    attributes = _merge_unknown(values, plan.unknown.get(address), address)
    if not isinstance(attributes, dict):
        attributes = {}

    module_path = _config_module_path(_module_address_of(address))
    module = plan.modules.get(module_path)
    local_address = f"data.{type_}.{name}" if mode == "data" else f"{type_}.{name}"
    resource_config = module.resources.get(local_address) if module else None
    if resource_config is not None:
        expressions = _dict(resource_config.get("expressions"))
        for attribute, value in list(attributes.items()):
            if isinstance(value, Unresolved) and attribute in COMPUTED_WHEN_UNSET and attribute not in expressions:
                attributes[attribute] = None  # not set by the user: the provider default applies
                continue
            references = [r for r in _list(_dict(expressions.get(attribute)).get("references")) if isinstance(r, str)]
            if references:
                attributes[attribute] = _annotate(
                    value, references[0], _declared_by(references, address), _origin(references, address)
                )
    return ResourceInstance(
        mode=mode,
        type=type_,
        name=name,
        address=address,
        attributes=attributes,
        location=_location(plan, module, mode, type_, name),
        provider_project=_provider_setting(plan, resource_config or {}, module_path, "project"),
        provider_region=_provider_setting(plan, resource_config or {}, module_path, "region"),
        provider_zone=_provider_setting(plan, resource_config or {}, module_path, "zone"),
    )


def _annotate(value: Value, reference: str, declared_by: str | None = None, origin: str = "") -> Value:
    """Tell the user what an unknown hangs on, not only where it lands: `x.members[1] (from sa.email)`; an unknown
    that only references one declared service account is that account (its symbolic identity), and a scalar that
    only references one value is that value (`project` from `data.google_project.p.project_id`: resources with the
    same unknown project share one symbolic project)."""
    if isinstance(value, Unresolved):
        return Unresolved(f"{value.expression} (from {reference})", origin=origin, declared_by=declared_by)
    if isinstance(value, list) and any(isinstance(v, Unresolved) for v in value):
        return [_annotate(v, reference, declared_by) if isinstance(v, Unresolved) else v for v in value]
    return value


def _origin(references: list[str], address: str) -> str:
    """The module-qualified reference an attribute hangs on when it names exactly one value (Terraform also lists
    the containing objects: `data.google_project.p.project_id` and `data.google_project.p`); else empty."""
    leaves = [r for r in references if not any(other != r and other.startswith(r + ".") for other in references)]
    if len(leaves) != 1 or leaves[0].startswith("var."):
        return ""  # a root variable's unknown is not one of the plan's values; keep the attribute path
    module_address = _module_address_of(address)
    return f"{module_address}.{leaves[0]}" if module_address else leaves[0]


def _declared_by(references: list[str], address: str) -> str | None:
    """The full address of the one `google_service_account` or custom role the references name, if they name
    exactly one (a custom role's grant is looked up by it while its name is unknown, as on the HCL side)."""
    target = _single_reference(references)
    if target is None:
        return None
    module_address = _module_address_of(address)
    prefix = f"{module_address}." if module_address else ""
    match = _SERVICE_ACCOUNT_REFERENCE.match(target)
    if match is not None:
        return f"{prefix}google_service_account.{match['name']}{match['key'] or ''}"
    match = _CUSTOM_ROLE_REFERENCE.match(target)
    if match is not None:
        return f"{prefix}{match['type']}.{match['name']}{match['key'] or ''}"
    return None


def _merge_unknown(value: Value, unknown: Any, path: str) -> Value:
    """Overlay an `after_unknown` tree on planned values: `true` marks a value known only after apply."""
    if unknown is True:
        return Unresolved(path)
    if isinstance(unknown, dict):
        base = value if isinstance(value, dict) else {}
        merged = dict(base)
        for key, inner in unknown.items():
            if inner is True or isinstance(inner, (dict, list)):
                merged[key] = _merge_unknown(base.get(key), inner, f"{path}.{key}")
        return merged
    if isinstance(unknown, list):
        items = value if isinstance(value, list) else []
        length = max(len(items), len(unknown))
        return [
            _merge_unknown(
                items[i] if i < len(items) else None, unknown[i] if i < len(unknown) else False, f"{path}[{i}]"
            )
            for i in range(length)
        ]
    return value


def _location(plan: _Plan, module: _ModuleConfig | None, mode: str, type_: str, name: str) -> Location:
    if module is None or module.directory is None:
        return Location(str(plan.path))
    keyword = "data" if mode == "data" else "resource"
    for tf_file in sorted(module.directory.glob("*.tf")):
        line = _block_lines(plan, tf_file).get((keyword, type_, name))
        if line is not None:
            return Location(str(tf_file), line)
    return Location(str(plan.path))


_BLOCK_HEADER = re.compile(r'^\s*(resource|data)\s+"([^"]+)"\s+"([^"]+)"\s*\{')


def _block_lines(plan: _Plan, tf_file: Path) -> dict[tuple[str, str, str], int]:
    """Line of every `resource "T" "N" {` header in a file; the plan has no line numbers of its own."""
    if tf_file not in plan.block_lines:
        lines: dict[tuple[str, str, str], int] = {}
        try:
            text = tf_file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            text = ""
        for number, line in enumerate(text.splitlines(), start=1):
            match = _BLOCK_HEADER.match(line)
            if match:
                lines.setdefault((match[1], match[2], match[3]), number)
        plan.block_lines[tf_file] = lines
    return plan.block_lines[tf_file]


# --- references the provider computes after apply ------------------------------------------------------------------


def _resolve_references(instances: list[ResourceInstance], plan: _Plan) -> list[ResourceInstance]:
    """Fill unknowns that are plain references to values we can compute, as the HCL evaluator does.

    `google_service_account.X.email|member|name|id` follow from `account_id` and the project, and
    `data.google_iam_policy.X.policy_data` from the data source's `binding` blocks. Only an attribute whose
    configuration expression references nothing but that one value is filled: a template around the
    reference (`"serviceAccount:${...email}"`) cannot be told apart in plan JSON, so it stays unknown unless
    the attribute being filled is the same kind of value (a member for `.member`, an email for `.email`).
    """
    by_address = {instance.address: instance for instance in instances}
    resolved = []
    for instance in instances:
        if instance.type == "google_iam_policy" and instance.mode == "data":
            instance = _with_policy_data(instance)
            by_address[instance.address] = instance
        resolved.append(instance)

    result = []
    for instance in resolved:
        if not is_unresolved(dict(instance.attributes)):
            result.append(instance)
            continue
        module_address = _module_address_of(instance.address)
        module = plan.modules.get(_config_module_path(module_address))
        local = (
            f"data.{instance.type}.{instance.name}" if instance.mode == "data" else f"{instance.type}.{instance.name}"
        )
        config = module.resources.get(local) if module else None
        expressions = _dict(_dict(config).get("expressions"))
        attributes = dict(instance.attributes)
        changed = False
        for key, value in attributes.items():
            new = _resolve_value(value, expressions.get(key), key, module_address, by_address)
            if new is not value:
                attributes[key] = new
                changed = True
        if changed:
            instance = dataclasses.replace(instance, attributes=attributes)
        result.append(instance)
    return result


def _resolve_value(
    value: Value, expression: Any, key: str, module_address: str, by_address: Mapping[str, ResourceInstance]
) -> Value:
    if isinstance(value, Unresolved):
        references = [r for r in _list(_dict(expression).get("references")) if isinstance(r, str)]
        target = _single_reference(references)
        if target is None:
            return value
        return _referenced_value(target, key, module_address, by_address) or value
    if isinstance(value, list) and isinstance(expression, dict):
        # A list attribute (`members = ["user:a", google_service_account.x.member]`): exactly one unknown element
        # and exactly one referenced value means that element is the reference.
        unknown = [i for i, v in enumerate(value) if isinstance(v, Unresolved)]
        references = [r for r in _list(expression.get("references")) if isinstance(r, str)]
        target = _single_reference(references)
        if len(unknown) == 1 and target is not None:
            filled = _referenced_value(target, key, module_address, by_address)
            if filled is not None:
                return [filled if i == unknown[0] else v for i, v in enumerate(value)]
        return value
    if isinstance(value, list) and isinstance(expression, list) and len(value) == len(expression):
        # Nested blocks: configuration holds one expression object per block, in order.
        new = [
            _resolve_block(v, e, module_address, by_address) if isinstance(v, dict) else v
            for v, e in zip(value, expression, strict=True)
        ]
        return new if any(n is not v for n, v in zip(new, value, strict=True)) else value
    return value


def _resolve_block(
    block: dict[str, Value], expressions: Any, module_address: str, by_address: Mapping[str, ResourceInstance]
) -> dict[str, Value]:
    expressions = _dict(expressions)
    new = {k: _resolve_value(v, expressions.get(k), k, module_address, by_address) for k, v in block.items()}
    return new if any(new[k] is not block[k] for k in block) else block


def _single_reference(references: list[str]) -> str | None:
    """The one attribute referenced (Terraform also lists the containing resource), or None."""
    attributes = [
        r
        for r in references
        if _SERVICE_ACCOUNT_REFERENCE.match(r) or _CUSTOM_ROLE_REFERENCE.match(r) or _IAM_POLICY_REFERENCE.match(r)
    ]
    if len(attributes) != 1:
        return None
    target = attributes[0]
    others = [r for r in references if r != target]
    container = target.rsplit(".", 1)[0]
    if any(not container.startswith(other) for other in others):
        return None
    return target


# Which referenced attribute may fill which kind of attribute without knowing the surrounding template.
_FILLS = {
    "member": {"member", "members"},
    "email": {"email", "service_account", "service_account_email", "service_account_id"},
    "name": {"service_account_id", "name", "id"},
    "id": {"service_account_id", "name", "id"},
}


def _referenced_value(target: str, key: str, module_address: str, by_address: Mapping[str, ResourceInstance]) -> Value:
    prefix = f"{module_address}." if module_address else ""
    match = _IAM_POLICY_REFERENCE.match(target)
    if match:
        source = by_address.get(f"{prefix}data.google_iam_policy.{match['name']}{match['key'] or ''}")
        if key == "policy_data" and source is not None and isinstance(source.get("policy_data"), str):
            return source.get("policy_data")
        return None
    match = _CUSTOM_ROLE_REFERENCE.match(target)
    if match:
        role = by_address.get(f"{prefix}{match['type']}.{match['name']}{match['key'] or ''}")
        return custom_role_name(role) if key == "role" and role is not None else None
    match = _SERVICE_ACCOUNT_REFERENCE.match(target)
    if match is None or key not in _FILLS[match["attribute"]]:
        return None
    account = by_address.get(f"{prefix}google_service_account.{match['name']}{match['key'] or ''}")
    if account is None:
        return None
    return service_account_attribute(account, match["attribute"])


def service_account_attribute(account: ResourceInstance, attribute: str) -> str | None:
    """`email`, `member`, `name` or `id` of a `google_service_account`, when account_id and project are known."""
    known = account.get(attribute)
    if isinstance(known, str):
        return known
    account_id = account.get("account_id")
    project = account.get("project") or account.provider_project
    if not isinstance(account_id, str) or not isinstance(project, str):
        return None
    email = f"{account_id}@{project}.iam.gserviceaccount.com"
    if attribute == "email":
        return email
    if attribute == "member":
        return f"serviceAccount:{email}"
    return f"projects/{project}/serviceAccounts/{email}"


def custom_role_name(role: ResourceInstance) -> str | None:
    """The `name` (and `id`) of a project or organization custom role, when its parent and role_id are known."""
    known = role.get("name")
    if isinstance(known, str) and known:
        return known
    role_id = role.get("role_id")
    if role.type == "google_organization_iam_custom_role":
        org = role.get("org_id")
        parent = f"organizations/{org.removeprefix('organizations/')}" if isinstance(org, str) and org else None
    else:
        project = role.get("project") or role.provider_project
        parent = f"projects/{project.removeprefix('projects/')}" if isinstance(project, str) and project else None
    return f"{parent}/roles/{role_id}" if parent and isinstance(role_id, str) and role_id else None


def _with_policy_data(instance: ResourceInstance) -> ResourceInstance:
    """A deferred `data.google_iam_policy` still has known `binding` blocks: compute `policy_data` from them."""
    if not isinstance(instance.get("policy_data"), Unresolved):
        return instance
    bindings = instance.blocks("binding")
    if not bindings or is_unresolved(bindings) or isinstance(instance.get("binding"), Unresolved):
        return instance
    attributes = dict(instance.attributes)
    attributes["policy_data"] = policy_data_json(bindings)
    return dataclasses.replace(instance, attributes=attributes)
