"""Honest packaging (issue 9): every imported distribution declared, py.typed shipped, one test command."""

from __future__ import annotations

import ast
import functools
import importlib.metadata
import importlib.util
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _imported_modules() -> set[str]:
    modules: set[str] = set()
    for path in (ROOT / "auditor").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules.add(node.module)
                # `from google.cloud import storage`: the names may be modules of other distributions
                modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {m for m in modules if m.split(".")[0] not in sys.stdlib_module_names and m.split(".")[0] != "auditor"}


@functools.cache
def _distribution_by_file() -> dict[Path, str]:
    """Every installed Python source file -> the distribution that installed it (built once: a scan per module
    took over a minute)."""
    owners: dict[Path, str] = {}
    for distribution in importlib.metadata.distributions():
        name = _normal(distribution.metadata["Name"])
        for file in distribution.files or ():
            if file.suffix in (".py", ".so", ".pyd"):
                owners.setdefault(Path(distribution.locate_file(file)).resolve(), name)
    return owners


def _distribution_of(module: str) -> str | None:
    """The installed distribution whose files hold `module` (namespace packages such as google.* included)."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or spec.origin in (None, "namespace"):
        return None
    return _distribution_by_file().get(Path(spec.origin).resolve())


def test_every_imported_distribution_is_declared() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {_normal(re.split(r"[<>=!~\[; ]", requirement)[0]) for requirement in project["dependencies"]}
    undeclared = {}
    for module in sorted(_imported_modules()):
        distribution = _distribution_of(module)
        if distribution is not None and distribution not in declared:
            undeclared[module] = distribution
    assert undeclared == {}, "declare these in pyproject.toml [project] dependencies"
    assert {"requests", "google-api-core", "protobuf", "grpcio-status"} <= declared


def test_the_package_is_typed() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]
    assert (ROOT / "auditor" / "py.typed").is_file()
    assert "py.typed" in config["setuptools"]["package-data"]["auditor"]
    assert config["mypy"]["strict"] is True and "auditor/model.py" in config["mypy"]["files"]
    assert any(
        r.startswith("mypy")
        for r in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["test"]
    )


def test_ci_runs_exactly_the_readme_test_command_with_the_type_checker() -> None:
    readme = (ROOT / "README.md").read_text()
    command = re.search(r"Run the tests:\n\n```sh\n(.*)\n```", readme)
    assert command is not None
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert ci == command.group(1)
    assert "python3 -m mypy" in ci and "python3 -m pytest" in ci
