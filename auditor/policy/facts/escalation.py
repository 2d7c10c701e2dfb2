"""Facts of one escalation: a (principal, first edge) of the access graph and what it gains (auditor/access)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated


@dataclass(frozen=True, slots=True)
class EscalationFacts:
    """The `escalation` variables: one privilege-escalation path of the access graph."""

    principal: Annotated[str, "Who gains: `user:alice@x`, an account's email, a workflow's triggerers."]
    human: Annotated[bool, "A person, group, domain, the public or a workflow's triggerers."]
    administrator: Annotated[bool, "Listed in the config's `administrators`: an intended admin."]
    technique: Annotated[str, "The technique of the first edge (`sa-token`, `vm-metadata`, ...)."]
    target: Annotated[str, "The identity the path ends at."]
    steps: Annotated[int, "Number of edges in the path."]
    conditional: Annotated[bool, "Some edge of the path holds only under an IAM condition."]
    permissions: Annotated[tuple[str, ...], "Admin-level permissions gained, sorted."]
    permissions_count: Annotated[int, "How many admin-level permissions are gained."]
    sentence: Annotated[str, "The path in one sentence, for the message."]
