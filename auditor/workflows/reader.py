"""Read GitHub Actions workflow files into `Workflow` facts: triggers, identity, notebook control, injections, pins.

Sits beside the Terraform sources in the static path: `discover` finds `.github/workflows/*.y*ml` under a scanned
root, `read_workflows` parses them without network or execution. A file that fails to parse becomes an
`InputError`; the rest are still read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from auditor.model import InputError
from auditor.workflows import yamlnodes
from auditor.workflows.expressions import attacker_controlled, find_expressions, source_of_text
from auditor.workflows.model import (
    ActionUse,
    Identity,
    IdentityKind,
    Injection,
    NotebookControl,
    Source,
    Step,
    Trigger,
    ValueOrigin,
    Workflow,
)
from auditor.workflows.shell import Script, expression_allowlists, find_commands, script_allowlist, trace

_SHA = re.compile(r"^[0-9a-f]{40}$")
_AUTH_ACTION = "google-github-actions/auth"
_SCRIPT_ACTIONS = ("actions/github-script",)


def read_workflows(
    paths: Iterable[Path], root: Path | None = None
) -> tuple[tuple[Workflow, ...], tuple[InputError, ...]]:
    workflows: list[Workflow] = []
    errors: list[InputError] = []
    for path in paths:
        shown = _display(path, root)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            errors.append(InputError(shown, f"cannot read workflow: {error}"))
            continue
        result = read_workflow(text, shown)
        if isinstance(result, InputError):
            errors.append(result)
        elif result is not None:
            workflows.append(result)
    return tuple(workflows), tuple(errors)


def _display(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.relative_to(root if root.is_dir() else root.parent).as_posix()
        except ValueError:
            pass
    return path.as_posix()


def read_workflow(text: str, path: str) -> Workflow | InputError | None:
    """One workflow file's facts; None for action metadata (`runs:` without `jobs:`), which is not a workflow."""
    try:
        document = yamlnodes.load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        return InputError(path, f"invalid YAML: {problem}", mark.line + 1 if mark else None)
    if isinstance(document, list):
        # A bare list of steps (README snippets): read it as one job with unknown triggers.
        fragment = yamlnodes.LineDict({"(snippet)": yamlnodes.LineDict({"steps": document})})
        fragment.line = fragment["(snippet)"].line = yamlnodes.line_of(document)
        return _Reader(path, yamlnodes.LineDict(), fragment, fragment=True).workflow()
    if not isinstance(document, dict):
        return InputError(path, "not a workflow: expected a mapping with `on` and `jobs`", 1)
    jobs = document.get("jobs")
    if jobs is None and "runs" in document:
        return None
    if not isinstance(jobs, dict):
        return InputError(path, "not a workflow: no `jobs` mapping", yamlnodes.line_of(document))
    return _Reader(path, document, jobs).workflow()


class _Reader:
    """Walks one parsed workflow; collects facts per job and step."""

    def __init__(self, path: str, document: Mapping[str, Any], jobs: Mapping[str, Any], fragment: bool = False):
        self.path = path
        self.document = document
        self.jobs = jobs
        self.fragment = fragment
        self.identities: list[Identity] = []
        self.controls: list[NotebookControl] = []
        self.injections: list[Injection] = []
        self.actions: list[ActionUse] = []
        self.steps: list[Step] = []
        self.choices = self._input_choices()

    def workflow(self) -> Workflow:
        workflow_env = _env_scope(self.document.get("env"), {}, {})
        for job_id, job in self.jobs.items():
            if isinstance(job, dict):
                self._job(str(job_id), job, workflow_env)
        name = self.document.get("name")
        return Workflow(
            path=self.path,
            name=str(name) if name else Path(self.path).name,
            line=yamlnodes.line_of(self.document),
            triggers=self._triggers(),
            jobs=tuple(str(job) for job in self.jobs),
            steps=tuple(self.steps),
            identities=tuple(self.identities),
            notebook_controls=tuple(self.controls),
            injections=tuple(self.injections),
            actions=tuple(self.actions),
            fragment=self.fragment,
        )

    def _triggers(self) -> tuple[Trigger, ...]:
        on = self.document.get("on", self.document.get(True))
        line = self.document.key_lines.get("on", 1) if isinstance(self.document, yamlnodes.LineDict) else 1
        if isinstance(on, str):
            return (Trigger(on, yamlnodes.line_of(on, line)),)
        if isinstance(on, list):
            return tuple(Trigger(str(event), yamlnodes.line_of(event, line)) for event in on)
        if isinstance(on, dict):
            triggers = []
            for event, config in on.items():
                types = config.get("types", ()) if isinstance(config, dict) else ()
                types = (types,) if isinstance(types, str) else tuple(str(t) for t in types or ())
                triggers.append(Trigger(str(event), on.key_lines.get(event, line), types))
            return tuple(triggers)
        return ()

    def _input_choices(self) -> dict[str, tuple[str, ...]]:
        """`workflow_dispatch` inputs of `type: choice`: GitHub rejects any other value, so they are allowlists."""
        on = self.document.get("on")
        dispatch = on.get("workflow_dispatch") if isinstance(on, dict) else None
        inputs = dispatch.get("inputs") if isinstance(dispatch, dict) else None
        choices: dict[str, tuple[str, ...]] = {}
        for name, spec in (inputs or {}).items() if isinstance(inputs, dict) else ():
            if isinstance(spec, dict) and spec.get("type") == "choice" and isinstance(spec.get("options"), list):
                options = tuple(str(option) for option in spec["options"])
                choices[f"inputs.{name}"] = choices[f"github.event.inputs.{name}"] = options
        return choices

    def _job(self, job_id: str, job: Mapping[str, Any], outer_env: _EnvScope) -> None:
        env = _env_scope(job.get("env"), outer_env.sources, outer_env.aliases)
        job_guards = expression_allowlists(str(job["if"])) if isinstance(job.get("if"), str) else {}
        if isinstance(job.get("uses"), str):  # a reusable workflow call
            self.actions.append(_action_use(job["uses"], job_id))
        steps = job.get("steps")
        if not isinstance(steps, list):
            return
        for number, step in enumerate(steps, start=1):
            if isinstance(step, dict):
                self._step(job_id, number, step, env, job_guards)

    def _step(self, job_id: str, number: int, step: Mapping[str, Any], job_env: _EnvScope, job_guards: dict) -> None:
        label = str(step.get("name") or step.get("id") or step.get("uses") or f"step {number}")
        line = yamlnodes.line_of(step)
        self.steps.append(Step(job_id, label, line))
        env = _env_scope(step.get("env"), job_env.sources, job_env.aliases)
        step_guards = expression_allowlists(str(step["if"])) if isinstance(step.get("if"), str) else {}
        guards = _merge_guards(job_guards, step_guards)
        uses = step.get("uses")
        with_ = step.get("with") if isinstance(step.get("with"), dict) else {}
        if isinstance(uses, str):
            self.actions.append(_action_use(uses, job_id))
            if uses.split("@")[0] == _AUTH_ACTION:
                self.identities.append(_identity(with_, job_id, line, env))
        sinks: list[tuple[str, Any]] = []
        if isinstance(step.get("run"), str):
            sinks.append(("run", step["run"]))
        script_action = isinstance(uses, str) and (uses.split("@")[0] in _SCRIPT_ACTIONS or "script" in uses.lower())
        if script_action and isinstance(with_.get("script"), str):
            sinks.append(("with.script", with_["script"]))
        for sink, text in sinks:
            self._injections(text, sink, job_id, label, env)
            self._controls(text, job_id, label, env, guards)
            if sink == "run":
                self._key_file_login(text, job_id)

    def _injections(self, text: str, sink: str, job_id: str, step: str, env: _EnvScope) -> None:
        for expression in find_expressions(text):
            line = _line_in(text, expression.start)
            for path in expression.paths:
                if attacker_controlled(path):
                    self.injections.append(Injection(path, expression.text, line, job_id, step, sink))
                elif path.startswith("env.") and env.sources.get(path[4:].split(".")[0]) is Source.TRIGGER:
                    name = path[4:].split(".")[0]
                    origin = env.aliases.get(name, path)
                    self.injections.append(Injection(origin, expression.text, line, job_id, step, sink, name))

    def _controls(self, text: str, job_id: str, step: str, env: _EnvScope, guards: dict) -> None:
        script = Script.parse(text)
        for command in find_commands(script):
            line = _line_in(text, _offset_of_line(script.text, command.line_index))
            verb, verb_allowed = self._origin(command.verb, script, command.line_index, env, guards)
            instance, instance_allowed = (None, None)
            if command.instance is not None:
                instance, instance_allowed = self._origin(command.instance, script, command.line_index, env, guards)
            self.controls.append(
                NotebookControl(
                    line=line,
                    job=job_id,
                    step=step,
                    tool=command.tool,
                    verb=verb,
                    instance=instance,
                    generation=command.generation,
                    allowed_verbs=verb_allowed,
                    allowed_instances=instance_allowed,
                )
            )

    def _origin(
        self, token: str, script: Script, line_index: int, env: _EnvScope, guards: dict
    ) -> tuple[ValueOrigin, tuple[str, ...] | None]:
        traced = trace(token, script, line_index, env.sources)
        shown = _restore(token, script)
        if traced.source in (Source.LITERAL, Source.CONFIGURATION):
            return ValueOrigin(shown, traced.source, traced.paths), None
        allowed = script_allowlist(script, traced.subjects, line_index)
        for path in _guard_paths(traced, script, env):
            for restriction in (guards.get(path), self.choices.get(path)):
                if restriction is not None:
                    allowed = restriction if allowed is None else tuple(v for v in allowed if v in restriction)
        return ValueOrigin(shown, traced.source, tuple(dict.fromkeys(traced.paths))), allowed

    def _key_file_login(self, text: str, job_id: str) -> None:
        """`gcloud auth activate-service-account --key-file=...` is a key credential too."""
        for match in re.finditer(r"gcloud\s+auth\s+activate-service-account\b([^\n]*)", text):
            account = next((w for w in match.group(1).split() if "@" in w and "$" not in w), None)
            line = _line_in(text, match.start())
            self.identities.append(Identity(IdentityKind.KEY, line, job_id, account, account or "", "", "key file"))


class _EnvScope:
    """The `env:` in scope: where each variable's value comes from, and which are plain aliases of one path."""

    def __init__(self, sources: dict[str, Source], aliases: dict[str, str]):
        self.sources = sources
        self.aliases = aliases


def _env_scope(env: Any, outer_sources: dict[str, Source], outer_aliases: dict[str, str]) -> _EnvScope:
    sources = dict(outer_sources)
    aliases = dict(outer_aliases)
    if isinstance(env, dict):
        for name, value in env.items():
            text = "" if value is None else str(value)
            source, paths = source_of_text(text, outer_sources)
            sources[str(name)] = source
            only = re.fullmatch(r"\s*\$\{\{\s*([\w.\-]+)\s*\}\}\s*", text)
            if only:
                path = only.group(1)
                aliases[str(name)] = outer_aliases.get(path[4:], path) if path.startswith("env.") else path
            else:
                aliases.pop(str(name), None)
    return _EnvScope(sources, aliases)


def _merge_guards(first: dict, second: dict) -> dict:
    merged = dict(first)
    for path, values in second.items():
        merged[path] = values if path not in merged else tuple(v for v in merged[path] if v in values)
    return merged


def _guard_paths(traced: Any, script: Script, env: _EnvScope) -> list[str]:
    """Paths an `if:` guard could test to restrict this value: the paths themselves, env names, their aliases."""
    paths = list(traced.paths)
    for subject in traced.subjects:
        if not subject.startswith("@@") and subject in env.sources:
            paths.append(f"env.{subject}")
            if subject in env.aliases:
                paths.append(env.aliases[subject])
    for path in list(paths):
        if path.startswith("env.") and path[4:] in env.aliases:
            paths.append(env.aliases[path[4:]])
    return list(dict.fromkeys(paths))


def _restore(token: str, script: Script) -> str:
    return re.sub(r"@@E(\d+)@@", lambda m: script.expressions[int(m.group(1))].text, token)


def _line_in(text: Any, offset: int) -> int:
    if isinstance(text, yamlnodes.LineStr):
        return text.line_of(offset)
    return 1


def _offset_of_line(text: str, index: int) -> int:
    """Offset in the original script of line `index` (placeholders never contain newlines)."""
    offset = 0
    for _ in range(index):
        offset = text.index("\n", offset) + 1
    return offset


def _action_use(uses: str, job_id: str) -> ActionUse:
    line = yamlnodes.line_of(uses)
    if uses.startswith("./") or uses.startswith(".\\"):
        return ActionUse(uses, line, job_id, pinned=True, local=True)
    if uses.startswith("docker://"):
        return ActionUse(uses, line, job_id, pinned="@sha256:" in uses)
    _, _, ref = uses.partition("@")
    return ActionUse(uses, line, job_id, pinned=bool(_SHA.match(ref)))


def _identity(with_: Mapping[str, Any], job_id: str, line: int, env: _EnvScope) -> Identity:
    provider = str(with_.get("workload_identity_provider") or "")
    account_text = str(with_.get("service_account") or "")
    key = str(with_.get("credentials_json") or "")
    if key:
        kind = IdentityKind.KEY
    elif provider:
        kind = IdentityKind.WORKLOAD_IDENTITY
    else:
        kind = IdentityKind.OTHER
    account = account_text if account_text and "${{" not in account_text else None
    auth_line = yamlnodes.line_of(with_.get("credentials_json") or with_.get("service_account") or provider, line)
    return Identity(kind, auth_line, job_id, account, account_text, provider, key)
