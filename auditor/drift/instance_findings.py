"""Instance verdicts -> findings: messages and severities."""

from __future__ import annotations

from typing import assert_never

from auditor.drift.instance_config import Field, FieldDrift, show
from auditor.drift.instances import InstanceFinding, InstanceVerdict
from auditor.drift.rules import DriftRule, drift_finding
from auditor.model import DriftDetail, Finding, NotebookInstance, Severity, Unresolved


def instance_finding(found: InstanceFinding) -> Finding:
    instance = found.instance
    match found.verdict:
        case InstanceVerdict.MISSING:
            return _finding(
                DriftRule.MISSING_INSTANCE,
                Severity.MEDIUM,
                instance,
                f"{instance.address} declares {instance.full_name} ({instance.generation}), which does not exist "
                "live; its declared IAM grants are not compared.",
            )
        case InstanceVerdict.UNMANAGED:
            return _finding(
                DriftRule.UNMANAGED_INSTANCE,
                Severity.MEDIUM,
                instance,
                f"{instance.full_name} ({instance.generation}, runs as {_runs_as(instance)}) exists live but no "
                "Terraform resource declares it.",
            )
        case InstanceVerdict.UNRESOLVED:
            parts = ", ".join(
                str(v) for v in (instance.project, instance.zone, instance.name) if isinstance(v, Unresolved)
            )
            names = ", ".join(k.name for k in found.candidates)
            could = f" Live instances it could be: {names}." if names else ""
            return _finding(
                DriftRule.UNRESOLVED,
                Severity.INFO,
                instance,
                f"Cannot compare {instance.address} with the live project: its name or location is unresolved "
                f"({parts}).{could}",
            )
        case InstanceVerdict.CONFIG:
            assert found.drift is not None and found.live is not None
            return _config(instance, found.live, found.drift)
        case _:
            assert_never(found.verdict)


def _config(declared: NotebookInstance, live: NotebookInstance, drift: FieldDrift) -> Finding:
    want, have, field = drift.declared, drift.live, drift.field
    if drift.unresolved:
        expression = want.expression if isinstance(want, Unresolved) else str(want)
        return _finding(
            DriftRule.UNRESOLVED,
            Severity.INFO,
            declared,
            f"Cannot compare {field.value} of {declared.full_name}: declared value unresolved ({expression}); "
            f"live value is {show(have)}.",
            drift,
        )
    message = f"{declared.full_name}: {field.label} is {show(have)} live, {show(want)} in Terraform."
    if field is Field.SERVICE_ACCOUNT:
        message = f"{declared.full_name} runs as {_runs_as(live)} live ({show(have)}); Terraform declares {show(want)}."
        if declared.generation == "v2":
            message += (
                " A Workbench instance's service account is immutable: the instance was recreated outside Terraform."
            )
    severity = Severity.HIGH if field is Field.SERVICE_ACCOUNT else Severity.MEDIUM
    return _finding(DriftRule.INSTANCE_CONFIG, severity, declared, message, drift)


def _runs_as(instance: NotebookInstance) -> str:
    if instance.uses_default_service_account:
        return "the default compute service account"
    return show(instance.service_account)


def _finding(
    rule: DriftRule, severity: Severity, instance: NotebookInstance, message: str, drift: FieldDrift | None = None
) -> Finding:
    return drift_finding(
        rule.value,
        severity,
        instance,
        message,
        project=instance.project if isinstance(instance.project, str) else None,
        drift=None
        if drift is None
        else DriftDetail(
            declared=str(drift.declared) if drift.unresolved else show(drift.declared),
            live=show(drift.live),
            field=drift.field.value,
        ),
    )
