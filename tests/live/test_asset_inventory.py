"""Organization scale through the real google-cloud-asset client against the simulator: scopes, inheritance,
custom roles, quota handling, exports (issue 11's "How we will know")."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from auditor.cli import main
from auditor.hierarchy import Hierarchy
from tests.live.org_state import FINANCE_FOLDER, ML_FOLDER, ORG, org_state

pytest.importorskip("google.cloud.asset_v1")

WIDENED_ROLE_TF = """
resource "google_project_iam_custom_role" "lite" {
  project     = "ml-a"
  role_id     = "nbAdminLite"
  title       = "nb admin lite"
  permissions = ["notebooks.instances.get", "notebooks.instances.start"]
}
"""


def run_live(state: dict[str, Any], command: list[str], output: Path, *args: str) -> tuple[int, dict[str, int]]:
    """`auditor COMMAND --format json --output OUTPUT ARGS` against a simulator of `state`: (exit code, calls).
    ARGS come last, so a test can override the defaults in COMMAND."""
    from auditor.live.simulator import start_simulator

    with start_simulator(state) as simulator:
        endpoints = ["--api-endpoint", simulator.api_endpoint, "--grpc-endpoint", simulator.grpc_endpoint]
        code = main([*command, "--format", "json", "--output", str(output), *endpoints, *args])
        assert simulator.mutations == ()
        return code, simulator.calls


def run_drift(tmp_path: Path, state: dict[str, Any] | None, *args: str) -> tuple[int, dict[str, Any], Any]:
    output = tmp_path / "report.json"
    if not any(arg.endswith(".tf") for arg in args):
        # No Terraform of the test's own: an empty configuration, not whatever the working directory holds.
        (tmp_path / "empty").mkdir(exist_ok=True)
        (tmp_path / "empty" / "main.tf").write_text("")
        args = (str(tmp_path / "empty"), *args)
    code, calls = run_live(
        state if state is not None else org_state(), ["drift", "--retry-deadline", "5"], output, *args
    )
    return code, json.loads(output.read_text()), calls


def findings(report: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["rule"] == rule]


def test_organization_grant_is_one_finding_at_the_organization(tmp_path: Path) -> None:
    code, report, calls = run_drift(tmp_path, None, "--organization", ORG, "--source", "asset-inventory")
    assert report["complete"], report["errors"]
    alice = [f for f in findings(report, "human-notebook-admin") if f["principal"] == "user:alice@acme.example"]
    assert [f["resource"] for f in alice] == [f"organizations/{ORG}"]
    assert alice[0]["project"] is None
    # Only ListAssets was called: no per-project or per-account reads.
    assert set(calls) == {"assets.list"}


def test_folder_grant_is_one_finding_and_reaches_its_projects_only(tmp_path: Path) -> None:
    from auditor.live.asset_reader import read_assets
    from auditor.live.clients import Endpoints
    from auditor.live.simulator import start_simulator

    code, report, _ = run_drift(tmp_path, None, "--organization", ORG, "--source", "asset-inventory")
    bob = [f for f in findings(report, "human-notebook-admin") if f["principal"] == "user:bob@acme.example"]
    assert [f["resource"] for f in bob] == [ML_FOLDER]
    with start_simulator(org_state()) as simulator:
        read = read_assets(
            [f"organizations/{ORG}"], endpoints=Endpoints(simulator.api_endpoint, simulator.grpc_endpoint)
        )
    hierarchy = Hierarchy.of(read.intent)
    assert hierarchy.projects_under(ML_FOLDER) == ("ml-a", "ml-b")
    assert hierarchy.projects_under(FINANCE_FOLDER) == ("fin-a",)
    assert hierarchy.project_ancestors("ml-a") == (ML_FOLDER, f"organizations/{ORG}")
    # A project without parent sits under the organization.
    assert hierarchy.project_ancestors("loose") == (f"organizations/{ORG}",)


def test_live_custom_role_is_judged_by_its_permissions(tmp_path: Path) -> None:
    for source in ("asset-inventory", "apis"):
        code, report, _ = run_drift(tmp_path, None, "--project", "ml-a", "--source", source)
        assert report["complete"], (source, report["errors"])
        carol = [f for f in report["findings"] if f["principal"] == "user:carol@acme.example"]
        rules = {f["rule"]: f for f in carol}
        assert "human-notebook-admin" in rules, (source, carol)
        assert rules["human-notebook-admin"]["severity"] in ("high", "critical")
        assert rules["human-notebook-admin"]["project"] == "ml-a"


def test_widened_custom_role_is_drift(tmp_path: Path) -> None:
    (tmp_path / "roles.tf").write_text(WIDENED_ROLE_TF)
    for source in ("asset-inventory", "apis"):
        code, report, _ = run_drift(tmp_path, None, str(tmp_path / "roles.tf"), "--project", "ml-a", "--source", source)
        [drift] = findings(report, "drift-custom-role")
        assert drift["severity"] == "high", source
        assert drift["resource"] == "google_project_iam_custom_role.lite"
        assert "notebooks.instances.setIamPolicy" in drift["live"] and "notebooks.instances.start" in drift["declared"]


def test_widened_by_a_harmless_permission_is_medium(tmp_path: Path) -> None:
    state = org_state()
    state["projects"][0]["customRoles"][0]["includedPermissions"] = [
        "notebooks.instances.get",
        "notebooks.instances.list",
    ]
    (tmp_path / "roles.tf").write_text(WIDENED_ROLE_TF)
    _, report, _ = run_drift(tmp_path, state, str(tmp_path / "roles.tf"), "--organization", ORG)
    [drift] = findings(report, "drift-custom-role")
    assert drift["severity"] == "medium"


def test_a_429_burst_is_retried_after_the_servers_delay(tmp_path: Path) -> None:
    state = org_state()
    state["faults"] = [{"call": "assets.list", "code": 429, "count": 3, "retryAfter": 0.05}]
    code, report, calls = run_drift(tmp_path, state, "--organization", ORG)
    assert report["complete"], report["errors"]
    _, clean, clean_calls = run_drift(tmp_path, None, "--organization", ORG)
    assert calls["assets.list"] == clean_calls["assets.list"] + 3
    assert Counter(f["rule"] for f in report["findings"]) == Counter(f["rule"] for f in clean["findings"])


def test_denied_list_assets_is_incomplete_exit_2(tmp_path: Path) -> None:
    state = org_state()
    state["faults"] = [{"call": "assets.list", "code": 403}]
    code, report, _ = run_drift(tmp_path, state, "--organization", ORG)
    assert code == 2
    assert not report["complete"]
    assert any("cloudasset.assets.listResource" in e["text"] for e in report["errors"])
    assert not findings(report, "drift-missing-member")


def test_exhausted_429_is_incomplete_exit_2(tmp_path: Path) -> None:
    state = org_state()
    state["faults"] = [{"call": "assets.list", "code": 429, "retryAfter": 0.5}]
    # --max-rpm high: 13 streams retrying for 5 s would otherwise (rightly) wait for the quota window.
    code, report, _ = run_drift(
        tmp_path, state, "--folder", ML_FOLDER.removeprefix("folders/"), "--max-rpm", "1000", "--retry-deadline", "1"
    )
    assert code == 2 and not report["complete"]
    assert all("retry deadline" in e["text"] for e in report["errors"])


def _write_export(path: Path, state: dict[str, Any], content_types: tuple[str, ...], *, snake: bool) -> None:
    """The simulator's state as Cloud Asset Inventory writes it: one Asset per line."""
    from google.cloud import asset_v1
    from google.protobuf import json_format

    from auditor.live.simulator.assets import build_assets

    with path.open("w", encoding="utf-8") as out:
        for asset in build_assets(state):
            for content_type in content_types:
                payload = asset.as_json(content_type)
                if content_type == "IAM_POLICY" and "iamPolicy" not in payload:
                    continue
                if snake:
                    message = json_format.ParseDict(payload, asset_v1.Asset.pb()())
                    payload = json_format.MessageToDict(message, preserving_proto_field_name=True)
                out.write(json.dumps(payload) + "\n")


@pytest.mark.parametrize("snake", [True, False], ids=["snake_case", "camelCase"])
def test_export_gives_the_same_findings_as_the_live_read(tmp_path: Path, snake: bool) -> None:
    state = org_state()
    (tmp_path / "roles.tf").write_text(WIDENED_ROLE_TF)
    tf = str(tmp_path / "roles.tf")
    _, live, _ = run_drift(tmp_path, state, tf, "--organization", ORG, "--source", "asset-inventory")
    resources, policies = tmp_path / "resource.json", tmp_path / "iam.json"
    _write_export(resources, state, ("RESOURCE",), snake=snake)
    _write_export(policies, state, ("IAM_POLICY",), snake=snake)
    # IAM first: the join on `name` must not depend on the order of the files.
    _, exported, calls = run_drift(tmp_path, state, tf, "--from-export", str(policies), "--from-export", str(resources))
    assert calls == {}
    assert exported["complete"], exported["errors"]

    def key(report: dict[str, Any]) -> list[tuple]:
        return sorted((f["rule"], f["resource"], f["principal"] or "", f["role"] or "") for f in report["findings"])

    assert key(exported) == key(live)
    assert len(live["findings"]) > 5


def test_export_without_custom_roles_never_calls_a_declared_role_missing(tmp_path: Path) -> None:
    """`gcloud asset export --asset-types` that leaves out iam.googleapis.com/Role: the declared role is not
    compared (an info finding says so), never reported as deleted live; an export that holds roles compares them."""
    state = org_state()
    (tmp_path / "roles.tf").write_text(WIDENED_ROLE_TF)
    tf = str(tmp_path / "roles.tf")
    full = tmp_path / "full.json"
    _write_export(full, state, ("RESOURCE", "IAM_POLICY"), snake=False)
    without_roles = tmp_path / "no-roles.json"
    lines = full.read_text().splitlines()
    without_roles.write_text("".join(f"{line}\n" for line in lines if '"iam.googleapis.com/Role"' not in line))
    assert len(lines) > len(without_roles.read_text().splitlines())  # the premise: roles were in the full export

    _, report, _ = run_drift(tmp_path, state, tf, "--from-export", str(without_roles))
    assert not findings(report, "drift-custom-role")
    (not_compared,) = [
        f for f in findings(report, "drift-unresolved") if f["role"] == "projects/ml-a/roles/nbAdminLite"
    ]
    assert "were not listed" in not_compared["message"]

    _, report, _ = run_drift(tmp_path, state, tf, "--from-export", str(full))
    (widened,) = findings(report, "drift-custom-role")
    assert widened["severity"] == "high"  # the live role adds an admin-level permission


def test_malformed_export_line_is_an_error_not_a_skip(tmp_path: Path) -> None:
    export = tmp_path / "bad.json"
    _write_export(export, org_state(), ("RESOURCE", "IAM_POLICY"), snake=True)
    export.write_text(export.read_text() + "{not json\n")
    code, report, _ = run_drift(tmp_path, None, "--from-export", str(export))
    assert code == 2
    assert any(e["text"].startswith(f"{export}:") for e in report["errors"])


def test_asset_inventory_and_apis_agree_on_an_organization(tmp_path: Path) -> None:
    _, assets, asset_calls = run_drift(tmp_path, None, "--organization", ORG, "--source", "asset-inventory")
    _, apis, api_calls = run_drift(tmp_path, None, "--organization", ORG, "--source", "apis")
    assert apis["complete"], apis["errors"]

    def key(report: dict[str, Any]) -> list[tuple]:
        return sorted((f["rule"], f["resource"], f["principal"] or "", f["project"] or "") for f in report["findings"])

    assert key(assets) == key(apis)
    assert sum(asset_calls.values()) < sum(api_calls.values())


def test_compute_instances_and_v1_v2_notebooks_from_assets() -> None:
    from auditor.live.asset_reader import read_assets
    from auditor.live.clients import Endpoints
    from auditor.live.simulator import start_simulator

    with start_simulator(org_state()) as simulator:
        read = read_assets(["projects/ml-a"], endpoints=Endpoints(simulator.api_endpoint, simulator.grpc_endpoint))
    assert read.complete, read.errors
    generations = {i.name: i.generation for i in read.intent.instances}
    assert generations == {"legacy": "v1", "wb": "v2"}
    [vm] = read.intent.compute_instances
    assert vm.address == "projects/ml-a/zones/europe-west4-a/instances/wb"
    assert vm.service_account == "runtime@ml-a.iam.gserviceaccount.com"
    assert vm.metadata == {"proxy-mode": "service_account"}
    assert read.intent.organization is None  # the organization asset is above the project, not below it


@pytest.mark.parametrize("source", ["asset-inventory", "apis"])
def test_organization_and_folder_grants_reach_the_access_matrix_of_the_instances_below(
    tmp_path: Path, source: str
) -> None:
    output = tmp_path / "matrix.json"
    code, _ = run_live(org_state(), ["access", "matrix"], output, "--organization", ORG, "--source", source)
    assert code == 0
    matrix = {
        row["instance"]: {entry["principal"] for entry in row["columns"]["reconfigure"]}
        for row in json.loads(output.read_text())["instances"]
    }
    assert len(matrix) == 5
    # The organization grant reaches every instance; the ml folder's only the ml projects' instances.
    assert all("user:alice@acme.example" in who for who in matrix.values())
    assert {name.split("/")[1] for name, who in matrix.items() if "user:bob@acme.example" in who} == {"ml-a", "ml-b"}
    # The live custom role on ml-a, judged by its permissions.
    assert {name.split("/")[1] for name, who in matrix.items() if "user:carol@acme.example" in who} == {"ml-a"}


def test_both_readers_produce_the_same_model_objects() -> None:
    from auditor.live.asset_reader import read_assets
    from auditor.live.clients import Endpoints
    from auditor.live.reader import read_project
    from auditor.live.simulator import start_simulator

    seen: list[tuple[int, int]] = []
    with start_simulator(org_state()) as simulator:
        endpoints = Endpoints(simulator.api_endpoint, simulator.grpc_endpoint)
        assets = read_assets(["projects/ml-a"], endpoints=endpoints, progress=lambda a, c: seen.append((a, c)))
        apis = read_project("ml-a", endpoints=endpoints)
    assert assets.complete and apis.complete
    for field in ("bindings", "service_accounts", "instances", "custom_roles"):
        assert sorted(map(repr, getattr(assets.intent, field))) == sorted(map(repr, getattr(apis.intent, field))), field
    [project] = assets.intent.projects
    assert (project.id, project.number, project.parent) == ("ml-a", "1001", ML_FOLDER)
    # Progress counts assets read, page by page, up to all of them.
    assert seen and max(a for a, _ in seen) == assets.assets and assets.assets > 5


def test_organization_demo_reads_the_bundled_organization_through_the_inventory(tmp_path: Path) -> None:
    output = tmp_path / "demo.json"
    assert main(["demo", "--organization", "--format", "json", "--output", str(output)]) == 1
    report = json.loads(output.read_text())
    assert report["complete"] is True
    assert report["scanned"][-1] == "organizations/987654321098"
    helpdesk = [f for f in findings(report, "human-notebook-admin") if f["principal"] == "user:helpdesk@acme.example"]
    assert [(f["resource"], f["project"]) for f in helpdesk] == [("organizations/987654321098", None)]
    # The platform project's planted drift is still found when it is read as part of the organization.
    assert {f["project"] for f in findings(report, "drift-instance-config")} == {"acme-ml-platform"}
    assert {f["project"] for f in findings(report, "unmanaged-instance")} == {
        "acme-ml-platform",
        "acme-finance-analytics",
    }
