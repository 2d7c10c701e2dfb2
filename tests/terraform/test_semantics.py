"""Semantics: hand-built resource instances into the intent model, one feature per test."""

from __future__ import annotations

import json

import pytest

from auditor.model import (
    DEFAULT_SERVICE_ACCOUNT,
    Accelerator,
    Authority,
    Condition,
    ConflictKind,
    InputError,
    Location,
    PrincipalKind,
    Scope,
    ScopeKind,
    ShieldedVm,
    Unresolved,
)
from auditor.terraform.resources import ResourceInstance
from auditor.terraform.semantics import build_intent


def resource(type_: str, label: str = "r", mode: str = "managed", line: int = 1, **attributes) -> ResourceInstance:
    prefix = "data." if mode == "data" else ""
    project = attributes.pop("provider_project", "prov-project")
    zone = attributes.pop("provider_zone", None)
    return ResourceInstance(
        mode=mode,
        type=type_,
        name=label,
        address=f"{prefix}{type_}.{label}",
        attributes=attributes,
        location=Location("main.tf", line),
        provider_project=project,
        provider_zone=zone,
    )


def only_binding(*resources: ResourceInstance):
    (binding,) = build_intent(resources).bindings
    return binding


# --- authorities and scopes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("suffix", "authority"),
    [("member", Authority.MEMBER), ("member_remove", Authority.REMOVE), ("binding", Authority.BINDING)],
)
def test_project_authority_by_resource_type(suffix: str, authority: Authority) -> None:
    member = {"members": ["user:a@x.com"]} if suffix == "binding" else {"member": "user:a@x.com"}
    binding = only_binding(resource(f"google_project_iam_{suffix}", project="p1", role="roles/viewer", **member))
    assert binding.authority is authority
    assert binding.scope == Scope(ScopeKind.PROJECT, "p1")
    assert [m.member for m in binding.members] == ["user:a@x.com"]
    assert binding.members[0].kind is PrincipalKind.USER
    assert binding.address == f"google_project_iam_{suffix}.r"
    assert binding.location == Location("main.tf", 1)
    assert binding.unresolved == ()


@pytest.mark.parametrize("project", [None, ""])
def test_project_falls_back_to_provider_project(project: str | None) -> None:
    binding = only_binding(resource("google_project_iam_member", project=project, role="roles/owner", member="user:a"))
    assert binding.scope.name == "prov-project"


def test_project_without_any_project_is_unresolved_not_dropped() -> None:
    binding = only_binding(
        resource("google_project_iam_member", provider_project=None, role="roles/owner", member="user:a")
    )
    assert isinstance(binding.scope.name, Unresolved)
    assert binding.unresolved == (binding.scope.name.expression,)


@pytest.mark.parametrize(("folder", "expected"), [("67890", "folders/67890"), ("folders/67890", "folders/67890")])
def test_folder_scope_is_normalised(folder: str, expected: str) -> None:
    binding = only_binding(resource("google_folder_iam_member", folder=folder, role="roles/editor", member="user:a"))
    assert binding.scope == Scope(ScopeKind.FOLDER, expected)


@pytest.mark.parametrize(("org", "expected"), [("123", "organizations/123"), (123, "organizations/123")])
def test_organization_scope_is_normalised(org, expected: str) -> None:
    binding = only_binding(resource("google_organization_iam_binding", org_id=org, role="roles/x", members=["user:a"]))
    assert binding.scope == Scope(ScopeKind.ORGANIZATION, expected)


@pytest.mark.parametrize(
    ("account", "expected"),
    [
        ("projects/p/serviceAccounts/sa@p.iam.gserviceaccount.com", "sa@p.iam.gserviceaccount.com"),
        ("projects/-/serviceAccounts/sa@p.iam.gserviceaccount.com", "sa@p.iam.gserviceaccount.com"),
        ("sa@p.iam.gserviceaccount.com", "sa@p.iam.gserviceaccount.com"),
        ("108592438577779299646", "108592438577779299646"),
    ],
)
def test_service_account_scope_is_the_email(account: str, expected: str) -> None:
    binding = only_binding(
        resource("google_service_account_iam_member", service_account_id=account, role="roles/x", member="user:a")
    )
    assert binding.scope == Scope(ScopeKind.SERVICE_ACCOUNT, expected)


def test_notebooks_instance_scope_uses_instance_name() -> None:
    binding = only_binding(
        resource(
            "google_notebooks_instance_iam_member",
            project="p",
            location="us-west1-a",
            instance_name="nb",
            role="roles/notebooks.viewer",
            member="user:a",
        )
    )
    assert binding.scope == Scope(ScopeKind.NOTEBOOK_INSTANCE, "projects/p/locations/us-west1-a/instances/nb")


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ({"name": "wb", "location": "us-east1-b", "project": "p"}, "projects/p/locations/us-east1-b/instances/wb"),
        ({"name": "wb", "location": "us-east1-b"}, "projects/prov-project/locations/us-east1-b/instances/wb"),
        ({"name": "projects/q/locations/z1/instances/wb"}, "projects/q/locations/z1/instances/wb"),
        ({"name": "q/z1/wb"}, "projects/q/locations/z1/instances/wb"),
        ({"name": "z1/wb"}, "projects/prov-project/locations/z1/instances/wb"),
        ({"name": "wb", "provider_zone": "pz"}, "projects/prov-project/locations/pz/instances/wb"),
    ],
)
def test_workbench_instance_scope(attributes: dict, expected: str) -> None:
    binding = only_binding(
        resource("google_workbench_instance_iam_binding", role="roles/notebooks.viewer", members=[], **attributes)
    )
    assert binding.scope == Scope(ScopeKind.WORKBENCH_INSTANCE, expected)
    assert binding.members == ()


def test_workbench_instance_scope_without_location_is_unresolved() -> None:
    binding = only_binding(resource("google_workbench_instance_iam_member", name="wb", role="roles/x", member="user:a"))
    assert isinstance(binding.scope.name, Unresolved)
    assert "instances/wb" in binding.scope.name.expression
    assert binding.unresolved


# --- unknowns and conditions --------------------------------------------------------------------------------------


def test_unresolved_role_member_and_scope_are_kept_with_their_texts() -> None:
    binding = only_binding(
        resource(
            "google_project_iam_binding",
            project=Unresolved("var.project"),
            role=Unresolved("var.role"),
            members=["user:a@x.com", Unresolved("var.extra")],
        )
    )
    assert binding.unresolved == ("var.project", "var.role", "var.extra")
    assert binding.role == Unresolved("var.role")
    assert [m.kind for m in binding.members] == [PrincipalKind.USER, PrincipalKind.UNRESOLVED]


def test_whole_members_list_unresolved_is_kept() -> None:
    binding = only_binding(
        resource("google_project_iam_binding", project="p", role="roles/owner", members=Unresolved("var.owners"))
    )
    assert [m.kind for m in binding.members] == [PrincipalKind.UNRESOLVED]
    assert binding.unresolved == ("var.owners",)


def test_condition_block_becomes_condition() -> None:
    binding = only_binding(
        resource(
            "google_project_iam_member",
            project="p",
            role="roles/notebooks.admin",
            member="user:a",
            condition=[{"expression": "request.time < timestamp('2030-01-01T00:00:00Z')", "title": "t"}],
        )
    )
    assert binding.condition == Condition("request.time < timestamp('2030-01-01T00:00:00Z')", "t", "")
    assert binding.key == ("roles/notebooks.admin", "request.time < timestamp('2030-01-01T00:00:00Z')")


def test_empty_condition_list_means_no_condition() -> None:
    binding = only_binding(resource("google_project_iam_member", project="p", role="r", member="user:a", condition=[]))
    assert binding.condition is None


# --- policies -----------------------------------------------------------------------------------------------------


def test_policy_data_gives_one_binding_per_role() -> None:
    policy_data = json.dumps(
        {
            "bindings": [
                {"role": "roles/editor", "members": ["user:a", "group:g"]},
                {
                    "role": "roles/viewer",
                    "members": ["allUsers"],
                    "condition": {"expression": "e", "title": "t", "description": "d"},
                },
            ]
        }
    )
    intent = build_intent([resource("google_project_iam_policy", project="p", policy_data=policy_data)])
    assert [(b.role, b.authority) for b in intent.bindings] == [
        ("roles/editor", Authority.POLICY),
        ("roles/viewer", Authority.POLICY),
    ]
    assert intent.bindings[1].condition == Condition("e", "t", "d")
    assert intent.bindings[1].members[0].public


def test_unknown_policy_data_is_kept_as_an_unresolved_binding() -> None:
    binding = only_binding(
        resource("google_service_account_iam_policy", service_account_id="sa@p", policy_data=Unresolved("data.x"))
    )
    assert binding.authority is Authority.POLICY
    assert binding.role == Unresolved("data.x")
    assert binding.unresolved == ("data.x",)


def test_unreadable_policy_data_is_an_input_error_and_an_unresolved_binding() -> None:
    intent = build_intent([resource("google_folder_iam_policy", folder="1", policy_data="{not json", line=7)])
    (binding,) = intent.bindings
    assert binding.unresolved and isinstance(binding.role, Unresolved)
    (error,) = intent.errors
    assert error.path == "main.tf" and error.line == 7 and "policy_data" in error.message


def test_data_sources_make_no_bindings_and_errors_pass_through() -> None:
    policy = resource("google_iam_policy", mode="data", policy_data='{"bindings":[{"role":"r","members":["user:a"]}]}')
    error = InputError("bad.tf", "syntax", 1, 2)
    intent = build_intent([policy], [error])
    assert intent.bindings == ()
    assert intent.errors == (error,)


# --- conflicts ----------------------------------------------------------------------------------------------------


def test_policy_with_member_on_same_scope_conflicts_with_both_locations() -> None:
    intent = build_intent(
        [
            resource("google_project_iam_policy", "all", project="p", policy_data='{"bindings":[]}', line=3),
            resource("google_project_iam_member", "one", project="p", role="roles/viewer", member="user:a", line=9),
        ]
    )
    (conflict,) = intent.conflicts
    assert conflict.kind is ConflictKind.POLICY_WITH_BINDING_OR_MEMBER
    assert conflict.addresses == ("google_project_iam_policy.all", "google_project_iam_member.one")
    assert conflict.locations == (Location("main.tf", 3), Location("main.tf", 9))
    assert conflict.scope == Scope(ScopeKind.PROJECT, "p")


def test_policy_with_member_on_other_scope_does_not_conflict() -> None:
    intent = build_intent(
        [
            resource("google_project_iam_policy", "all", project="p", policy_data='{"bindings":[]}'),
            resource("google_project_iam_member", "one", project="q", role="roles/viewer", member="user:a"),
        ]
    )
    assert intent.conflicts == ()


def test_binding_with_member_on_same_role_conflicts() -> None:
    intent = build_intent(
        [
            resource("google_project_iam_binding", "b", project="p", role="roles/viewer", members=["user:a"]),
            resource("google_project_iam_member", "m", project="p", role="roles/viewer", member="user:b"),
            resource("google_project_iam_member", "other", project="p", role="roles/editor", member="user:b"),
        ]
    )
    assert [(c.kind, c.addresses, c.role) for c in intent.conflicts] == [
        (
            ConflictKind.BINDING_WITH_MEMBER,
            ("google_project_iam_binding.b", "google_project_iam_member.m"),
            "roles/viewer",
        )
    ]


def test_duplicate_bindings_conflict_only_with_the_same_condition() -> None:
    condition = [{"expression": "e", "title": "t"}]
    intent = build_intent(
        [
            resource("google_project_iam_binding", "a", project="p", role="roles/viewer", members=["user:a"]),
            resource("google_project_iam_binding", "b", project="p", role="roles/viewer", members=["user:b"]),
            resource(
                "google_project_iam_binding",
                "c",
                project="p",
                role="roles/viewer",
                members=["user:c"],
                condition=condition,
            ),
        ]
    )
    assert [(c.kind, c.addresses) for c in intent.conflicts] == [
        (ConflictKind.DUPLICATE_BINDING, ("google_project_iam_binding.a", "google_project_iam_binding.b"))
    ]


def test_two_policies_on_one_scope_conflict_once() -> None:
    data = '{"bindings":[{"role":"a","members":["user:a"]},{"role":"b","members":["user:b"]}]}'
    intent = build_intent(
        [
            resource("google_service_account_iam_policy", "x", service_account_id="sa@p", policy_data=data),
            resource(
                "google_service_account_iam_policy",
                "y",
                service_account_id="projects/p/serviceAccounts/sa@p",
                policy_data=data,
            ),
        ]
    )
    assert [(c.kind, c.addresses) for c in intent.conflicts] == [
        (ConflictKind.DUPLICATE_POLICY, ("google_service_account_iam_policy.x", "google_service_account_iam_policy.y"))
    ]


def test_unresolved_scopes_are_not_compared() -> None:
    intent = build_intent(
        [
            resource("google_project_iam_binding", "a", project=Unresolved("v"), role="r", members=["user:a"]),
            resource("google_project_iam_binding", "b", project=Unresolved("v"), role="r", members=["user:b"]),
        ]
    )
    assert intent.conflicts == ()
    assert len(intent.bindings) == 2


# --- service accounts, keys, custom roles -------------------------------------------------------------------------


def test_service_account_email_is_computed_from_account_id_and_project() -> None:
    (account,) = build_intent(
        [resource("google_service_account", account_id="runner", display_name="Runner", disabled=True)]
    ).service_accounts
    assert account.email == "runner@prov-project.iam.gserviceaccount.com"
    assert account.project == "prov-project"
    assert (account.account_id, account.display_name, account.disabled) == ("runner", "Runner", True)


def test_service_account_with_unknown_account_id_has_unknown_email() -> None:
    (account,) = build_intent(
        [resource("google_service_account", account_id=Unresolved("var.id"), project="p")]
    ).service_accounts
    assert isinstance(account.email, Unresolved)


def test_key_names_its_service_account_by_email() -> None:
    (key,) = build_intent(
        [
            resource(
                "google_service_account_key",
                service_account_id="projects/p/serviceAccounts/sa@p.iam.gserviceaccount.com",
            )
        ]
    ).keys
    assert key.service_account == "sa@p.iam.gserviceaccount.com"
    assert key.address == "google_service_account_key.r"


def test_custom_roles_of_project_and_organization() -> None:
    intent = build_intent(
        [
            resource(
                "google_project_iam_custom_role", "p", role_id="nbStarter", permissions=["notebooks.instances.start"]
            ),
            resource(
                "google_organization_iam_custom_role",
                "o",
                org_id="12345",
                role_id="orgRole",
                permissions=["a.b.c", Unresolved("var.extra")],
            ),
        ]
    )
    project_role, org_role = intent.custom_roles
    assert project_role.role == "projects/prov-project/roles/nbStarter"
    assert project_role.permissions == frozenset({"notebooks.instances.start"})
    assert org_role.role == "organizations/12345/roles/orgRole"
    assert org_role.permissions == frozenset({"a.b.c"})
    assert org_role.unresolved == ("var.extra",)


# --- notebook instances -------------------------------------------------------------------------------------------


def test_v1_instance_defaults_to_default_service_account_and_public_ip() -> None:
    (instance,) = build_intent(
        [resource("google_notebooks_instance", name="nb", location="us-west1-a", machine_type="e2-medium")]
    ).instances
    assert instance.generation == "v1"
    assert instance.service_account == DEFAULT_SERVICE_ACCOUNT
    assert instance.uses_default_service_account
    assert instance.public_ip is True
    assert instance.full_name == "projects/prov-project/locations/us-west1-a/instances/nb"
    assert instance.shielded_vm == ShieldedVm()


def test_v1_instance_full() -> None:
    (instance,) = build_intent(
        [
            resource(
                "google_notebooks_instance",
                name="nb",
                project="p",
                location="us-west1-a",
                machine_type="n1-standard-4",
                service_account="nb@p.iam.gserviceaccount.com",
                no_public_ip=True,
                accelerator_config=[{"type": "NVIDIA_TESLA_T4", "core_count": 1}],
                vm_image=[{"project": "deeplearning-platform-release", "image_family": "tf-latest-gpu"}],
                shielded_instance_config=[{"enable_secure_boot": True, "enable_vtpm": False}],
                metadata={"notebook-disable-root": "true"},
                labels={"team": "ds"},
            )
        ]
    ).instances
    assert instance.service_account == "nb@p.iam.gserviceaccount.com"
    assert instance.public_ip is False
    assert instance.accelerators == (Accelerator("NVIDIA_TESLA_T4", 1),)
    assert instance.image == "deeplearning-platform-release/family:tf-latest-gpu"
    assert instance.shielded_vm == ShieldedVm(secure_boot=True, vtpm=False, integrity_monitoring=None)
    assert instance.metadata == {"notebook-disable-root": "true"}
    assert instance.labels == {"team": "ds"}


def test_v1_container_image() -> None:
    (instance,) = build_intent(
        [
            resource(
                "google_notebooks_instance",
                name="nb",
                location="z",
                container_image=[{"repository": "gcr.io/deeplearning-platform-release/base-cpu", "tag": "latest"}],
            )
        ]
    ).instances
    assert instance.image == "container:gcr.io/deeplearning-platform-release/base-cpu:latest"


def test_v2_instance_reads_gce_setup() -> None:
    (instance,) = build_intent(
        [
            resource(
                "google_workbench_instance",
                name="wb",
                location="us-central1-a",
                labels={"env": "prod"},
                gce_setup=[
                    {
                        "machine_type": "n1-standard-8",
                        "service_accounts": [{"email": "wb@p.iam.gserviceaccount.com"}],
                        "disable_public_ip": True,
                        "accelerator_configs": [{"type": "NVIDIA_TESLA_T4", "core_count": "2"}],
                        "vm_image": [{"project": "cloud-notebooks-managed", "name": "workbench-instances-v20240101"}],
                        "shielded_instance_config": [
                            {"enable_secure_boot": True, "enable_vtpm": True, "enable_integrity_monitoring": True}
                        ],
                        "metadata": {"notebook-disable-root": "true"},
                    }
                ],
            )
        ]
    ).instances
    assert instance.generation == "v2"
    assert instance.machine_type == "n1-standard-8"
    assert instance.service_account == "wb@p.iam.gserviceaccount.com"
    assert instance.public_ip is False
    assert instance.accelerators == (Accelerator("NVIDIA_TESLA_T4", 2),)
    assert instance.image == "cloud-notebooks-managed/image:workbench-instances-v20240101"
    assert instance.shielded_vm == ShieldedVm(True, True, True)
    assert instance.metadata == {"notebook-disable-root": "true"}
    assert instance.labels == {"env": "prod"}


def test_v2_instance_without_gce_setup_is_default_and_public() -> None:
    (instance,) = build_intent([resource("google_workbench_instance", name="wb", location="z")]).instances
    assert instance.service_account == DEFAULT_SERVICE_ACCOUNT
    assert instance.public_ip is True
    assert instance.image is None


def test_v2_container_image_and_unknown_service_account() -> None:
    (instance,) = build_intent(
        [
            resource(
                "google_workbench_instance",
                name="wb",
                location="z",
                gce_setup=[
                    {
                        "service_accounts": [{"email": Unresolved("google_service_account.x.email")}],
                        "container_image": [{"repository": "us-docker.pkg.dev/p/r/img", "tag": "1.0"}],
                        "disable_public_ip": Unresolved("var.private"),
                        "metadata": Unresolved("local.metadata"),
                    }
                ],
            )
        ]
    ).instances
    assert instance.service_account == Unresolved("google_service_account.x.email")
    assert not instance.uses_default_service_account
    assert instance.public_ip == Unresolved("var.private")
    assert instance.image == "container:us-docker.pkg.dev/p/r/img:1.0"
    assert instance.metadata == {"*": Unresolved("local.metadata")}
