"""A `rich` progress display for live reads, shown only on a terminal: a pipe or a CI log gets nothing.

Kept out of the reader: `read_project` takes any `Progress` callback, and this module supplies one.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from auditor.live.reader import Progress


@contextmanager
def terminal_progress(description: str, stream: TextIO | None = None) -> Iterator[Progress | None]:
    """Yield a progress callback drawing on `stream` (default stderr) when it is a terminal, else None."""
    stream = stream if stream is not None else sys.stderr
    if not stream.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, SpinnerColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar

    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Bar(*columns, TimeElapsedColumn(), console=Console(file=stream), transient=True) as bar:
        task = bar.add_task(description, total=None)

        def update(finished: int, started: int) -> None:
            # The total grows as list pages reveal more resources; rich's updates are thread-safe.
            bar.update(task, completed=finished, total=started)

        yield update
