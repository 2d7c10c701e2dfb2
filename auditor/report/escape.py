"""Escaping for the terminal: values from Terraform, policy files or the cloud never drive the terminal.

Control characters (ESC, BEL, C1 codes...) become visible escapes such as `\\x1b`, so a resource name cannot move
the cursor, recolour the screen or rewrite the line before it. Every command that prints such values uses this.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def terminal_safe(value: object, *, one_line: bool = True) -> str:
    """`value` as text with control characters shown escaped; in one-line values, newlines too."""
    text = str(value)
    if one_line:
        text = text.replace("\r\n", "\n").replace("\n", "\\n")
    return _CONTROL.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"), text)
