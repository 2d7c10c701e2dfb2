from __future__ import annotations

import pytest

from auditor.identities import Directory, PrincipalClass, classify, classify_account, email_matches, same_email
from auditor.model import Principal, Unresolved


@pytest.mark.parametrize(
    ("member", "expected"),
    [
        ("user:ana@example.com", PrincipalClass.HUMAN),
        ("group:team@example.com", PrincipalClass.HUMAN),
        ("domain:example.com", PrincipalClass.HUMAN),
        ("allUsers", PrincipalClass.PUBLIC),
        ("allAuthenticatedUsers", PrincipalClass.PUBLIC),
        ("serviceAccount:wb@acme.iam.gserviceaccount.com", PrincipalClass.USER_MANAGED_SERVICE_ACCOUNT),
        ("serviceAccount:service-runner@acme.iam.gserviceaccount.com", PrincipalClass.USER_MANAGED_SERVICE_ACCOUNT),
        ("serviceAccount:WB@Acme.IAM.gserviceaccount.com", PrincipalClass.USER_MANAGED_SERVICE_ACCOUNT),
        ("serviceAccount:123-compute@developer.gserviceaccount.com", PrincipalClass.DEFAULT_COMPUTE_SERVICE_ACCOUNT),
        ("serviceAccount:service-123@gcp-sa-notebooks.iam.gserviceaccount.com", PrincipalClass.SERVICE_AGENT),
        ("serviceAccount:service-123@compute-system.iam.gserviceaccount.com", PrincipalClass.SERVICE_AGENT),
        ("serviceAccount:123@cloudservices.gserviceaccount.com", PrincipalClass.SERVICE_AGENT),
        ("serviceAccount:123@cloudbuild.gserviceaccount.com", PrincipalClass.SERVICE_AGENT),
        ("principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p", PrincipalClass.OTHER),
        ("deleted:user:ana@example.com?uid=1", PrincipalClass.OTHER),
    ],
)
def test_literal_members(member: str, expected: PrincipalClass) -> None:
    assert classify(Principal.parse(member)) is expected


def test_shapes_classify_by_what_is_known() -> None:
    symbolic = Unresolved(
        "google_service_account.runtime.member",
        shape="serviceAccount:wb-runtime@{var.project_id}.iam.gserviceaccount.com",
        declared_by="google_service_account.runtime",
    )
    principal = Principal.parse(symbolic)
    assert principal.identity == "google_service_account.runtime"
    assert classify(principal) is PrincipalClass.USER_MANAGED_SERVICE_ACCOUNT
    assert classify(Principal.parse(Unresolved("var.m"))) is PrincipalClass.UNKNOWN
    assert classify(Principal.parse(Unresolved("var.who", shape="user:{var.who}"))) is PrincipalClass.HUMAN
    default = Unresolved("d.email", shape="{d.project_number}-compute@developer.gserviceaccount.com")
    assert classify_account(default) is PrincipalClass.DEFAULT_COMPUTE_SERVICE_ACCOUNT
    shaped = Unresolved("var.p", shape="nb@{var.p}.iam.gserviceaccount.com")
    assert classify_account(shaped) is PrincipalClass.USER_MANAGED_SERVICE_ACCOUNT


def test_instance_accounts() -> None:
    assert classify_account(None) is PrincipalClass.DEFAULT_COMPUTE_SERVICE_ACCOUNT
    assert classify_account("default") is PrincipalClass.DEFAULT_COMPUTE_SERVICE_ACCOUNT
    assert classify_account(Unresolved("var.sa")) is PrincipalClass.UNKNOWN
    assert classify_account(Unresolved("x.email"), "google_service_account.x") is (
        PrincipalClass.USER_MANAGED_SERVICE_ACCOUNT
    )


def test_directory_finds_declared_accounts_case_insensitively() -> None:
    symbolic = Unresolved("google_service_account.b.email", declared_by="google_service_account.b")
    directory = Directory.of(
        [("google_service_account.a", "a@p.iam.gserviceaccount.com"), ("google_service_account.b", symbolic)]
    )
    assert directory.identity_of("serviceAccount:A@P.iam.gserviceaccount.com") == "google_service_account.a"
    assert directory.identity_of("projects/p/serviceAccounts/a@p.iam.gserviceaccount.com") == (
        "google_service_account.a"
    )
    assert directory.identity_of(symbolic) == "google_service_account.b"
    assert directory.identity_of(Unresolved("var.x")) is None
    assert directory.identity_of("serviceAccount:c@p.iam.gserviceaccount.com") is None
    assert same_email("Ana@Example.com", "ana@example.com")


def test_a_literal_email_finds_a_declared_account_known_by_its_shape() -> None:
    symbolic = Principal.parse(
        Unresolved(
            "google_service_account.chatops.member",
            shape="serviceAccount:notebook-chatops@{var.project_id}.iam.gserviceaccount.com",
            declared_by="google_service_account.chatops",
        )
    )
    assert email_matches(symbolic, "Notebook-Chatops@acme.iam.gserviceaccount.com")
    assert not email_matches(symbolic, "other@acme.iam.gserviceaccount.com")
    assert email_matches(Principal.parse("serviceAccount:A@p.iam.gserviceaccount.com"), "a@P.iam.gserviceaccount.com")
    unknown = Principal.parse(Unresolved("var.sa", shape="serviceAccount:{var.sa}"))
    assert not email_matches(unknown, "a@p.iam.gserviceaccount.com")  # an unknown account is nobody in particular


def test_google_managed_accounts_known_up_to_the_project_number_are_agents() -> None:
    for shape in (
        "bq-{d.project_number}@bigquery-encryption.iam.gserviceaccount.com",
        "service-{d.project_number}@gs-project-accounts.iam.gserviceaccount.com",
        "service-{r.project_number}@gcp-sa-{r.service}.iam.gserviceaccount.com",
    ):
        assert classify_account(Unresolved("x", shape=shape)) is PrincipalClass.SERVICE_AGENT, shape
    # A team's account named like an agent, in the team's own project, is the team's.
    lookalike = Unresolved("x", shape="service-{var.n}@acme-data.iam.gserviceaccount.com")
    assert classify_account(lookalike) is PrincipalClass.USER_MANAGED_SERVICE_ACCOUNT


def test_a_shape_with_many_holes_matches_in_one_pass() -> None:
    def declared(shape: str) -> Principal:
        return Principal.parse(Unresolved("x", shape=f"serviceAccount:{shape}", declared_by="google_service_account.a"))

    many = declared("".join(f"{{var.v{i}}}" for i in range(25)) + "@{var.p}.iam.gserviceaccount.com")
    assert many.identity == "google_service_account.a"
    # Each split of 40 characters over 25 holes was tried in turn: hours for an email that does not fit.
    assert not email_matches(many, "a" * 40 + "@q.iam.gserviceaccount.co")
    assert email_matches(many, "a" * 40 + "@q.iam.gserviceaccount.com")
    assert not email_matches(many, "a" * 24 + "@q.iam.gserviceaccount.com")  # a hole is at least one character
    dashed = declared("-".join(f"{{var.v{i}}}" for i in range(20)) + "@p.iam.gserviceaccount.com")
    assert not email_matches(dashed, "-" * 60 + "@p.iam.gserviceaccount.co")
    assert email_matches(dashed, "a-" * 19 + "b-c@P.iam.gserviceaccount.com")
    assert not email_matches(dashed, "a-" * 18 + "b@p.iam.gserviceaccount.com")
