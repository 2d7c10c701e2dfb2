"""All four formats rendered from the one shared findings fixture, compared with `tests/golden/report.*`.

Regenerate after an intended change with
`UPDATE_GOLDEN=1 python -m pytest tests/report/test_report_golden.py` and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from auditor.report import render_report
from tests.findings_fixture import load

GOLDEN = Path(__file__).parent.parent / "golden"
EXTENSIONS = {"json": "json", "sarif": "sarif", "markdown": "md", "table": "txt"}


@pytest.mark.parametrize("format_name", sorted(EXTENSIONS))
def test_golden(format_name: str) -> None:
    fixture = load()
    rendered = render_report(format_name, fixture.result, **fixture.options())
    golden = GOLDEN / f"report.{EXTENSIONS[format_name]}"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_text(rendered, encoding="utf-8")
    assert golden.exists(), f"{golden} is missing; run with UPDATE_GOLDEN=1"
    assert rendered == golden.read_text(encoding="utf-8")
