from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from auditor.config import ConfigIgnore
from auditor.model import (
    Authority,
    Binding,
    Finding,
    FindingKind,
    Intent,
    Location,
    Principal,
    Project,
    Scope,
    ScopeKind,
    Severity,
    Suppression,
)
from auditor.suppressions import apply_suppressions, carry_suppressions, comment_suppressions, scan_comments

TODAY = dt.date(2026, 6, 1)

MAIN_TF = """\
variable "project" {}

# Break-glass owner, reviewed by security.
# auditor:ignore[basic-role-human] break-glass account until=2026-12-31
resource "google_project_iam_member" "owner" {
  project = var.project
}

resource "google_workbench_instance" "lab" { # auditor:ignore[notebook-public-ip, notebook-root-access]: demo box
  name = "lab"
}

// auditor:ignore[notebook-shielded-vm] old image until=2025-01-31
resource "google_workbench_instance" "old" {
  name = "old"
}

# auditor:ignore[public-principal]

resource "google_project_iam_member" "detached" {
  project = var.project
}

# auditor:ignore[public-principal]   until=2027-01-01
resource "google_project_iam_member" "public" {
  project = var.project
}
"""


@pytest.fixture
def main_tf(tmp_path: Path) -> Path:
    path = tmp_path / "main.tf"
    path.write_text(MAIN_TF)
    return path


def _line(text: str, needle: str) -> int:
    return next(number for number, line in enumerate(text.split("\n"), 1) if needle in line)


def _finding(rule: str, path: Path | str, line: int | None, resource: str = "r") -> Finding:
    return Finding(rule, Severity.HIGH, FindingKind.INTENT, resource, "message", Location(str(path), line))


def test_comment_on_the_lines_above(main_tf: Path) -> None:
    line = _line(MAIN_TF, '"owner"')
    (suppression,) = comment_suppressions(main_tf, line)
    assert suppression == Suppression(
        "basic-role-human", "break-glass account", until=dt.date(2026, 12, 31), source=f"{main_tf}:{line - 1}"
    )


def test_comment_on_the_same_line_with_several_ids(main_tf: Path) -> None:
    suppressions = comment_suppressions(main_tf, _line(MAIN_TF, '"lab"'))
    assert [s.policy_id for s in suppressions] == ["notebook-public-ip", "notebook-root-access"]
    assert {s.reason for s in suppressions} == {"demo box"}


def test_a_blank_line_detaches_the_comment(main_tf: Path) -> None:
    assert comment_suppressions(main_tf, _line(MAIN_TF, '"detached"')) == ()


def test_missing_reason_is_an_error_and_suppresses_nothing(main_tf: Path) -> None:
    line = _line(MAIN_TF, '"public"')
    scan = scan_comments(main_tf, line)
    assert scan.suppressions == ()
    (error,) = scan.errors
    assert error.path == str(main_tf) and error.line == line - 1
    assert "needs a reason" in error.message

    outcome = apply_suppressions([_finding("public-principal", main_tf, line)], [], TODAY)
    assert outcome.findings[0].suppression is None
    assert outcome.errors == (error,)


def test_apply_attaches_live_and_expired_suppressions(main_tf: Path) -> None:
    owner = _finding("basic-role-human", main_tf, _line(MAIN_TF, '"owner"'))
    lab_ip = _finding("notebook-public-ip", main_tf, _line(MAIN_TF, '"lab"'))
    lab_other = _finding("public-principal", main_tf, _line(MAIN_TF, '"lab"'))
    old = _finding("notebook-shielded-vm", main_tf, _line(MAIN_TF, '"old"'))
    outcome = apply_suppressions([owner, lab_ip, lab_other, old], [], TODAY)
    owner_out, lab_ip_out, lab_other_out, old_out = outcome.findings
    assert owner_out.suppressed_on(TODAY) and owner_out.suppression.reason == "break-glass account"  # type: ignore[union-attr]
    assert lab_ip_out.suppressed_on(TODAY)
    assert lab_other_out.suppression is None  # another policy on the same block
    assert (
        old_out.suppression is not None and old_out.suppression.expired_on(TODAY) and not old_out.suppressed_on(TODAY)
    )
    assert outcome.errors == ()
    # Still valid on its last day, expired the day after.
    assert apply_suppressions([owner], [], dt.date(2026, 12, 31)).findings[0].suppressed_on(dt.date(2026, 12, 31))
    assert not apply_suppressions([owner], [], dt.date(2027, 1, 1)).findings[0].suppressed_on(dt.date(2027, 1, 1))


def test_config_ignore_with_glob_and_expiry() -> None:
    ignores = [
        ConfigIgnore("basic-role-human", "module.team.*", "team owners", source="auditor.toml: ignore[0]"),
        ConfigIgnore("public-principal", "google_storage_bucket_iam_member.site", "public site", dt.date(2026, 1, 1)),
    ]
    findings = [
        _finding("basic-role-human", "live", None, 'module.team.google_project_iam_member.o["a"]'),
        _finding("basic-role-human", "live", None, "module.other.google_project_iam_member.o"),
        _finding("notebook-public-ip", "live", None, "module.team.google_workbench_instance.x"),
        _finding("public-principal", "live", None, "google_storage_bucket_iam_member.site"),
    ]
    team, other, wrong_policy, site = apply_suppressions(findings, ignores, TODAY).findings
    assert team.suppression == Suppression("basic-role-human", "team owners", source="auditor.toml: ignore[0]")
    assert other.suppression is None and wrong_policy.suppression is None
    assert (
        site.suppression is not None
        and site.suppression.expired_on(TODAY)
        and site.suppression.until == dt.date(2026, 1, 1)
    )


def test_a_live_suppression_wins_over_an_expired_one(main_tf: Path) -> None:
    old = _finding("notebook-shielded-vm", main_tf, _line(MAIN_TF, '"old"'), resource="google_workbench_instance.old")
    renewed = ConfigIgnore("notebook-shielded-vm", "google_workbench_instance.old", "renewed", dt.date(2026, 9, 1))
    (out,) = apply_suppressions([old], [renewed], TODAY).findings
    assert out.suppressed_on(TODAY) and out.suppression.reason == "renewed"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("comment", "problem"),
    [
        ("# auditor:ignore basic-role-human because", "expected `auditor:ignore[policy-id] reason`"),
        ("# auditor:ignore[Basic Role] because", "is not a policy id"),
        ("# auditor:ignore[a,] because", "is not a policy id"),
        ("# auditor:ignore[basic-role-human] because until=31/12/2026", "is not a date"),
        ("# auditor:ignore[basic-role-human] because until=2026-02-30", "is not a date"),
        ("# auditor:ignore[basic-role-human] until=2026-02-01", "needs a reason"),
    ],
)
def test_malformed_comments(tmp_path: Path, comment: str, problem: str) -> None:
    path = tmp_path / "x.tf"
    path.write_text(f'{comment}\nresource "a" "b" {{\n}}\n')
    scan = scan_comments(path, 2)
    assert scan.suppressions == ()
    assert len(scan.errors) == 1 and problem in scan.errors[0].message


def test_file_is_read_once_per_path(main_tf: Path) -> None:
    cache: dict[str, tuple[str, ...]] = {}
    line = _line(MAIN_TF, '"owner"')
    findings = [_finding("basic-role-human", main_tf, line), _finding("basic-role-human", main_tf, line)]
    apply_suppressions(findings, [], TODAY, text_cache=cache)
    assert list(cache) == [str(main_tf)]
    # The cache is what gets read: emptying the cached text removes the suppression even though the file has it.
    cache[str(main_tf)] = ()
    assert apply_suppressions(findings, [], TODAY, text_cache=cache).findings[0].suppression is None


def test_non_terraform_locations_are_not_read(tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text("# auditor:ignore[public-principal] looks like a comment\n{}\n")
    (out,) = apply_suppressions([_finding("public-principal", plan, 2)], [], TODAY).findings
    assert out.suppression is None


def test_windows_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "crlf.tf"
    path.write_bytes(b'# auditor:ignore[public-principal] shared demo\r\nresource "a" "b" {\r\n}\r\n')
    (suppression,) = comment_suppressions(path, 2)
    assert suppression.reason == "shared demo"


def test_a_lone_carriage_return_does_not_shift_the_lines(tmp_path: Path) -> None:
    """The parser counts lines by `\\n` only: a stray `\\r` above a block must not move the block's line here, or its
    own comment is read from the wrong line (and a real suppression is missed)."""
    path = tmp_path / "cr.tf"
    path.write_bytes(b'# old note\rcontinued\nresource "a" "b" { # auditor:ignore[public-principal] shared demo\n}\n')
    (suppression,) = comment_suppressions(path, 2)
    assert suppression.reason == "shared demo"


def test_a_carried_suppression_does_not_spread_to_another_scope_live() -> None:
    """Issue 9: a reasoned exception for a grant on one instance must not silence the same role granted live on
    the whole project (the match used to ignore the scope)."""
    instance = "projects/p/locations/europe-west4-a/instances/nb-alice"
    member = "user:alice@example.com"

    def grant(scope: Scope, address: str, authority: Authority) -> Binding:
        return Binding(
            scope, "roles/notebooks.admin", (Principal.parse(member),), authority, address, Location("m.tf", 3)
        )

    def finding(address: str, kind: FindingKind, path: str) -> Finding:
        return Finding(
            "human-notebook-admin",
            Severity.HIGH,
            kind,
            address,
            "m",
            Location(path),
            principal=member,
            role="roles/notebooks.admin",
        )

    declared_address = "google_workbench_instance_iam_member.alice_admin"
    declared = Intent(
        bindings=(grant(Scope(ScopeKind.WORKBENCH_INSTANCE, instance), declared_address, Authority.MEMBER),)
    )
    live = Intent(
        bindings=(
            grant(Scope(ScopeKind.WORKBENCH_INSTANCE, instance), f"{instance}#roles/notebooks.admin", Authority.LIVE),
            grant(Scope(ScopeKind.PROJECT, "p"), "projects/p#roles/notebooks.admin", Authority.LIVE),
        )
    )
    ignore = ConfigIgnore("human-notebook-admin", declared_address, "alice owns her instance", source="auditor.toml")
    live_findings = [
        finding(f"{instance}#roles/notebooks.admin", FindingKind.LIVE, instance),
        finding("projects/p#roles/notebooks.admin", FindingKind.LIVE, "projects/p"),
    ]
    carried = carry_suppressions(
        [finding(declared_address, FindingKind.INTENT, "m.tf")],
        live_findings,
        declared,
        live,
        [ignore],
        dt.date(2026, 1, 1),
    )
    by_resource = {f.resource: f for f in carried}
    assert by_resource[f"{instance}#roles/notebooks.admin"].suppressed_on(dt.date(2026, 1, 1))
    assert by_resource[f"{instance}#roles/notebooks.admin"].suppression.reason == "alice owns her instance"
    assert not by_resource["projects/p#roles/notebooks.admin"].suppressed_on(
        dt.date(2026, 1, 1)
    )  # the project-wide grant still counts


def test_a_file_without_the_mark_is_not_split_into_lines(tmp_path: Path) -> None:
    """Most files hold no suppression comment at all: they are read once and never looked through."""
    plain = tmp_path / "plain.tf"
    plain.write_text('resource "google_project_iam_member" "m" {\n  role = "roles/owner"\n}\n')
    cache: dict[str, tuple[str, ...]] = {}
    (out,) = apply_suppressions([_finding("basic-role-human", plain, 1)], [], TODAY, text_cache=cache).findings
    assert out.suppression is None
    assert cache == {str(plain): ()}


def test_a_carried_suppression_matches_a_project_named_by_its_number() -> None:
    """Terraform may name a project by its number (`data.google_project.p.number`), the live read by its id: the
    scope is the same one, as drift compares it, so the declared exception carries."""
    member = "user:alice@example.com"

    def grant(project: str, address: str, authority: Authority) -> Binding:
        scope = Scope(ScopeKind.PROJECT, project)
        return Binding(scope, "roles/owner", (Principal.parse(member),), authority, address, Location("m.tf", 3))

    def finding(address: str, kind: FindingKind, path: str) -> Finding:
        return Finding(
            "basic-role-human", Severity.HIGH, kind, address, "m", Location(path), principal=member, role="roles/owner"
        )

    declared_address = "google_project_iam_member.alice_owner"
    declared = Intent(bindings=(grant("123456789012", declared_address, Authority.MEMBER),))
    live = Intent(
        bindings=(
            grant("projects/p", "projects/p#roles/owner", Authority.LIVE),
            grant("projects/q", "projects/q#roles/owner", Authority.LIVE),
        ),
        projects=(Project("p", number="123456789012"), Project("q", number="210987654321")),
    )
    ignore = ConfigIgnore("basic-role-human", declared_address, "break-glass owner", source="auditor.toml")
    carried = carry_suppressions(
        [finding(declared_address, FindingKind.INTENT, "m.tf")],
        [
            finding("projects/p#roles/owner", FindingKind.LIVE, "projects/p"),
            finding("projects/q#roles/owner", FindingKind.LIVE, "projects/q"),
        ],
        declared,
        live,
        [ignore],
        TODAY,
    )
    by_resource = {f.resource: f for f in carried}
    assert by_resource["projects/p#roles/owner"].suppressed_on(TODAY)
    assert not by_resource["projects/q#roles/owner"].suppressed_on(TODAY)  # another project's grant still counts
