"""Terraform configuration: a root module directory (with its local modules) -> `ResourceInstance`s.

Files are read as Terraform reads them: `.tf` (HCL) and `.tf.json` (JSON syntax, `json_syntax.py`), with the
override files merged in (`overrides.py`). Evaluation is lazy and memoised: a reference to
`google_service_account.nb.email` evaluates that one resource on demand, so declaration order never matters.
A reference cycle evaluates to an unknown; `locals` in a circle and a module cycle are also input errors, as in
Terraform. Variables come from defaults, `terraform.tfvars(.json)`, `*.auto.tfvars(.json)` and `--var-file`, in
Terraform's order. Each resource takes its provider's default project (`provider = google.x` for an alias);
values the provider computes keep their shape and their declaring address (symbolic identities).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.errors import EvaluationError
from auditor.model import InputError, Location, Unresolved, hole
from auditor.terraform.expressions import Evaluator, expression_text, first_unresolved
from auditor.terraform.json_syntax import parse_json_text
from auditor.terraform.overrides import merge_overrides
from auditor.terraform.resources import ResourceInstance, policy_data_json
from auditor.terraform.syntax import Attribute, Block, ParsedFile, parse_files
from auditor.walk import walk_once

_MAX_COUNT = 10_000
"""The most instances a `count` expands to (as `range()` in functions.py): beyond it, one instance stands for all."""
META_ARGUMENTS = frozenset({"count", "for_each", "provider", "depends_on", "lifecycle", "provisioner", "connection"})
GOOGLE_PROVIDERS = ("google", "google-beta")


class _Lazy(dict):  # type: ignore[type-arg]
    """A read-only mapping whose values are computed on first access (locals, resources, modules)."""

    def __init__(
        self,
        names: Sequence[str],
        compute: Callable[[str], Any],
        label: str,
        on_cycle: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__()
        self._names = set(names)
        self._compute = compute
        self._label = label
        self._busy: set[str] = set()
        self._on_cycle = on_cycle

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def __getitem__(self, name: str) -> Any:
        if dict.__contains__(self, name):
            return dict.__getitem__(self, name)
        if name not in self._names:
            raise KeyError(name)
        if name in self._busy:
            if self._on_cycle is not None:
                self._on_cycle(name)
            return Unresolved(f"{self._label}.{name}: reference cycle")
        self._busy.add(name)
        try:
            value = self._compute(name)
        finally:
            self._busy.discard(name)
        dict.__setitem__(self, name, value)
        return value

    def get(self, name: str, default: Any = None) -> Any:
        return self[name] if name in self._names else default

    def keys(self) -> Any:
        return sorted(self._names)

    def values(self) -> Any:
        return [self[name] for name in sorted(self._names)]

    def items(self) -> Any:
        return [(name, self[name]) for name in sorted(self._names)]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._names))

    def __len__(self) -> int:
        return len(self._names)


IDENTITY_TYPES = frozenset(
    {"google_service_account", "google_project_iam_custom_role", "google_organization_iam_custom_role"}
)
"""Resource types known by their address whatever their attributes resolve to (symbolic identities)."""


class _ResourceObject(dict):  # type: ignore[type-arg]
    """A resource instance as other expressions see it: configured values, then computed ones as unknown."""

    def __init__(self, values: Mapping[str, Any], address: str, type_name: str) -> None:
        super().__init__(values)
        self.address = address
        self.declared_by = address if type_name in IDENTITY_TYPES else None

    def __contains__(self, name: object) -> bool:
        return True

    def __missing__(self, name: str) -> Unresolved:
        return Unresolved(f"{self.address}.{name}", declared_by=self.declared_by)


@dataclass(frozen=True, slots=True)
class _Provider:
    """A provider configuration's defaults (project, region, zone)."""

    project: Any = None
    region: Any = None
    zone: Any = None


def _unset_provider(key: str) -> _Provider:
    """A google provider with no `project`: every resource using it shares one unknown project."""
    return _Provider(
        project=Unresolved(f"provider.{key}.project (no project set in the provider)", f"provider.{key}.project")
    )


def _provider_key(node: Any) -> str:
    """`google`, `google.other`, `google-beta`: the text of a `provider = ...` or `providers = {...}` reference."""
    return expression_text(node).strip('"')


CONFIG_SUFFIXES = (".tf", ".tf.json")
"""Terraform configuration files: HCL and JSON syntax (override files included)."""


def _tf_files(directory: Path) -> list[Path]:
    """The configuration files of a module directory; an unreadable directory raises OSError."""
    return sorted(p for p in directory.iterdir() if p.name.endswith(CONFIG_SUFFIXES) and p.is_file())


def read_configuration_files(paths: Sequence[Path]) -> dict[str, ParsedFile | InputError]:
    """Parse `.tf` files (HCL) and `.tf.json` files (JSON syntax) into one syntax tree shape."""
    results = parse_files([p for p in paths if not p.name.endswith(".json")])
    for path in paths:
        if path.name.endswith(".json"):
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                results[str(path)] = InputError(str(path), f"cannot read: {error}")
                continue
            results[str(path)] = parse_json_text(text, str(path))
    return results


class _Loader:
    """Parses every module directory once and keeps the errors of the whole load."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.errors: list[InputError] = []
        self._parsed: dict[Path, list[tuple[Block, str]]] = {}
        self._installed_modules = self._read_modules_manifest()

    def blocks(self, directory: Path, only: Sequence[Path] | None = None) -> list[tuple[Block, str]]:
        """The module's top-level blocks with its override files merged in, each with its file's path."""
        key = directory.resolve()
        if key not in self._parsed:
            try:
                paths = list(only) if only is not None else _tf_files(directory)
            except OSError as error:
                self.errors.append(InputError(str(directory), f"cannot read the directory: {error.strerror or error}"))
                paths = []
            parsed: list[ParsedFile] = []
            for result in read_configuration_files(paths).values():
                if isinstance(result, InputError):
                    self.errors.append(result)
                else:
                    self.errors.extend(result.errors)  # syntax errors; the rest of the file is still read
                    parsed.append(result)
            merged, errors = merge_overrides(parsed)
            self.errors.extend(errors)
            self._parsed[key] = merged
        return self._parsed[key]

    def _read_modules_manifest(self) -> dict[str, Path]:
        manifest = self.root / ".terraform" / "modules" / "modules.json"
        try:
            entries = json.loads(manifest.read_text(encoding="utf-8")).get("Modules", [])
        except (OSError, ValueError, AttributeError, RecursionError):
            return {}
        if not isinstance(entries, list):
            return {}
        # An entry without a usable directory installs nothing: that module is then reported as not installed.
        return {
            e["Key"]: self.root / e["Dir"]
            for e in entries
            if isinstance(e, dict) and isinstance(e.get("Key"), str) and isinstance(e.get("Dir"), str)
        }

    def module_dir(self, caller_dir: Path, source: str, key: str) -> Path | None:
        if source.startswith(("./", "../")) or source in (".", ".."):
            return (caller_dir / source).resolve()
        return self._installed_modules.get(key)


class _Module:
    """One instance of a module: its variables bound, its blocks evaluated on demand."""

    def __init__(
        self,
        loader: _Loader,
        directory: Path,
        prefix: str,
        key: str,
        inputs: Mapping[str, Any],
        providers: Mapping[str, _Provider],
        files: Sequence[Path] | None = None,
        ancestors: tuple[Path, ...] = (),
    ) -> None:
        self.loader = loader
        self.directory = directory
        self.ancestors = (*ancestors, directory.resolve())
        """The module directories from the root down to this one, to tell a module cycle."""
        self.prefix = prefix
        """Address prefix, e.g. `module.a["x"].` (empty for the root)."""
        self.key = key
        """Module path without index keys, as in `.terraform/modules/modules.json` (`a.b`)."""
        self.blocks: dict[str, list[tuple[Block, str]]] = {}
        for block, path in loader.blocks(directory, files):
            self.blocks.setdefault(block.type, []).append((block, path))
        self.evaluator = Evaluator(self._scope, directory)
        self.variables = self._bind_variables(inputs)
        self.locals = _Lazy(self._attribute_names("locals"), self._local, "local", self._locals_cycle)
        self.providers = {**providers, **self._own_providers()}
        self.provider = self.providers.setdefault("google", _unset_provider("google"))
        self._tables = {kind: self._index_blocks(kind) for kind in ("resource", "data")}
        resources = self._by_type("resource")
        self.resources = {t: _Lazy(list(names), self._resource_value(t), t) for t, names in resources.items()}
        data = self._by_type("data")
        self.data = _Lazy(list(data), lambda t: _Lazy(list(data[t]), self._data_value(t), f"data.{t}"), "data")
        calls = {b.labels[0]: (b, path) for b, path in self.blocks.get("module", []) if b.labels}
        self.calls = calls
        self.modules = _Lazy(list(calls), self._module_outputs, "module")
        self._children: dict[str, list[tuple[str, _Module | None]]] = {}
        self._instances: dict[tuple[str, str, str], list[tuple[str, dict[str, Any], Block, str]]] = {}

    # scope ---------------------------------------------------------------------------------------

    def _scope(self, name: str) -> Any:
        if name == "var":
            return self.variables
        if name == "local":
            return self.locals
        if name == "data":
            return self.data
        if name == "module":
            return self.modules
        if name == "path":
            return {"module": str(self.directory), "root": str(self.loader.root), "cwd": os.getcwd()}
        if name == "terraform":
            return {"workspace": "default"}
        if name in self.resources:
            return self.resources[name]
        raise KeyError(name)

    def _attribute_names(self, block_type: str) -> list[str]:
        return [name for block, _ in self.blocks.get(block_type, []) for name in block.attributes]

    def _by_type(self, block_type: str) -> dict[str, dict[str, tuple[Block, str]]]:
        return self._tables[block_type]

    def _index_blocks(self, block_type: str) -> dict[str, dict[str, tuple[Block, str]]]:
        out: dict[str, dict[str, tuple[Block, str]]] = {}
        for block, path in self.blocks.get(block_type, []):
            if len(block.labels) != 2:
                continue
            type_name, name = block.labels
            if name in out.setdefault(type_name, {}):
                kind = "data" if block_type == "data" else "resource"
                self.loader.errors.append(InputError(path, f"duplicate {kind} block {type_name}.{name}", block.line, 1))
                continue
            out[type_name][name] = (block, path)
        return out

    def _locals_cycle(self, name: str) -> None:
        """Locals that refer to each other in a circle: an error in Terraform, so an input error here."""
        for block, path in self.blocks.get("locals", []):
            if name in block.attributes:
                message = f"local.{name}: reference cycle (locals that refer to each other in a circle)"
                error = InputError(path, message, block.attributes[name].line, 1)
                if error not in self.loader.errors:
                    self.loader.errors.append(error)
                return

    def _local(self, name: str) -> Any:
        for block, _ in self.blocks.get("locals", []):
            if name in block.attributes:
                return self.evaluator.evaluate(block.attributes[name].expression)
        raise KeyError(name)

    def _bind_variables(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        constants = Evaluator(lambda name: _raise_key(name), self.directory)
        variables: dict[str, Any] = {}
        for block, _ in self.blocks.get("variable", []):
            if not block.labels:
                continue
            name = block.labels[0]
            if name in inputs:
                variables[name] = inputs[name]
            elif "default" in block.attributes:
                variables[name] = constants.evaluate(block.attributes["default"].expression)
            else:
                variables[name] = Unresolved(f"{self.prefix}var.{name}")
        return variables

    def _own_providers(self) -> dict[str, _Provider]:
        """`google`, `google-beta` and aliased (`google.other`) provider configurations of this module."""
        own: dict[str, _Provider] = {}
        for block, _ in self.blocks.get("provider", []):
            if not block.labels or block.labels[0] not in GOOGLE_PROVIDERS:
                continue
            settings = {
                name: self.evaluator.evaluate(attribute.expression)
                for name, attribute in block.attributes.items()
                if name in ("alias", "project", "region", "zone")
            }
            alias = settings.get("alias")
            key = f"{block.labels[0]}.{alias}" if isinstance(alias, str) else block.labels[0]
            values = [settings.get(n) for n in ("project", "region", "zone")]
            if values[0] is None:
                values[0] = _unset_provider(key).project
            own[key] = _Provider(*values)
        return own

    def provider_for(self, block: Block, type_name: str) -> _Provider:
        """The provider configuration a resource uses: its `provider = google.x` meta-argument, or the default
        provider of its type's prefix (`google`)."""
        attribute = block.attributes.get("provider")
        if attribute is None:
            return self.provider
        key = _provider_key(attribute.expression)
        if key not in self.providers:
            self.providers[key] = _unset_provider(key)
        return self.providers[key]

    def child_providers(self, block: Block) -> dict[str, _Provider]:
        """What a module call passes down: the default providers, or its `providers = { google = google.x }`."""
        passed = {k: v for k, v in self.providers.items() if "." not in k}
        attribute = block.attributes.get("providers")
        if attribute is not None and attribute.expression[0] == "object":
            for key_node, value_node in attribute.expression[1]:
                target = _provider_key(key_node)
                source = _provider_key(value_node)
                passed[target] = self.providers.get(source) or _unset_provider(source)
        return passed

    # resources -----------------------------------------------------------------------------------

    def _resource_value(self, type_name: str) -> Callable[[str], Any]:
        return lambda name: self._reference_value("managed", type_name, name)

    def _data_value(self, type_name: str) -> Callable[[str], Any]:
        return lambda name: self._reference_value("data", type_name, name)

    def _reference_value(self, mode: str, type_name: str, name: str) -> Any:
        """What `TYPE.NAME` evaluates to: one object, a list (count) or a map (for_each)."""
        block, _ = self._block(mode, type_name, name)
        instances = self.instances(mode, type_name, name)
        objects = {key: _ResourceObject(values, address, type_name) for address, values, key in _with_keys(instances)}
        if "for_each" in block.attributes:
            if len(objects) == 1 and isinstance(next(iter(objects)), Unresolved):
                return next(iter(objects))
            return {str(k): v for k, v in objects.items()}
        if "count" in block.attributes:
            if len(objects) == 1 and isinstance(next(iter(objects)), Unresolved):
                return next(iter(objects))
            return list(objects.values())
        return next(iter(objects.values()))

    def _block(self, mode: str, type_name: str, name: str) -> tuple[Block, str]:
        table = self._by_type("data" if mode == "data" else "resource")
        return table[type_name][name]

    def instances(self, mode: str, type_name: str, name: str) -> list[tuple[str, dict[str, Any], Block, str]]:
        """Expanded instances of one resource block: (address, attribute values, block, path)."""
        cache_key = (mode, type_name, name)
        if cache_key not in self._instances:
            self._instances[cache_key] = []  # a self-reference during expansion sees no instances
            block, path = self._block(mode, type_name, name)
            base = f"{self.prefix}{'data.' if mode == 'data' else ''}{type_name}.{name}"
            expanded = []
            for suffix, bindings in self._expansion(block):
                evaluator = self.evaluator.child(bindings) if bindings else self.evaluator
                values = self._body_values(block, evaluator)
                address = base + suffix
                values.update(_computed(mode, type_name, values, self.provider_for(block, type_name), address))
                expanded.append((address, values, block, path))
            self._instances[cache_key] = expanded
        return self._instances[cache_key]

    def _expansion(self, block: Block) -> list[tuple[str, dict[str, Any]]]:
        """(address suffix, names bound) for each instance that `count`/`for_each` make."""
        if "for_each" in block.attributes:
            attribute = block.attributes["for_each"]
            collection = self.evaluator.evaluate(attribute.expression)
            if isinstance(collection, Unresolved) or collection is None:
                unknown = collection or Unresolved(expression_text(attribute.expression))
                each = {"key": unknown, "value": unknown}
                return [("[*]", {"each": each})]
            if isinstance(collection, list):
                collection = {str(item): item for item in collection}
            if not isinstance(collection, dict):
                unknown = Unresolved(f"{expression_text(attribute.expression)}: for_each is not a map or set")
                return [("[*]", {"each": {"key": unknown, "value": unknown}})]
            return [(f"[{json.dumps(str(k))}]", {"each": {"key": str(k), "value": v}}) for k, v in collection.items()]
        if "count" in block.attributes:
            attribute = block.attributes["count"]
            count = self.evaluator.evaluate(attribute.expression)
            if isinstance(count, bool) or not isinstance(count, (int, float)):
                unknown = count if isinstance(count, Unresolved) else Unresolved(expression_text(attribute.expression))
                return [("[*]", {"count": {"index": unknown}})]
            if not 0 <= count <= _MAX_COUNT or count != int(count):  # in this order: int(inf) raises
                # Terraform refuses a negative or fractional count, and expanding 10**9 instances would never end:
                # one instance whose index is unknown, so the resource is still judged (never dropped).
                text = f"{expression_text(attribute.expression)}: count {count} is not a whole number from 0 to 10,000"
                return [("[*]", {"count": {"index": Unresolved(text)}})]
            return [(f"[{i}]", {"count": {"index": i}}) for i in range(int(count))]
        return [("", {})]

    def _body_values(self, block: Block, evaluator: Evaluator) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, attribute in block.attributes.items():
            if name not in META_ARGUMENTS:
                values[name] = evaluator.evaluate(attribute.expression)
        for nested in block.blocks:
            if nested.type in META_ARGUMENTS:
                continue
            if nested.type == "dynamic" and nested.labels:
                self._expand_dynamic(nested, evaluator, values)
                continue
            current = values.setdefault(nested.type, [])
            if isinstance(current, list):
                current.append(self._body_values(nested, evaluator))
        return values

    def _expand_dynamic(self, dynamic: Block, evaluator: Evaluator, values: dict[str, Any]) -> None:
        block_type = dynamic.labels[0]
        iterator = block_type
        if "iterator" in dynamic.attributes:
            node = dynamic.attributes["iterator"].expression
            iterator = node[1] if node[0] in ("var", "lit") else iterator
        content = next((b for b in dynamic.blocks if b.type == "content"), None)
        for_each = dynamic.attributes.get("for_each")
        if content is None or for_each is None:
            return
        collection = evaluator.evaluate(for_each.expression)
        if isinstance(collection, Unresolved):
            # Unknown how many blocks: the whole block list is unknown, never silently empty.
            values[block_type] = Unresolved(f'dynamic "{block_type}" over {collection.expression}')
            return
        if collection is None:
            return
        pairs = list(collection.items()) if isinstance(collection, dict) else list(enumerate(collection))
        current = values.setdefault(block_type, [])
        if not isinstance(current, list):
            return
        for key, item in pairs:
            inner = evaluator.child({iterator: {"key": key, "value": item}})
            current.append(self._body_values(content, inner))

    # modules ---------------------------------------------------------------------------------------

    def children(self, name: str) -> list[tuple[str, _Module | None]]:
        """(address prefix, module or None when its source cannot be read) for each instance of a call."""
        if name in self._children:
            return self._children[name]
        self._children[name] = []
        block, path = self.calls[name]
        source_attr = block.attributes.get("source")
        source = self.evaluator.evaluate(source_attr.expression) if source_attr else None
        key = f"{self.key}.{name}" if self.key else name
        directory = self.loader.module_dir(self.directory, source, key) if isinstance(source, str) else None
        if directory is None or not directory.is_dir():
            self.loader.errors.append(
                InputError(
                    path,
                    f"module {name!r}: source {source!r} is not a local directory nor installed by "
                    "`terraform init`; its resources are not audited (audit the plan JSON instead)",
                    block.line,
                    1,
                )
            )
            self._children[name] = [(f"{self.prefix}module.{name}.", None)]
            return self._children[name]
        if directory.resolve() in self.ancestors:
            chain = " -> ".join(str(d) for d in self.ancestors[self.ancestors.index(directory.resolve()) :])
            self.loader.errors.append(
                InputError(path, f"module {name!r}: module cycle ({chain} -> {directory.resolve()})", block.line, 1)
            )
            self._children[name] = [(f"{self.prefix}module.{name}.", None)]
            return self._children[name]
        made: list[tuple[str, _Module | None]] = []
        for suffix, bindings in self._expansion(block):
            evaluator = self.evaluator.child(bindings) if bindings else self.evaluator
            inputs = {
                arg: evaluator.evaluate(attribute.expression)
                for arg, attribute in block.attributes.items()
                if arg not in META_ARGUMENTS and arg not in ("source", "version", "providers")
            }
            prefix = f"{self.prefix}module.{name}{suffix}."
            child = _Module(
                self.loader, directory, prefix, key, inputs, self.child_providers(block), ancestors=self.ancestors
            )
            made.append((prefix, child))
        self._children[name] = made
        return made

    def outputs(self) -> dict[str, Any]:
        names = self._by_output()
        return _Lazy(list(names), lambda n: self.evaluator.evaluate(names[n].expression), f"{self.prefix}output")

    def _by_output(self) -> dict[str, Attribute]:
        out = {}
        for block, _ in self.blocks.get("output", []):
            if block.labels and "value" in block.attributes:
                out[block.labels[0]] = block.attributes["value"]
        return out

    def _module_outputs(self, name: str) -> Any:
        block, _ = self.calls[name]
        made = self.children(name)
        if len(made) == 1 and made[0][1] is None:
            return Unresolved(f"module.{name} (module source not read)")
        if "for_each" in block.attributes or "count" in block.attributes:
            if len(made) == 1 and made[0][0].endswith("[*]."):
                return Unresolved(f"module.{name} (unknown count or for_each)")
            if "for_each" in block.attributes:
                return {prefix.rsplit("[", 1)[1][:-2].strip('"'): m.outputs() for prefix, m in made if m}
            return [m.outputs() for _, m in made if m]
        return made[0][1].outputs() if made[0][1] else Unresolved(f"module.{name}")

    # all instances --------------------------------------------------------------------------------

    def walk(self) -> Iterator[ResourceInstance]:
        for mode, block_type in (("managed", "resource"), ("data", "data")):
            for type_name, names in self._by_type(block_type).items():
                for name in names:
                    for address, values, block, path in self.instances(mode, type_name, name):
                        provider = self.provider_for(block, type_name)
                        yield ResourceInstance(
                            mode=mode,
                            type=type_name,
                            name=name,
                            address=address,
                            attributes=values,
                            location=Location(path, block.line),
                            provider_project=provider.project,
                            provider_region=provider.region,
                            provider_zone=provider.zone,
                        )
        for name in self.calls:
            for _, child in self.children(name):
                if child is not None:
                    yield from child.walk()


def _raise_key(name: str) -> Any:
    raise KeyError(name)


def _with_keys(instances: list[tuple[str, dict[str, Any], Block, str]]) -> Iterator[tuple[str, dict[str, Any], Any]]:
    for address, values, _, _ in instances:
        if address.endswith("[*]"):
            key: Any = Unresolved(f"{address}: unknown count or for_each")
        elif address.endswith("]"):
            raw = address.rsplit("[", 1)[1][:-1]
            key = json.loads(raw) if raw.startswith('"') else int(raw)
        else:
            key = ""
        yield address, values, key


def _computed(
    mode: str, type_name: str, values: Mapping[str, Any], provider: _Provider, address: str
) -> dict[str, Any]:
    """Attributes the provider computes that the audit needs to follow references (GCP-NOTES.md).

    What cannot be known keeps its shape and its declaring address: the email of a `google_service_account` in a
    module whose project is `var.project_id` is `wb-runtime@{var.project_id}.iam.gserviceaccount.com`, known as
    that account whatever the project turns out to be."""
    project = values.get("project") or provider.project
    if project is None:
        project = Unresolved(f"{address}.project (no project set and no provider default)")
    out: dict[str, Any] = {}
    if mode == "managed" and type_name == "google_service_account":
        out = service_account_attributes(address, values.get("account_id"), project)
    elif type_name in ("google_project_iam_custom_role", "google_organization_iam_custom_role"):
        role_id = values.get("role_id")
        if type_name.startswith("google_project"):
            parent: Any = project if isinstance(project, Unresolved) else f"projects/{project}"
            parent_shape = f"projects/{_hole(project)}"
        else:
            org = values.get("org_id")
            parent = org if isinstance(org, Unresolved) else f"organizations/{org}"
            parent_shape = f"organizations/{_hole(org)}"
        if isinstance(parent, str) and isinstance(role_id, str):
            name: Any = f"{parent}/roles/{role_id}"
        else:
            shape = f"{parent_shape}/roles/{_hole(role_id)}"
            name = Unresolved(f"{address}.name", shape=shape, declared_by=address)
        out = {"name": name, "id": name}
        if type_name.startswith("google_project"):
            out["project"] = project
    elif mode == "data" and type_name == "google_iam_policy":
        out = {"policy_data": _policy_data(values)}
    elif mode == "data" and type_name == "google_client_config":
        out = {"project": project, "region": provider.region, "zone": provider.zone}  # the provider's own defaults
    elif mode == "data" and type_name == "google_project":
        out = {"project_id": values.get("project_id") or project, "number": Unresolved(f"{address}.number")}
    elif mode == "data" and type_name == "google_compute_default_service_account":
        # Known up to the project number: the shape says it is the default compute account.
        email = Unresolved(
            f"{address}.email", shape=f"{hole(f'{address}.project_number')}-compute@developer.gserviceaccount.com"
        )
        out = {"email": email, "member": Unresolved(f"{address}.member", shape=f"serviceAccount:{email.shape}")}
    elif (mode, type_name) in _SERVICE_AGENT_EMAILS:
        # Google-managed accounts known up to the project number: the shape says they are service agents.
        template = _SERVICE_AGENT_EMAILS[(mode, type_name)]
        number = hole(f"{address}.project_number")
        service = values.get("service")
        email = Unresolved(
            f"{address}.email",
            shape=template.format(number=number, service=_hole(service).removesuffix(".googleapis.com")),
        )
        out = {"email": email, "member": Unresolved(f"{address}.member", shape=f"serviceAccount:{email.shape}")}
    elif mode == "managed" and type_name in ("google_notebooks_instance", "google_workbench_instance"):
        location = values.get("location")
        name = values.get("name")
        unknown = next((v for v in (project, location, name) if isinstance(v, Unresolved)), None)
        out = {"id": unknown or f"projects/{project}/locations/{location}/instances/{name}", "project": project}
    return {k: v for k, v in out.items() if k not in values or values[k] is None}


_SERVICE_AGENT_EMAILS = {
    ("data", "google_bigquery_default_service_account"): "bq-{number}@bigquery-encryption.iam.gserviceaccount.com",
    ("data", "google_storage_project_service_account"): "service-{number}@gs-project-accounts.iam.gserviceaccount.com",
    ("data", "google_storage_transfer_project_service_account"): (
        "project-{number}@storage-transfer-service.iam.gserviceaccount.com"
    ),
    ("managed", "google_project_service_identity"): "service-{number}@gcp-sa-{service}.iam.gserviceaccount.com",
}
"""Google-managed accounts the provider reads or creates, as their documented email forms."""


def _hole(value: Any) -> str:
    return value.hole if isinstance(value, Unresolved) else str(value)


def service_account_attributes(address: str, account_id: Any, project: Any) -> dict[str, Any]:
    """`email`, `member`, `name`, `id`, `unique_id` of a declared service account: strings when account_id and
    project are known, else unknowns that keep their shape and name the account (`declared_by`)."""
    if isinstance(account_id, str) and isinstance(project, str):
        email = f"{account_id}@{project}.iam.gserviceaccount.com"
        name = f"projects/{project}/serviceAccounts/{email}"
        return {
            "project": project,
            "email": email,
            "member": f"serviceAccount:{email}",
            "name": name,
            "id": name,
            "unique_id": Unresolved(f"{address}.unique_id", declared_by=address),
        }
    email_shape = f"{_hole(account_id)}@{_hole(project)}.iam.gserviceaccount.com"
    name_shape = f"projects/{_hole(project)}/serviceAccounts/{email_shape}"

    def unknown(attribute: str, shape: str | None) -> Unresolved:
        return Unresolved(f"{address}.{attribute}", shape=shape, declared_by=address)

    return {
        "project": project,
        "email": unknown("email", email_shape),
        "member": unknown("member", f"serviceAccount:{email_shape}"),
        "name": unknown("name", name_shape),
        "id": unknown("id", name_shape),
        "unique_id": unknown("unique_id", None),
    }


def _policy_data(values: Mapping[str, Any]) -> Any:
    """`data.google_iam_policy.X.policy_data`: the provider's rendering of its `binding` blocks, or the first
    unknown among them (one unknown member makes the whole policy unknown)."""
    bindings = values.get("binding", [])
    if isinstance(bindings, dict):
        bindings = [bindings]  # one `binding` written as a JSON object
    unknown = first_unresolved(bindings)
    if unknown is not None:
        return unknown
    return policy_data_json(bindings if isinstance(bindings, list) else [])


# ------------------------------------------------------------------------------------------------
# Public entry points


def read_variable_files(paths: Sequence[Path], errors: list[InputError]) -> dict[str, Any]:
    """Values from `.tfvars` (HCL) and `.tfvars.json` files, later files winning."""
    values: dict[str, Any] = {}
    constants = Evaluator(_raise_key)
    hcl_paths = [p for p in paths if not p.name.endswith(".json")]
    parsed = parse_files(hcl_paths) if hcl_paths else {}
    for path in paths:
        if path.name.endswith(".json"):
            try:
                loaded = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as error:
                errors.append(InputError(str(path), f"cannot read variables: {error}"))
                continue
            except RecursionError:
                errors.append(InputError(str(path), "cannot read variables: nested too deeply"))
                continue
            if not isinstance(loaded, dict):
                message = "cannot read variables: a .tfvars.json file must hold a JSON object of values"
                errors.append(InputError(str(path), message))
                continue
            values.update(loaded)
            continue
        result = parsed.get(str(path))
        if isinstance(result, InputError):
            errors.append(result)
        elif result is not None:
            errors.extend(result.errors)
            for name, attribute in result.body.attributes.items():
                values[name] = constants.evaluate(attribute.expression)
    return values


def default_variable_files(directory: Path) -> list[Path]:
    """`terraform.tfvars`, `terraform.tfvars.json`, then `*.auto.tfvars(.json)` in name order, as Terraform does."""
    found = [directory / n for n in ("terraform.tfvars", "terraform.tfvars.json") if (directory / n).is_file()]
    try:
        auto = sorted(
            p for p in directory.iterdir() if p.name.endswith((".auto.tfvars", ".auto.tfvars.json")) and p.is_file()
        )
    except OSError:
        auto = []
    return found + auto


def load_module(
    directory: Path,
    *,
    var_files: Sequence[Path] = (),
    files: Sequence[Path] | None = None,
) -> tuple[list[ResourceInstance], list[InputError]]:
    """Evaluate one root module (`files` restricts it to some of the directory's `.tf` files)."""
    loader = _Loader(directory)
    errors: list[InputError] = []
    variables = read_variable_files([*default_variable_files(directory), *var_files], errors)
    root = _Module(loader, directory, "", "", variables, {}, files)
    try:
        instances = list(root.walk())
    except RecursionError:
        errors.append(InputError(str(directory), "configuration nests too deeply to evaluate"))
        instances = []
    except EvaluationError as error:  # pragma: no cover - evaluate() turns these into unknowns
        errors.append(InputError(str(directory), str(error)))
        instances = []
    return instances, errors + loader.errors


def find_root_modules(path: Path, errors: list[InputError] | None = None) -> list[Path]:
    """Directories under `path` holding configuration files that no other scanned directory calls as a local
    module. Directories that only call each other in a circle (a module cycle, no root above it) are roots too,
    so the cycle is reported, never skipped. Unreadable directories go to `errors`."""
    if not path.is_dir():
        return []
    found: list[InputError] = [] if errors is None else errors

    def unreadable(error: OSError) -> None:
        where = error.filename or str(path)
        found.append(InputError(str(where), f"cannot read the directory: {error.strerror or error}"))

    directories = []
    for current, subdirs, filenames in walk_once(path, onerror=unreadable):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
        if any(f.endswith(CONFIG_SUFFIXES) for f in filenames):
            directories.append(Path(current))
    calls: dict[Path, set[Path]] = {d.resolve(): set() for d in directories}
    files: list[Path] = []
    for directory in directories:
        try:
            files += _tf_files(directory)
        except OSError as error:
            unreadable(error)
    for result in read_configuration_files(files).values():
        if isinstance(result, ParsedFile):
            for block in result.body.blocks:
                source = block.attributes.get("source") if block.type == "module" else None
                if source and source.expression[0] == "lit" and isinstance(source.expression[1], str):
                    target = source.expression[1]
                    if target.startswith(("./", "../")) or target in (".", ".."):
                        caller = Path(result.path).parent.resolve()
                        calls.setdefault(caller, set()).add((Path(result.path).parent / target).resolve())
    called = {target for caller, targets in calls.items() for target in targets if target != caller}
    roots = [d for d in directories if d.resolve() not in called]
    reached = _reachable({d.resolve() for d in roots}, calls)
    for directory in directories:  # circles nobody above calls: start from the first of each
        if directory.resolve() not in reached:
            roots.append(directory)
            reached |= _reachable({directory.resolve()}, calls)
    return roots


def _reachable(starts: set[Path], calls: Mapping[Path, set[Path]]) -> set[Path]:
    seen = set(starts)
    pending = list(starts)
    while pending:
        for target in calls.get(pending.pop(), ()):
            if target not in seen:
                seen.add(target)
                pending.append(target)
    return seen
