"""The technique catalog: how one principal comes to act as another, as data (`techniques.json`).

Each entry names the permissions a technique needs and where; its `mechanism` picks the one edge checker in
`graph.py` that applies it. The file is validated against `techniques.schema.json` by the test suite (the package
ships it unchanged); loading parses the mechanism into an enum, so an unknown one fails loudly.
"""

from __future__ import annotations

import enum
import functools
import json
from dataclasses import dataclass
from pathlib import Path

CATALOG_PATH = Path(__file__).with_name("techniques.json")
SCHEMA_PATH = Path(__file__).with_name("techniques.schema.json")


class Mechanism(enum.Enum):
    ON_ACCOUNT = "on-account"
    """A permission on the target account (or above it) reaches that account."""
    DELEGATION = "delegation"
    ON_SCOPE = "on-scope"
    """setIamPolicy on a project, folder or organization reaches every permission there."""
    ROLE_UPDATE = "role-update"
    CREATE_AS = "create-as"
    """A create (or attach) permission anywhere plus actAs on an account reaches that account."""
    ON_INSTANCE = "on-instance"
    """A permission on a VM (or above it) plus actAs on its account reaches that account."""
    NOTEBOOK_USE = "notebook-use"
    WORKFLOW = "workflow"
    GROUP = "group"


@dataclass(frozen=True, slots=True)
class Technique:
    """One way to gain access, from `techniques.json`."""

    id: str
    title: str
    mechanism: Mechanism
    permissions: frozenset[str]
    """Any one of these, held where `held_on` says."""
    act_as: bool
    """Also needs `iam.serviceAccounts.actAs` on the account reached."""
    held_on: str
    reaches: str
    references: tuple[str, ...]


@functools.cache
def catalog() -> dict[str, Technique]:
    """Technique id -> technique, in file order."""
    document = json.loads(CATALOG_PATH.read_text(encoding="utf-8"))
    return {
        entry["id"]: Technique(
            id=entry["id"],
            title=entry["title"],
            mechanism=Mechanism(entry["mechanism"]),
            permissions=frozenset(entry["permissions"]),
            act_as=bool(entry.get("act_as", False)),
            held_on=entry["held_on"],
            reaches=entry["reaches"],
            references=tuple(entry["references"]),
        )
        for entry in document["techniques"]
    }


def by_mechanism(mechanism: Mechanism) -> list[Technique]:
    return [t for t in catalog().values() if t.mechanism is mechanism]
