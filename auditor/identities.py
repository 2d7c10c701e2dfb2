"""Principal classification: the one place that decides what kind of identity a member, an email or an
instance's service account is, from what is known about it (a literal, a shape with holes, a declaring address).

Emails compare case-insensitively everywhere (`same_email`, `email_key`): IAM treats them so.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from auditor.model import DEFAULT_SERVICE_ACCOUNT, Principal, PrincipalKind, Unresolved


class PrincipalClass(enum.Enum):
    HUMAN = "human"
    """`user:`, `group:`, `domain:`: a person or a group of people."""
    PUBLIC = "public"
    """`allUsers`, `allAuthenticatedUsers`."""
    USER_MANAGED_SERVICE_ACCOUNT = "user_managed_service_account"
    """Declared by a `google_service_account`, or any `NAME@PROJECT.iam.gserviceaccount.com` not a service agent."""
    DEFAULT_COMPUTE_SERVICE_ACCOUNT = "default_compute_service_account"
    """`NUMBER-compute@developer.gserviceaccount.com` or `data.google_compute_default_service_account`; also an
    instance with no service account set."""
    SERVICE_AGENT = "service_agent"
    """Google-managed: `service-NUMBER@...`, `NUMBER@cloudservices.gserviceaccount.com`, `*@gcp-sa-*...`."""
    UNKNOWN = "unknown"
    """An unset variable, an unknown outside value: nothing tells what it is."""
    OTHER = "other"
    """Anything else: workload identity principals, `deleted:`, `projectOwner:`, other Google accounts."""


_HUMAN_KINDS = {PrincipalKind.USER, PrincipalKind.GROUP, PrincipalKind.DOMAIN}
_PUBLIC_KINDS = {PrincipalKind.ALL_USERS, PrincipalKind.ALL_AUTHENTICATED_USERS}

_HOLE = r"(?:\{[^{}]*\})"
"""A hole in a shape (`{var.project_id}`) matches where a literal part could stand."""
_DIGITS = rf"(?:[0-9]+|{_HOLE})"
# One character or one hole per repetition, never `(?:x+)+`: nested quantifiers backtrack exponentially on the
# label splits (5 ms per `...@p.iam.gserviceaccount.com` email, minutes on an organization's 30,000 accounts).
_LABEL = rf"(?:[a-z0-9-]|{_HOLE})+"
_DEFAULT_COMPUTE = re.compile(rf"^{_DIGITS}-compute@developer\.gserviceaccount\.com$")
_AGENTS = (
    re.compile(rf"^service-(?:org-|folder-)?[0-9]+@{_LABEL}\.iam\.gserviceaccount\.com$"),
    # Known up to the project number (data sources, google_project_service_identity): only Google's own domains.
    re.compile(
        rf"^service-{_DIGITS}@(?:gs-project-accounts|gcp-sa-(?:[a-z0-9-]|{_HOLE})+)\.iam\.gserviceaccount\.com$"
    ),
    re.compile(
        rf"^(?:bq|project)-{_DIGITS}@(?:bigquery-encryption|storage-transfer-service)\.iam\.gserviceaccount\.com$"
    ),
    re.compile(r"^[^@]+@gcp-sa-[a-z0-9-]+\.iam\.gserviceaccount\.com$"),
    re.compile(r"^[0-9]+@(?:cloudservices|cloudbuild)\.gserviceaccount\.com$"),
)
_USER_MANAGED = re.compile(rf"^(?:[^@\s{{}}]|{_HOLE})+@{_LABEL}(?:\.{_LABEL})*\.iam\.gserviceaccount\.com$")


def email_key(email: str) -> str:
    """The form two emails are compared in: IAM emails are case-insensitive."""
    return email.strip().lower()


def same_email(first: str, second: str) -> bool:
    return email_key(first) == email_key(second)


def email_matches(member: Principal, email: str) -> bool:
    """Whether a member is the service account `email`: the same email (case-insensitively), or a declared account
    whose email is only known by its shape (`wb@{var.project_id}.iam.gserviceaccount.com`) that fits it."""
    if member.kind is not PrincipalKind.SERVICE_ACCOUNT or not member.email:
        return False
    if same_email(member.email, email):
        return True
    if member.identity is None or "{" not in member.email:
        return False
    return _shape_pattern(member.email).fullmatch(email_key(email)) is not None


@functools.lru_cache(maxsize=1024)
def _shape_pattern(shape: str) -> re.Pattern[str]:
    """A shape as a pattern: a run of k holes is k or more characters other than `@`, taken up to the first place
    the literal text after it fits and never tried again (an atomic group, as `fnmatch` does). The first place is
    always the best one; trying every split of the characters over the holes took hours on a shape of 25 holes."""
    pieces = re.split(r"(\{[^{}]*\})", shape)
    pattern, holes = "", 0
    for index, piece in enumerate(pieces):
        if index % 2:
            holes += 1
        elif piece and holes and index < len(pieces) - 1:
            pattern += f"(?>[^@]{{{holes},}}?{re.escape(piece)})"
            holes = 0
        elif piece:  # the text before the first hole, or after the last: it must end the email, so no shortcut
            pattern += (f"[^@]{{{holes},}}" if holes else "") + re.escape(piece)
            holes = 0
    if holes:
        pattern += f"[^@]{{{holes},}}"
    return re.compile(pattern, re.IGNORECASE)


def classify_email(email: str) -> PrincipalClass:
    """A service account email, literal or a shape with `{holes}`."""
    email = email_key(email)
    if _DEFAULT_COMPUTE.match(email):
        return PrincipalClass.DEFAULT_COMPUTE_SERVICE_ACCOUNT
    if any(agent.match(email) for agent in _AGENTS):
        return PrincipalClass.SERVICE_AGENT
    if email.startswith("{") and email.endswith("}") and email.count("{") == 1:
        return PrincipalClass.UNKNOWN  # the whole email is one hole
    if _USER_MANAGED.match(email):
        return PrincipalClass.USER_MANAGED_SERVICE_ACCOUNT
    return PrincipalClass.OTHER


def classify(principal: Principal) -> PrincipalClass:
    """What kind of identity an IAM member is, from its kind, its (shaped) email and its declaring address."""
    kind = principal.kind
    if principal.identity is not None and kind in (PrincipalKind.SERVICE_ACCOUNT, PrincipalKind.UNRESOLVED):
        return PrincipalClass.USER_MANAGED_SERVICE_ACCOUNT
    if kind in _HUMAN_KINDS:
        return PrincipalClass.HUMAN
    if kind in _PUBLIC_KINDS:
        return PrincipalClass.PUBLIC
    if kind is PrincipalKind.SERVICE_ACCOUNT:
        return classify_email(principal.email or "")
    if kind is PrincipalKind.UNRESOLVED:
        return PrincipalClass.UNKNOWN
    return PrincipalClass.OTHER


def classify_account(value: str | Unresolved | None, identity: str | None = None) -> PrincipalClass:
    """The account a workload (a notebook instance) runs as: none set is the default compute account."""
    if identity is not None:
        return PrincipalClass.USER_MANAGED_SERVICE_ACCOUNT
    if value is None or value in ("", DEFAULT_SERVICE_ACCOUNT):
        return PrincipalClass.DEFAULT_COMPUTE_SERVICE_ACCOUNT
    if isinstance(value, Unresolved):
        if value.shape is None:
            return PrincipalClass.UNKNOWN
        return classify_email(value.shape.removeprefix("serviceAccount:"))
    return classify_email(value.removeprefix("serviceAccount:"))


_SERVICE_ACCOUNT_NAME = re.compile(r"^projects/[^/]+/serviceAccounts/(?P<account>[^/]+)$")


def account_email(value: str) -> str:
    """`serviceAccount:E`, `projects/P/serviceAccounts/E` or `E` -> `E`."""
    value = value.removeprefix("serviceAccount:")
    match = _SERVICE_ACCOUNT_NAME.match(value)
    return match["account"] if match else value


@dataclass(frozen=True, slots=True)
class Directory:
    """The declared service accounts, to find which one a value names: by declaring address (an unknown that
    carries it) or by email, case-insensitively."""

    by_email: dict[str, str]
    addresses: frozenset[str]

    @classmethod
    def of(cls, accounts: Iterable[tuple[str, str | Unresolved]]) -> Directory:
        """From (address, email) pairs."""
        pairs = list(accounts)
        return cls(
            by_email={email_key(email): address for address, email in pairs if isinstance(email, str)},
            addresses=frozenset(address for address, _ in pairs),
        )

    def identity_of(self, value: object) -> str | None:
        """The declaring address of the account `value` (a member, a name, an email, or an unknown) refers to."""
        if isinstance(value, Unresolved):
            if value.declared_by in self.addresses:
                return value.declared_by
            return None
        if isinstance(value, str) and value:
            return self.by_email.get(email_key(account_email(value)))
        return None


def unknown_account_text(value: Unresolved) -> str:
    """An account nothing is known of, in words that say what to do: "the account in var.sa, which has no value
    here: pass it in to check it"."""
    return f"the account in {value.origin}, which has no value here: pass it in to check it"
