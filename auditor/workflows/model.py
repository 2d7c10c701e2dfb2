"""The facts the workflow reader extracts from GitHub Actions YAML, as frozen objects.

`reader.read_workflow` produces them; `facts.workflow_subjects` turns them, together with the Terraform intent,
into the plain activation the `chatops-*` policies evaluate. Nothing here knows about policies.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Source(enum.Enum):
    """Where a value in a command (the gcloud verb, the instance name) comes from."""

    LITERAL = "literal"
    """Written in the workflow."""
    CONFIGURATION = "configuration"
    """Repository configuration the triggering user does not control: `vars.*`, `secrets.*`, `github.repository`."""
    TRIGGER = "trigger"
    """The triggering event: dispatch payload, workflow inputs, comment text."""
    UNKNOWN = "unknown"
    """Could not be traced (a step output, a shell variable set at run time): treated like the trigger."""


@dataclass(frozen=True, slots=True)
class Trigger:
    """One event that starts a workflow (an entry of `on:`)."""

    event: str
    """`repository_dispatch`, `workflow_dispatch`, `issue_comment`, ..."""
    line: int
    types: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Injection:
    """An attacker-influenced expression expanded by the runner into code before the code runs."""

    expression: str
    """The context path that carries attacker data, e.g. `github.event.client_payload.command`."""
    text: str
    """The whole `${{ ... }}` as written."""
    line: int
    job: str
    step: str
    sink: str
    """`run` or `with.script` (actions/github-script and similar script inputs)."""
    via_env: str | None = None
    """When the expression is `env.NAME` and NAME was set from attacker data: NAME."""


@dataclass(frozen=True, slots=True)
class ActionUse:
    """A `uses:` reference to an action or reusable workflow."""

    uses: str
    line: int
    job: str
    pinned: bool
    """Pinned to a full 40-hex commit SHA (or a docker digest); local `./` actions count as pinned."""
    local: bool = False


class IdentityKind(enum.Enum):
    WORKLOAD_IDENTITY = "workload_identity"
    KEY = "key"
    """A service-account key JSON from a secret (`credentials_json`)."""
    OTHER = "other"
    """google-github-actions/auth without either input we recognise."""


@dataclass(frozen=True, slots=True)
class Identity:
    """A google-github-actions/auth step: the Google identity the following steps run as."""

    kind: IdentityKind
    line: int
    job: str
    service_account: str | None
    """The email when written literally; None when absent or an expression (see `service_account_text`)."""
    service_account_text: str = ""
    """`service_account` input as written, e.g. `${{ secrets.SA }}`; empty when absent."""
    workload_identity_provider: str = ""
    credentials_secret: str = ""
    """For keys: the expression that supplies the key, e.g. `${{ secrets.GCP_SA_KEY }}`."""


@dataclass(frozen=True, slots=True)
class ValueOrigin:
    """A command argument traced back to where it comes from."""

    text: str
    """The argument as written: `start`, `$VERB`, `${{ github.event.client_payload.command }}`."""
    source: Source
    expressions: tuple[str, ...] = ()
    """The context paths it derives from, when any."""


@dataclass(frozen=True, slots=True)
class NotebookControl:
    """A step that starts, stops or otherwise operates notebook instances."""

    line: int
    job: str
    step: str
    tool: str
    """`gcloud`, `rest` (notebooks.googleapis.com through curl or a script) or `python` (client library)."""
    verb: ValueOrigin
    """The operation: `start`, `stop`, `delete`, ... or a value from elsewhere."""
    instance: ValueOrigin | None
    generation: str | None = None
    """`v1` (gcloud notebooks / API v1), `v2` (gcloud workbench / API v2), None when unknown."""
    allowed_verbs: tuple[str, ...] | None = None
    """The verbs an allowlist guarding this command lets through; None when no allowlist guards it."""
    allowed_instances: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a job."""

    job: str
    name: str
    """`name:`, else `id:`, else `uses:`, else `step N`."""
    line: int


@dataclass(frozen=True, slots=True)
class Workflow:
    """A GitHub Actions workflow file, as far as the ChatOps policies need it."""

    path: str
    """As given to the reader (relative to the scanned root when read through `discover`)."""
    name: str
    line: int
    triggers: tuple[Trigger, ...]
    jobs: tuple[str, ...]
    steps: tuple[Step, ...]
    identities: tuple[Identity, ...]
    notebook_controls: tuple[NotebookControl, ...]
    injections: tuple[Injection, ...]
    actions: tuple[ActionUse, ...]
    fragment: bool = False
    """A bare list of steps (documentation snippets): triggers unknown."""

    @property
    def controls_notebooks(self) -> bool:
        return bool(self.notebook_controls)
