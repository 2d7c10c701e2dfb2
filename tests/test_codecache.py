"""The dataclass code cache: the same classes with or without it, plain marshal data beside our bytecode, and only
our own modules. Each run's bytecode goes under its own PYTHONPYCACHEPREFIX, where the cache follows it."""

from __future__ import annotations
import __future__

import dataclasses
import marshal
import os
import subprocess
import sys
import textwrap
import types
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
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    for name in ("AUDITOR_NO_CACHE", "PYTHONDONTWRITEBYTECODE"):
        env.pop(name, None)
    env.update(env_extra)
    result = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def _cache_files(prefix: Path) -> list[Path]:
    return list(prefix.rglob("dataclasses.*.marshal"))


def _entries(cache: Path) -> dict[bytes, object]:
    files = _cache_files(cache)
    assert len(files) == 1
    data = marshal.loads(files[0].read_bytes())  # plain marshal data, never pickle
    assert isinstance(data, dict)
    return data


def test_classes_behave_the_same_from_an_empty_a_warm_and_a_corrupt_cache(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _run({"PYTHONPYCACHEPREFIX": str(cache)})  # empty: compiles and writes
    written = _entries(cache)
    assert len(written) > 100  # every method of every class of auditor.model and its imports
    (path,) = _cache_files(cache)
    assert path.parent == Path(str(cache) + str(REPO_ROOT / "auditor"))  # beside the package's own bytecode
    _run({"PYTHONPYCACHEPREFIX": str(cache)})  # warm: every class from cached code
    assert _entries(cache).keys() == written.keys()  # nothing new to compile
    path.write_bytes(b"\x00garbage")
    _run({"PYTHONPYCACHEPREFIX": str(cache)})  # corrupt: compiles again and rewrites
    assert _entries(cache).keys() == written.keys()


def test_only_our_modules_are_cached(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _run({"PYTHONPYCACHEPREFIX": str(cache)})
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


@pytest.mark.parametrize("switch", ["AUDITOR_NO_CACHE", "PYTHONDONTWRITEBYTECODE"])
def test_no_cache_and_no_bytecode_write_nothing(tmp_path: Path, switch: str) -> None:
    cache = tmp_path / "cache"
    _run({"PYTHONPYCACHEPREFIX": str(cache), switch: "1"})
    assert _cache_files(cache) == []


def test_never_in_the_user_cache_directory(tmp_path: Path) -> None:
    """The user cache directory (often shared, or restored by CI) holds data only, never code that runs."""
    _run({"PYTHONPYCACHEPREFIX": str(tmp_path / "pyc"), "AUDITOR_CACHE_DIR": str(tmp_path / "user-cache")})
    assert _cache_files(tmp_path / "user-cache") == []
    assert len(_cache_files(tmp_path / "pyc")) == 1


def test_a_foreign_module_gets_the_builtin_exec_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.dont_write_bytecode", False)
    codes = codecache._Codes(tmp_path / "codes.marshal")
    text = "def __create_fn__():\n    def f(self):\n        return 1\n    return f\n"
    code = codes.code(text)
    assert code.co_filename == "<string>"
    assert codes.code(text) is code  # compiled once
    codes._write()
    again = codecache._Codes(tmp_path / "codes.marshal")
    assert again.code(text).co_code == code.co_code  # read back, not compiled again
    assert not again.added
    # Whatever `dataclasses` runs for a module that is not ours goes to the builtin exec, compiled from exactly that
    # text with no inherited `__future__` flags (as `dataclasses`' own call would compile it).
    if getattr(dataclasses, "exec", None) is not None:
        seen: list[object] = []
        monkeypatch.setattr("builtins.exec", lambda source, *_: seen.append(source))
        dataclasses.exec(text, {"__name__": "elsewhere"}, {})  # type: ignore[attr-defined]
        (ran,) = seen
        assert isinstance(ran, types.CodeType)
        assert ran.co_consts == compile(text, "<string>", "exec", dont_inherit=True).co_consts
        assert not ran.co_flags & __future__.annotations.compiler_flag


# A dataclass of another library, defined after `import auditor`: its generated methods must be exactly what the
# plain interpreter makes. Our module's `from __future__ import annotations` must not leak into that code (it
# turned `__init__`'s annotations into the strings '_type_x', which `typing.get_type_hints` cannot resolve).
FOREIGN = textwrap.dedent(
    """
    import dataclasses, sys, typing
    if sys.argv[1] == "with-auditor":
        import auditor
        assert getattr(dataclasses, "exec", None) is not None, "the cache is not installed"

    @dataclasses.dataclass(frozen=True)
    class Theirs:
        count: int = 0

    print(Theirs.__init__.__annotations__, typing.get_type_hints(Theirs.__init__))
    """
)


def test_a_foreign_dataclass_is_the_same_with_auditor_imported(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "PYTHONPYCACHEPREFIX": str(tmp_path / "pyc")}
    env.pop("AUDITOR_NO_CACHE", None)
    outputs = [
        subprocess.run(
            [sys.executable, "-c", FOREIGN, mode], env=env, capture_output=True, text=True, timeout=60, check=True
        ).stdout
        for mode in ("plain", "with-auditor")
    ]
    assert "<class 'int'>" in outputs[0]
    assert outputs[1] == outputs[0]
