"""Policies as data: YAML files with a CEL condition, loaded, checked and evaluated on the intent model.

`load_policies` reads and compiles them, `evaluate` turns an `Intent` into `Finding`s; the variables a condition
can read are documented in docs/policy-variables.md (generated from the facts classes in `auditor.policy.facts`).
"""

from auditor.policy.engine import evaluate
from auditor.policy.loader import builtin_policies_dir, load_policies, load_policy_file
from auditor.policy.schema import Policy, SubjectKind

__all__ = ["Policy", "SubjectKind", "builtin_policies_dir", "evaluate", "load_policies", "load_policy_file"]
