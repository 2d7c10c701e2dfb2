"""What every benchmark here shares: bytecode compiled first, and one child process measured at a time."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path


def compile_bytecode() -> None:
    """An installed package has its bytecode compiled by pip; a checkout under PYTHONDONTWRITEBYTECODE would
    recompile every module on each run and measure the compiler, not the auditor. Then one run, as a user's first
    run after installing: it keeps the compiled dataclass methods beside that bytecode (auditor/codecache.py),
    which a machine that writes bytecode (the default) does once."""
    repo = Path(__file__).resolve().parent.parent
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(repo / "auditor")], check=True)
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(repo)
    subprocess.run(
        [sys.executable, "-m", "auditor", "check", str(repo / "examples" / "workbench-risky"), "--format", "json"],
        env=env,
        stdout=subprocess.DEVNULL,
        check=False,
    )


def measure(command: list[str], env: dict[str, str], ok: tuple[int, ...] = (0, 1)) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one child process; exit codes in `ok` (default 0, and 1 for findings) are
    success.

    Linux reports the largest single process of the child's tree, not their sum (`auditor check` is one process)."""
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in ok:
        detail = process.stderr.read().decode(errors="replace") if process.stderr else ""
        raise SystemExit(f"{command[:4]} exited {code}: {detail}")
    return wall, usage.ru_maxrss / 1024
