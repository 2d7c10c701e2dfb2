"""The compiled methods of our dataclasses, kept beside our bytecode: the largest part of the CI gate's start-up.

`dataclasses` writes each class's methods (`__init__`, `__repr__`, `__eq__`, `__hash__`, and a frozen class's
`__setattr__`/`__delattr__`) as source text and compiles that text when the class is defined: on CPython 3.11 one
`compile()` per method, about 0.1 ms each. `auditor check` defines some 90 frozen dataclasses, so about 40 ms of a
180 ms run on a small directory went to compiling the same text again on every run. The text depends only on a
class's fields, so its compiled code is kept the way Python keeps a module's bytecode, and where it keeps it: one
marshal file in this package's `__pycache__` (or under `PYTHONPYCACHEPREFIX`), named for the interpreter's bytecode
magic number, keyed by a digest of each text. Written only where Python itself would write bytecode (not under
`PYTHONDONTWRITEBYTECODE`); `AUDITOR_NO_CACHE` turns it off.

Why there and not in the user cache directory with the parse trees: this file holds code that runs. Beside our own
bytecode it is exactly as trusted as our `.pyc` files; a user cache directory is often shared or restored by CI
caches, and code read from it would be a way in. The data caches stay there (`auditor.cache`).

How: `dataclasses` runs that text with `exec(text, globals, locals)`, looking the name `exec` up in its own module
first. `install()` gives the module an `exec` that, for classes defined in `auditor` modules only, runs the code
compiled from exactly that text with the flags `exec` would use (none inherited: `dataclasses` has no `__future__`
imports), so a class is the same with or without the cache. Any other caller's text is compiled the same way, uncached.
New entries are written once, at exit, atomically.
"""

from __future__ import annotations

import atexit
import builtins
import dataclasses
import hashlib
import importlib.util
import marshal
import os
import sys
from pathlib import Path
from types import CodeType
from typing import Any

MAX_ENTRIES = 4000
"""More than every class of every command several times over: past it, a write keeps only what this run used."""


class _Codes:
    """The compiled code by digest of its text: read from `path` on first use, written back at exit when this run
    compiled anything new."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.known: dict[bytes, CodeType] | None = None
        self.used: dict[bytes, CodeType] = {}
        self.added = False

    def code(self, text: str) -> CodeType:
        key = hashlib.blake2b(text.encode(), digest_size=16).digest()
        if self.known is None:
            self.known = self._read()
        code = self.known.get(key)
        if code is None:
            code = compile(text, "<string>", "exec", dont_inherit=True)
            self.known[key] = code
            if not self.added:
                atexit.register(self._write)
            self.added = True
        self.used[key] = code
        return code

    def _read(self) -> dict[bytes, CodeType]:
        try:
            data = marshal.loads(self.path.read_bytes())
        except (OSError, EOFError, ValueError, TypeError):
            return {}  # missing, truncated or written by another interpreter: compile again
        if not isinstance(data, dict):
            return {}
        return {k: v for k, v in data.items() if isinstance(k, bytes) and isinstance(v, CodeType)}

    def _write(self) -> None:
        if self.known is None or sys.dont_write_bytecode:
            return
        entries = self.known if len(self.known) <= MAX_ENTRIES else self.used
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_bytes(marshal.dumps(entries))
            os.replace(temporary, self.path)
        except (OSError, ValueError):
            pass  # a read-only installation only costs speed, as it does for Python's own bytecode


def _cache_file() -> Path | None:
    if os.environ.get("AUDITOR_NO_CACHE"):
        return None
    # Where Python puts this module's bytecode (its package's __pycache__, or under PYTHONPYCACHEPREFIX).
    bytecode = Path(importlib.util.cache_from_source(__file__))
    return bytecode.parent / f"dataclasses.{importlib.util.MAGIC_NUMBER.hex()}.marshal"


def install() -> None:
    """Route `dataclasses`' compilation of our classes through the cache (idempotent)."""
    if getattr(dataclasses, "exec", None) is not None:
        return
    path = _cache_file()
    if path is None:
        return
    codes = _Codes(path)

    def cached_exec(source: Any, globals: Any = None, locals: Any = None, /) -> None:
        module = globals.get("__name__", "") if isinstance(globals, dict) else ""
        if isinstance(source, str):
            # Compiled here, never by `builtins.exec` on a string: that would inherit this module's `__future__`
            # flags (`annotations` turned every other library's `__init__` annotations into unresolvable strings).
            ours = module == "auditor" or module.startswith("auditor.")
            source = codes.code(source) if ours else compile(source, "<string>", "exec", dont_inherit=True)
        builtins.exec(source, globals, locals)

    dataclasses.exec = cached_exec  # type: ignore[attr-defined]
