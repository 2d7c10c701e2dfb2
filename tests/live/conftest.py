"""A simulator per test module, serving the project of `state_fixture.base_state()`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.live.state_fixture import base_state


@pytest.fixture(scope="module")
def simulator() -> Iterator[object]:
    from auditor.live.simulator import start_simulator

    with start_simulator(base_state()) as running:
        yield running
