"""The dataclass code cache: the same classes with or without it, plain marshal data, and only our own modules."""

from __future__ import annotations

import dataclasses
import marshal
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from auditor import codecache

REPO_ROOT = Path(__file__).resolve().parent.parent

# Defines a frozen dataclass in a module named like ours and one outside, then exercises what `dataclasses`
# generated: __init__ with a default factory, __eq__, __hash__, __repr__ and the frozen __setattr__/__delattr__.
PROBE = textwrap.dedent(
    """
    import dataclasses, sys, types
    import auditor.model

    def define(module_name, tags):
        module = types.ModuleType(module_name)
        sys.modules[module_name] = module
        exec(
            "import dataclasses\\n"
            "@dataclasses.dataclass(frozen=True)\\n"
            "class Probe:\\n"
            "    name: str\\n"
            f"    {tags}: tuple = dataclasses.field(default_factory=tuple)\\n",
            module.__dict__,
        )
        return module.Probe

    for name, tags in (("auditor.probe_module", "ours_tags"), ("elsewhere.probe_module", "their_tags")):
        Probe = define(name, tags)
        a, b = Probe("x"), Probe("x", ())
        assert a == b and hash(a) == hash(b) and a != Probe("y"), name
        assert repr(a) == f"Probe(name='x', {tags}=())", repr(a)
        for attempt in (lambda: setattr(a, "name", "z"), lambda: delattr(a, "name")):
            try:
                attempt()
            except dataclasses.FrozenInstanceError:
                pass
            else:
                raise AssertionError("not frozen")
    finding = auditor.model.InputError("p", "m", 1, 2)
    assert finding == auditor.model.InputError("p", "m", 1, 2)
    print("ok")
    """
)


def _run(env_extra: dict[str, str]) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), **env_extra}
    env.pop("AUDITOR_NO_CACHE", None)
    env.update(env_extra)
    result = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def _entries(cache: Path) -> dict[bytes, object]:
    files = list((cache / "dataclasses").glob("*.marshal"))
    assert len(files) == 1
    data = marshal.loads(files[0].read_bytes())  # plain marshal data, never pickle
    assert isinstance(data, dict)
    return data


def test_classes_behave_the_same_from_an_empty_a_warm_and_a_corrupt_cache(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _run({"AUDITOR_CACHE_DIR": str(cache)})  # empty: compiles and writes
    written = _entries(cache)
    assert len(written) > 100  # every method of every class of auditor.model and its imports
    _run({"AUDITOR_CACHE_DIR": str(cache)})  # warm: every class from cached code
    assert _entries(cache).keys() == written.keys()  # nothing new to compile
    next((cache / "dataclasses").glob("*.marshal")).write_bytes(b"\x00garbage")
    _run({"AUDITOR_CACHE_DIR": str(cache)})  # corrupt: compiles again and rewrites
    assert _entries(cache).keys() == written.keys()


def test_only_our_modules_are_cached(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _run({"AUDITOR_CACHE_DIR": str(cache)})
    names = {name for code in _entries(cache).values() for name in _names(code)}
    assert "ours_tags" in names  # the class defined in `auditor.probe_module`
    assert "their_tags" not in names  # the one in `elsewhere.probe_module` went to the builtin exec


def _names(code: object) -> set[str]:
    """Every name a code object and the functions inside it use."""
    found = set(getattr(code, "co_names", ())) | set(getattr(code, "co_varnames", ()))
    for const in getattr(code, "co_consts", ()):
        if hasattr(const, "co_names"):
            found |= _names(const)
    return found


def test_no_cache_switch_writes_nothing(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _run({"AUDITOR_CACHE_DIR": str(cache), "AUDITOR_NO_CACHE": "1"})
    assert not (cache / "dataclasses").exists()


def test_a_foreign_module_gets_the_builtin_exec_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    codes = codecache._Codes(tmp_path / "codes.marshal")
    text = "def __create_fn__():\n    def f(self):\n        return 1\n    return f\n"
    code = codes.code(text)
    assert code.co_filename == "<string>"
    assert codes.code(text) is code  # compiled once
    codes._write()
    again = codecache._Codes(tmp_path / "codes.marshal")
    assert again.code(text).co_code == code.co_code  # read back, not compiled again
    assert not again.added
    # Whatever `dataclasses` runs for a module that is not ours goes to the builtin exec as it was.
    if getattr(dataclasses, "exec", None) is not None:
        seen: list[object] = []
        monkeypatch.setattr("builtins.exec", lambda source, *_: seen.append(source))
        dataclasses.exec(text, {"__name__": "elsewhere"}, {})  # type: ignore[attr-defined]
        assert seen == [text]
