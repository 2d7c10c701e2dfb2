"""Progress is drawn on a terminal only, and is fed by the reader's callback."""

from __future__ import annotations

import io

from auditor.live import read_project
from auditor.live.progress import terminal_progress
from tests.live.state_fixture import PROJECT, endpoints_of, fast_retry


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_nothing_on_a_pipe():
    stream = io.StringIO()
    with terminal_progress("reading", stream) as progress:
        assert progress is None
    assert stream.getvalue() == ""


def test_reader_feeds_the_terminal_display(simulator):
    seen: list[tuple[int, int]] = []
    stream = Terminal()
    with terminal_progress(f"reading {PROJECT}", stream) as progress:
        assert progress is not None

        def record(finished: int, started: int) -> None:
            seen.append((finished, started))
            progress(finished, started)

        live = read_project(PROJECT, endpoints=endpoints_of(simulator), progress=record, retry=fast_retry())
    assert live.complete
    # Every task reports once; callbacks may arrive out of order, but the highest count closes the total.
    assert max(seen) == (len(seen), len(seen))
    assert f"reading {PROJECT}" in stream.getvalue()
