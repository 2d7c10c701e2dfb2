from auditor.hierarchy import Hierarchy, node_name, project_of
from auditor.model import Folder, Intent, Project, Scope, ScopeKind


def _intent() -> Intent:
    return Intent(
        organization="organizations/1",
        folders=(Folder("folders/10", "organizations/1", "ml"), Folder("folders/11", "folders/10", "team")),
        projects=(
            Project("p-in-team", "111", "folders/11"),
            Project("p-in-ml", "222", "folders/10"),
            Project("p-orphan"),  # no parent: under the organization
        ),
    )


def test_ancestors_closest_first():
    hierarchy = Hierarchy.of(_intent())
    assert hierarchy.project_ancestors("p-in-team") == ("folders/11", "folders/10", "organizations/1")
    assert hierarchy.ancestors("projects/111") == ("folders/11", "folders/10", "organizations/1")
    assert hierarchy.project_ancestors("p-orphan") == ("organizations/1",)


def test_projects_under_a_folder_only_its_own():
    hierarchy = Hierarchy.of(_intent())
    assert hierarchy.projects_under("folders/11") == ("p-in-team",)
    assert hierarchy.projects_under("folders/10") == ("p-in-ml", "p-in-team")
    assert hierarchy.projects_under("organizations/1") == ("p-in-ml", "p-in-team", "p-orphan")


def test_cycle_does_not_hang():
    hierarchy = Hierarchy.build([], [Folder("folders/1", "folders/2"), Folder("folders/2", "folders/1")], None)
    assert hierarchy.ancestors("folders/1") == ("folders/2",)


def test_scope_names():
    assert node_name(Scope(ScopeKind.ORGANIZATION, "123")) == "organizations/123"
    assert node_name(Scope(ScopeKind.PROJECT, "p")) == "projects/p"
    assert project_of(Scope(ScopeKind.SERVICE_ACCOUNT, "a@p.iam.gserviceaccount.com")) == "p"
    assert project_of(Scope(ScopeKind.SERVICE_ACCOUNT, "projects/q/serviceAccounts/a@x.com")) == "q"
    assert project_of(Scope(ScopeKind.WORKBENCH_INSTANCE, "projects/r/locations/z/instances/i")) == "r"
    assert project_of(Scope(ScopeKind.FOLDER, "folders/1")) is None
