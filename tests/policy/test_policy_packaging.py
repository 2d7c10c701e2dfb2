"""The wheel must carry every subpackage and the built-in policies (pyproject.toml lists packages by hand)."""

from __future__ import annotations

import tomllib
from pathlib import Path


def test_every_subpackage_and_the_policies_are_listed(repo_root: Path) -> None:
    config = tomllib.loads((repo_root / "pyproject.toml").read_text())["tool"]["setuptools"]
    on_disk = {
        ".".join(init.parent.relative_to(repo_root).parts)
        for init in (repo_root / "auditor").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    listed = set(config["packages"])
    assert listed - {"auditor._builtin_policies"} == on_disk, "add the new subpackage to pyproject.toml"
    assert config["package-dir"] == {"auditor._builtin_policies": "policies"}
    assert "*.yaml" in config["package-data"]["*"]


def test_checkout_finds_the_top_level_policies(repo_root: Path) -> None:
    from auditor.policy import builtin_policies_dir

    assert builtin_policies_dir() == repo_root / "policies"
