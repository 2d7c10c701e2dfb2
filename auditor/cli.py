"""Command-line entry point: parse arguments, hand them to one command module, map the result to an exit code.

Each command is a module in `auditor.commands` with `register(subparsers)` and `run(args) -> int`. Modules
import their heavy dependencies inside `run`, so `auditor check` never pays for the Google client libraries.
"""

from __future__ import annotations

import argparse
import atexit
import errno
import gc
import importlib
import io
import os
import sys
from collections.abc import Callable, Sequence

from auditor import __version__
from auditor.errors import INTERNAL_ERROR, AuditorError
from auditor.report import EXIT_ERROR
from auditor.report.escape import terminal_safe

COMMANDS = ("inventory", "check", "policies", "explain", "drift", "simulate", "demo", "notify", "access")
BATCH_COMMANDS = frozenset({"inventory", "check", "policies", "explain", "access"})
"""The static path: read files, compute, print, exit. No threads, no network, no server."""


class IntermixedParser(argparse.ArgumentParser):
    """Options and positionals mix freely on a command without subcommands: `access who-can PERM --on X PATH` and
    `check PATH --format json PATH2` read every PATH (plain argparse takes positionals in one run only). Sub-parsers
    inherit the class (`add_subparsers` uses the parent's type); a parser with subcommands parses as usual."""

    _intermixing = False

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        nested = any(action.nargs in (argparse.PARSER, argparse.REMAINDER) for action in self._actions)
        if self._intermixing or nested:
            return super().parse_known_args(args, namespace)
        self._intermixing = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._intermixing = False


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or of only the one `argv` names: `auditor check` then imports nothing of
    `drift`, `inventory` or the others (their option defaults can reach for heavier modules)."""
    parser = IntermixedParser(
        prog="auditor",
        description="Policy-as-code IAM auditor for Vertex AI Workbench notebook instances.",
    )
    parser.add_argument("--version", action="version", version=f"auditor {__version__}")
    parser.add_argument("--debug", action="store_true", help="on an internal error, print the traceback")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    named = _named_command(argv)
    for name in (named,) if named else COMMANDS:
        # A command module that fails to import is a bug to report, never a command that silently disappears.
        module = importlib.import_module(f"auditor.commands.{name}")
        module.register(subparsers)
    return parser


def _named_command(argv: Sequence[str] | None) -> str | None:
    """The command `argv` runs when it starts with one (options before it would need every parser)."""
    words = list(argv or ())
    return words[0] if words and words[0] in COMMANDS else None


class _ClosedOutput(io.TextIOBase):
    """Standard output of a process started without one (`>&-`): Python leaves `sys.stdout` None. Writing to it
    fails as writing to a closed file does, so a report that cannot be delivered is an error (exit 2), while a
    command whose output goes to `--output` runs as usual."""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "standard output is closed")


def main(argv: Sequence[str] | None = None) -> int:
    if sys.stdout is None:
        sys.stdout = _ClosedOutput()
    words = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in words  # anywhere on the line: `auditor check --debug` as well as `auditor --debug check`
    words = [word for word in words if word != "--debug"]
    return run_guarded(lambda: _run(words), debug=debug)


def _run(words: list[str]) -> int:
    parser = build_parser(words)
    args = parser.parse_args(words)
    if not getattr(args, "run", None):
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    return int(args.run(args))


def run_guarded(run: Callable[[], int], *, debug: bool = False) -> int:
    """Run a command and map what escapes it once: our errors to their message, anything else to a request to
    report the bug (the traceback only under `--debug`); both exit 2."""
    try:
        return run()
    except AuditorError as error:
        print(f"auditor: error: {terminal_safe(error)}", file=sys.stderr)
        if debug:
            _print_traceback()
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("auditor: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_ERROR
    except Exception as error:
        print(f"auditor: {INTERNAL_ERROR}: {terminal_safe(f'{type(error).__name__}: {error}')}", file=sys.stderr)
        if debug:
            _print_traceback()
        else:
            print("auditor: run again with --debug for the traceback", file=sys.stderr)
        return EXIT_ERROR


def _print_traceback() -> None:
    import traceback  # only on the way out of an error: not a cost of every run

    traceback.print_exc()


def entry() -> None:
    """The `auditor` executable (and `python -m auditor`): `main`, then out.

    A batch command runs without the cyclic garbage collector and leaves without the interpreter's teardown: a
    check of a few thousand resources allocates a few hundred thousand small tuples that are never cyclic
    garbage, and the collector's passes over them, then freeing each of them one by one at exit, cost about a
    sixth of the run (benchmarks/check_vs_checkov.py). Output is flushed and exit handlers (the code cache) run
    first. `main` itself stays an ordinary function for callers that embed it (and the tests). Under a profiler or
    a tracer (`python -m cProfile -m auditor ...`, coverage) the process ends as usual, so they can write out."""
    if sys.stderr is None:  # started with standard error closed (`2>&-`): `print(file=None)` would write messages
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - into standard output, into the report; they go nowhere
    words = sys.argv[1:]
    observed = sys.getprofile() is not None or sys.gettrace() is not None
    batch = not observed and _named_command([w for w in words if w != "--debug"]) in BATCH_COMMANDS
    if batch:
        gc.disable()
    code = main(words)
    if not batch:
        sys.exit(code)
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:  # started without it (`2>&-`)
                stream.flush()
    except (OSError, ValueError):
        code = code or EXIT_ERROR  # the report never reached its reader (a closed pipe): never a silent pass
    atexit._run_exitfuncs()
    os._exit(code)


if __name__ == "__main__":
    entry()
