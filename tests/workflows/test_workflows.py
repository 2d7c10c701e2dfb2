"""The workflow reader and the chatops-* policies: per-policy fixtures marked `# OK` / `# NOT OK`, the shipped
examples, and the shared ChatOps corpus."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from auditor.model import (
    Authority,
    Binding,
    CustomRole,
    InputError,
    Intent,
    Location,
    NotebookInstance,
    Principal,
    Scope,
    ScopeKind,
)
from auditor.policy import evaluate, load_policies
from auditor.policy.facts import WorkflowFacts, workflow_subjects
from auditor.roles.catalog import catalog_lookup
from auditor.terraform import load_intent
from auditor.workflows.files import discover, yaml_files
from auditor.workflows.model import Source, Workflow
from auditor.workflows.reader import read_workflow, read_workflows

FIXTURES = Path(__file__).parent.parent / "fixtures" / "workflows"
REPO = Path(__file__).resolve().parent.parent.parent
POLICY_IDS = (
    "chatops-expression-injection",
    "chatops-unrestricted-operation",
    "chatops-overbroad-identity",
    "chatops-key-credential",
    "chatops-unpinned-action",
)
POLICIES = {p.id: p for p in load_policies()}
"""The real registry: the chatops tests go through the loader and the engine, with the real role catalog."""
STARTSTOP = frozenset(
    {
        "notebooks.instances.get",
        "notebooks.instances.list",
        "notebooks.instances.start",
        "notebooks.instances.stop",
        "notebooks.operations.get",
    }
)


def _binding(email: str, role: str, address: str, line: int) -> Binding:
    return Binding(
        scope=Scope(ScopeKind.PROJECT, "p"),
        role=role,
        members=(Principal.parse(f"serviceAccount:{email}"),),
        authority=Authority.MEMBER,
        address=address,
        location=Location("main.tf", line),
    )


def _instance(name: str, project: str) -> NotebookInstance:
    return NotebookInstance(name, project, "europe-west4-a", "v2", f"google_workbench_instance.{name}", Location("x"))


INTENT = Intent(
    bindings=(
        _binding("admin@p.iam.gserviceaccount.com", "roles/notebooks.admin", "google_project_iam_member.admin", 10),
        _binding(
            "startstop@p.iam.gserviceaccount.com", "projects/p/roles/startStop", "google_project_iam_member.s", 20
        ),
        _binding(
            "startstop@p.iam.gserviceaccount.com", "roles/storage.objectViewer", "google_project_iam_member.v", 25
        ),
        _binding("mystery@p.iam.gserviceaccount.com", "roles/mystery", "google_project_iam_member.m", 30),
        _binding(
            "chatops@risky-project.iam.gserviceaccount.com",
            "roles/notebooks.admin",
            "google_project_iam_member.chatops_admin",
            40,
        ),
    ),
    custom_roles=(
        CustomRole(
            "projects/p/roles/startStop", "startStop", STARTSTOP, "google_project_iam_custom_role.s", Location("x")
        ),
    ),
    instances=(_instance("nb-alice", "p"), _instance("nb-bob", "p")),
)


def _policy(policy_id: str) -> dict:
    return yaml.safe_load((REPO / "policies" / f"{policy_id}.yaml").read_text())


def _facts(workflow: Workflow, intent: Intent = INTENT) -> WorkflowFacts:
    (subject,) = workflow_subjects([workflow], intent, catalog_lookup(intent.custom_roles))
    facts = subject.activation["workflow"]
    assert isinstance(facts, WorkflowFacts)
    return facts


def _failing(
    workflows: list[Workflow], intent: Intent = INTENT, ids: tuple[str, ...] = POLICY_IDS
) -> set[tuple[str, str]]:
    """(policy id, workflow path) of every finding the engine reports."""
    findings = evaluate(intent, [POLICIES[i] for i in ids], workflows=workflows)
    return {(f.rule, f.resource) for f in findings}


def _read(path: Path) -> Workflow:
    result = read_workflow(path.read_text(), path.name)
    assert isinstance(result, Workflow), result
    return result


def _violates(policy_id: str, workflow: Workflow, intent: Intent = INTENT) -> bool:
    return bool(_failing([workflow], intent, (policy_id,)))


@pytest.mark.parametrize("policy_id", POLICY_IDS)
def test_policy_fixtures_fail_exactly_the_not_ok_files(policy_id: str) -> None:
    files = sorted((FIXTURES / policy_id).glob("*.yml"))
    assert len(files) >= 3
    expected = {f.name for f in files if f.read_text().startswith("# NOT OK")}
    assert expected and expected != {f.name for f in files}
    failing = {f.name for f in files if _violates(policy_id, _read(f))}
    assert failing == expected


def test_on_key_stays_a_string_and_triggers_are_read() -> None:
    workflow = _read(FIXTURES / "chatops-unrestricted-operation" / "choice-input.yml")
    assert [t.event for t in workflow.triggers] == ["workflow_dispatch"]
    assert _read(FIXTURES / "chatops-expression-injection" / "env-only.yml").triggers[0].event == "repository_dispatch"


def test_injection_in_multiline_run_points_at_its_line() -> None:
    workflow = _read(FIXTURES / "chatops-expression-injection" / "multiline-run.yml")
    assert [(i.expression, i.line, i.sink) for i in workflow.injections] == [
        ("github.event.client_payload.notebook", 13, "run")
    ]


def test_script_input_and_env_indirection_are_injections() -> None:
    script = _read(FIXTURES / "chatops-expression-injection" / "github-script.yml")
    assert [(i.expression, i.sink, i.line) for i in script.injections] == [
        ("github.event.comment.body", "with.script", 12)
    ]
    via_env = _read(FIXTURES / "chatops-expression-injection" / "env-expression.yml").injections
    assert [(i.expression, i.via_env) for i in via_env] == [("github.event.client_payload.notebook", "NOTEBOOK")]


def test_allowlists_are_recognised_in_each_form() -> None:
    cases = {
        "case-allowlist.yml": (("start", "stop"), ("nb-alice", "nb-bob")),
        "regex-allowlist.yml": (("start", "stop"), ("nb-alice", "nb-bob")),
        "comparison-allowlist.yml": (("start", "stop"), None),
        "if-allowlist.yml": (("start", "stop"), ("nb-alice", "nb-bob")),
        "choice-input.yml": (("start", "stop"), ("nb-alice", "nb-bob")),
        "case-with-delete.yml": (("start", "stop", "delete"), None),
        "regex-unanchored.yml": (None, None),
    }
    for name, (verbs, instances) in cases.items():
        (control,) = _read(FIXTURES / "chatops-unrestricted-operation" / name).notebook_controls
        assert control.allowed_verbs == verbs, name
        assert control.allowed_instances == instances, name
        assert control.verb.source is Source.TRIGGER, name


def test_rest_and_untraced_verbs_are_not_trusted() -> None:
    (rest,) = _read(FIXTURES / "chatops-unrestricted-operation" / "rest-unchecked.yml").notebook_controls
    assert (rest.tool, rest.generation, rest.verb.text, rest.verb.source) == ("rest", "v2", "${VERB}", Source.TRIGGER)
    (output,) = _read(FIXTURES / "chatops-unrestricted-operation" / "untraced-output.yml").notebook_controls
    assert output.verb.source is Source.UNKNOWN


def test_instance_allowlist_must_name_declared_instances() -> None:
    workflow = _read(FIXTURES / "chatops-unrestricted-operation" / "case-allowlist.yml")
    only_alice = Intent(instances=(_instance("nb-alice", "p"),))
    facts = _facts(workflow, only_alice)
    assert facts.unrestricted_operations_count == 1
    assert "nb-bob" in facts.unrestricted_reasons[0]


def test_overbroad_identity_lists_surplus_and_points_at_the_binding() -> None:
    workflow = _read(FIXTURES / "chatops-overbroad-identity" / "admin.yml")
    facts = _facts(workflow)
    surplus = facts.identity_surplus_permissions
    assert {
        "notebooks.instances.create",
        "notebooks.instances.delete",
        "notebooks.instances.setIamPolicy",
        "notebooks.instances.update",
    } <= set(surplus)
    assert not {"notebooks.instances.start", "notebooks.instances.stop", "notebooks.instances.get"} & set(surplus)
    assert surplus[0].startswith("notebooks.instances.")  # the notebook permissions first
    assert facts.identity_binding_locations == ("google_project_iam_member.admin (main.tf:10)",)
    assert facts.identity_line == 12
    (finding,) = evaluate(INTENT, [POLICIES["chatops-overbroad-identity"]], workflows=[workflow])
    assert finding.location == Location("admin.yml", 12) and finding.resource == "admin.yml"
    assert "admin@p.iam.gserviceaccount.com" in facts.effective_access
    assert "notebooks.instances.delete" in facts.effective_access


def test_risky_example_triggers_every_chatops_policy() -> None:
    root = REPO / "examples" / "workbench-risky"
    workflows, errors = read_workflows(discover(root), root)
    assert not errors
    (workflow,) = [w for w in workflows if w.path.endswith("notebook-chatops.yml")]
    intent = load_intent([root / "main.tf"])
    assert {rule for rule, _ in _failing([workflow], intent)} == set(POLICY_IDS)
    facts = _facts(workflow, intent)
    sentence = facts.effective_access
    assert "repository_dispatch" in sentence and "chatops@risky-project.iam.gserviceaccount.com" in sentence
    assert "notebooks.instances.create" in sentence
    # The Terraform binding behind the surplus, as the overbroad-identity finding names it.
    assert [b["address"] for b in facts.identity_bindings] == ["google_project_iam_member.chatops_admin"]
    assert facts.identity_roles == ("roles/notebooks.admin",)


def test_reference_example_passes_every_chatops_policy() -> None:
    root = REPO / "examples" / "chatops"
    workflows, errors = read_workflows(discover(root), root)
    assert not errors and len(workflows) == 1
    intent = load_intent([root / "main.tf"])
    assert not intent.errors, intent.errors
    facts = _facts(workflows[0], intent)
    assert facts.controls_notebooks
    assert facts.identity_roles == ("projects/data-platform-prod/roles/notebookStartStop",)
    assert _failing(workflows, intent) == set()
    assert facts.effective_access.endswith("nothing beyond start, stop, get and list on notebook instances.")


def test_reference_terraform_grants_start_stop_get_list_only() -> None:
    text = (REPO / "examples" / "chatops" / "main.tf").read_text()
    block = text.split('resource "google_project_iam_custom_role"')[1].split("}")[0]
    assert set(re.findall(r'"(notebooks\.[\w.]+)"', block)) == STARTSTOP


def test_invalid_yaml_is_an_input_error_with_a_line() -> None:
    result = read_workflow("on: push\njobs:\n  a: [\n", "broken.yml")
    assert isinstance(result, InputError) and result.path == "broken.yml" and result.line is not None
    assert read_workflow("name: x\nruns:\n  using: composite\n", "action.yml") is None


def test_policy_files_are_complete_and_messages_name_existing_facts() -> None:
    workflow = _read(FIXTURES / "chatops-overbroad-identity" / "admin.yml")
    facts = {name for name in WorkflowFacts.__dataclass_fields__}
    assert _facts(workflow).identity_line == 12
    severities = {
        "chatops-expression-injection": "critical",
        "chatops-unrestricted-operation": "high",
        "chatops-overbroad-identity": "high",
        "chatops-key-credential": "medium",
        "chatops-unpinned-action": "medium",
    }
    for policy_id, severity in severities.items():
        policy = _policy(policy_id)
        assert policy["id"] == policy_id and policy["severity"] == severity and policy["subject"] == "workflow"
        assert all(policy[field] for field in ("title", "message", "rationale", "remediation", "references"))
        assert "\n" not in policy["condition"]
        for placeholder in re.findall(r"\{workflow\.(\w+)\}", policy["message"]):
            assert placeholder in facts, (policy_id, placeholder)


def test_shared_chatops_corpus_parses_and_its_injections_are_reported(shared: Path) -> None:
    root = shared / "corpus" / "github-actions-chatops"
    workflows, errors = read_workflows(yaml_files(root), root)
    assert errors == ()
    assert len(workflows) == 13  # 3 dot-github + 10 extracted; action.yml is action metadata, skipped
    failing = _failing(workflows, Intent())
    injected = {Path(resource).name for rule, resource in failing if rule == "chatops-expression-injection"}
    assert injected == {
        "README__slash_command_context.yml",
        "examples__pytest.yml",
        "examples__rebase.yml",
        "examples__use_case_execute_command_using_a_specific_reposito.yml",
    }
    # They control no notebooks, so nothing else applies.
    assert {rule for rule, _ in failing} == {"chatops-expression-injection"}
    env_only = next(w for w in workflows if w.path.endswith("README__github_and_pull_request_contexts.yml"))
    assert _facts(env_only, Intent()).injections_count == 0


@pytest.mark.parametrize("above", ["venv", ".venv", "node_modules", ".terraform"])
def test_discovery_skips_vendored_directories_below_the_root_only(above: str, tmp_path: Path) -> None:
    """A repository checked out (or the package installed) under a directory named `venv` still has its workflows:
    `pip install` into `venv/` made `auditor demo` lose the ChatOps workflow and report a false escalation."""
    root = tmp_path / above / "infra"
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "workflows" / "ops.yml").write_text("on: push\n")
    vendored = root / above / "pkg" / ".github" / "workflows"
    vendored.mkdir(parents=True)
    (vendored / "theirs.yml").write_text("on: push\n")
    assert discover(root) == [root / ".github" / "workflows" / "ops.yml"]


def test_discovery_follows_a_symlinked_directory_once(tmp_path: Path) -> None:
    """The Terraform reader reads a directory reached through a link: so must the workflow reader, or the
    workflow's federated identity looks unrestricted (a false escalation) under `auditor check examples`."""
    real = tmp_path / "shared" / "team"
    (real / ".github" / "workflows").mkdir(parents=True)
    (real / ".github" / "workflows" / "ops.yml").write_text("on: push\n")
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "team").symlink_to(real, target_is_directory=True)
    (tmp_path / "repo" / "again").symlink_to(real, target_is_directory=True)
    (tmp_path / "repo" / "loop").symlink_to(tmp_path / "repo", target_is_directory=True)
    found = discover(tmp_path / "repo")
    assert [p.name for p in found] == ["ops.yml"]


def test_an_unreadable_github_directory_makes_check_incomplete(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Terraform reader never lists dot-directories, so an unreadable `.github` is reported by workflow
    discovery: exit 2, never a clean check without the workflows (and the scanned root is reported once)."""
    import json
    import os

    from auditor.cli import main

    (tmp_path / "main.tf").write_text("")
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ops.yml").write_text("on: push\njobs: {}\n")
    original = os.scandir

    def scandir(path: object = ".") -> object:
        if os.path.basename(os.fspath(path)) == ".github":
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return original(path)

    monkeypatch.setattr(os, "scandir", scandir)
    output = tmp_path / "report.json"
    assert main(["check", str(tmp_path), "--format", "json", "--output", str(output)]) == 2
    errors = json.loads(output.read_text())["errors"]
    assert [error["path"] for error in errors] == [str(tmp_path / ".github")]
    assert "cannot read the directory: Permission denied" in errors[0]["message"]


def test_an_unreadable_directory_under_workflows_dir_makes_check_incomplete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--workflows DIR` names the directory to read: a subdirectory that cannot be listed is an input error."""
    import json
    import os

    from auditor.cli import main

    terraform = tmp_path / "infra"  # apart from the workflows: the Terraform reader never lists them
    terraform.mkdir()
    (terraform / "main.tf").write_text("")
    workflows = tmp_path / "ci"
    (workflows / "more").mkdir(parents=True)
    (workflows / "ops.yml").write_text("on: push\njobs: {}\n")
    original = os.scandir

    def scandir(path: object = ".") -> object:
        if os.path.basename(os.fspath(path)) == "more":
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return original(path)

    monkeypatch.setattr(os, "scandir", scandir)
    output = tmp_path / "report.json"
    argv = ["check", str(terraform), "--workflows", str(workflows), "--format", "json", "--output", str(output)]
    assert main(argv) == 2
    errors = json.loads(output.read_text())["errors"]
    assert [error["path"] for error in errors] == [str(workflows / "more")]
