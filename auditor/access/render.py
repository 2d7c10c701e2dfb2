"""Drawing `auditor access` answers: table (terminal), JSON (`auditor.access/v1`), Markdown with a Mermaid graph
(GitHub renders it in PR comments and issues), and Graphviz dot. Every label is escaped for where it lands."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from auditor.access.graph import AccessGraph, Edge
from auditor.access.queries import Access, Queries, conditions_of, how
from auditor.access.subjects import step_record
from auditor.report.escape import terminal_safe
from auditor.report.markdown import escape

SCHEMA = "auditor.access/v1"
FORMATS = ("table", "json", "markdown", "dot")


# --- answers as plain data (the JSON document; the other formats draw from it) ------------------------------------


def _access_record(graph: AccessGraph, access: Access) -> dict[str, Any]:
    return {
        "principal": graph.nodes[access.principal].label,
        "resource": graph.label(access.resource),
        "role": access.grant.role,
        "address": access.grant.address,
        "location": str(access.grant.location),
        "conditional": access.conditional,
        "conditions": sorted(set(conditions_of(access))),
        "administrator": access.administrator,
        "path": [step_record(graph, step) for step in access.path],
        "how": how(graph, access),
        "workflow_identity": _workflow_identity(graph, access.principal),
    }


def _workflow_identity(graph: AccessGraph, principal: str) -> dict[str, Any] | None:
    """When `principal` is a scanned workflow's identity: that workflow, and the notebook operations it lets a
    trigger run (None: the trigger chooses freely)."""
    known = graph.workflow_of.get(principal)
    if known is None:
        return None
    path, verbs = known
    return {"workflow": path, "operations": sorted(verbs) if verbs is not None else None}


def who_can(queries: Queries, permission: str, on: str | None) -> dict[str, Any]:
    graph = queries.graph
    found = queries.who_can(permission, on)
    return {
        "schema": SCHEMA,
        "query": "who-can",
        "permission": permission,
        "on": on,
        "principals": [_access_record(graph, a) for a in found],
        "_edges": [step for a in found for step in a.path],
        "_grants": [a for a in found],
    }


def what_can(queries: Queries, principal: str) -> dict[str, Any]:
    graph = queries.graph
    identities, per_resource = queries.what_can(principal)
    accesses = [a for entries in per_resource.values() for _, a in entries]
    return {
        "schema": SCHEMA,
        "query": "what-can",
        "principal": graph.nodes[principal].label,
        "identities": [
            {"identity": graph.nodes[a.holder].label, "path": [step_record(graph, s) for s in a.path]}
            for a in identities
        ],
        "permissions": [
            {"resource": resource, "permission": permission, **_access_record(graph, access)}
            for resource, entries in sorted(per_resource.items())
            for permission, access in entries
        ],
        "_edges": [step for a in [*identities, *accesses] for step in a.path],
        "_grants": accesses,
    }


def matrix(queries: Queries) -> dict[str, Any]:
    graph = queries.graph
    rows = queries.matrix()
    instances = []
    edges: list[Edge] = []
    grants: list[Access] = []
    for instance, columns in rows:
        account = graph.resources[instance].account
        record: dict[str, Any] = {
            "instance": instance,
            "account": graph.nodes[account].label if account else None,
            "columns": {},
        }
        for column, cell in columns:
            record["columns"][column] = [_access_record(graph, a) for a in cell]
            for access in cell:
                edges.extend(access.path)
                if column != "run code as its account":
                    grants.append(access)
        instances.append(record)
    return {"schema": SCHEMA, "query": "matrix", "instances": instances, "_edges": edges, "_grants": grants}


def public(answer: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in answer.items() if not k.startswith("_")}


# --- formats ------------------------------------------------------------------------------------------------------


def render(answer: Mapping[str, Any], graph: AccessGraph, output_format: str) -> str:
    if output_format == "json":
        return json.dumps(public(answer), indent=2, ensure_ascii=False) + "\n"
    if output_format == "dot":
        return dot(graph, answer["_edges"], answer["_grants"])
    if output_format == "markdown":
        return markdown(answer, graph)
    return table(answer)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def _plain(text: str) -> str:
    """Terminal text: no control sequences from the inputs, and a newline in a value cannot forge a line."""
    return terminal_safe(text)


def _cell_lines(record: Mapping[str, Any]) -> str:
    flags = []
    if record["conditional"]:
        flags.append("conditional: " + "; ".join(record["conditions"]))
    if record["administrator"]:
        flags.append("administrator")
    suffix = f" [{', '.join(flags)}]" if flags else ""
    return f"{record['principal']}{_identity_note(record)}: {record['how']}{suffix}"


def _identity_note(record: Mapping[str, Any]) -> str:
    identity = record.get("workflow_identity")
    if not identity:
        return ""
    workflow = identity["workflow"].rpartition("/")[2]
    if identity["operations"] is None:
        return f" (identity of {workflow}, whose trigger chooses the operation)"
    return f" (identity of {workflow}, which runs only {'|'.join(identity['operations']) or 'no notebook operation'})"


NO_INSTANCES = "no notebook instances in the inputs: nothing to show access to"
"""An empty matrix says so, rather than printing nothing (which reads as "nobody has access")."""


def table(answer: Mapping[str, Any]) -> str:
    lines: list[str] = []
    if answer["query"] == "matrix":
        if not answer["instances"]:
            lines.append(NO_INSTANCES)
        for instance in answer["instances"]:
            lines.append(f"{instance['instance']}  (runs as {instance['account'] or 'no known account'})")
            for column, cell in instance["columns"].items():
                lines.append(f"  {column}:")
                if not cell:
                    lines.append("    nobody in IAM")
                for record in cell:
                    lines.append(f"    {_cell_lines(record)}")
            lines.append("")
    elif answer["query"] == "who-can":
        on = f" on {answer['on']}" if answer["on"] else ""
        lines.append(f"who can {answer['permission']}{on}:")
        for record in answer["principals"]:
            lines.append(f"  {record['resource']}  {_cell_lines(record)}")
        if not answer["principals"]:
            lines.append("  nobody")
    else:
        lines.append(f"{answer['principal']} can act as:")
        for identity in answer["identities"]:
            steps = " -> ".join(f"{s['to']} ({s['technique']}, {s['address']})" for s in identity["path"])
            lines.append(f"  {identity['identity']}: {steps}")
        if not answer["identities"]:
            lines.append("  no other identity")
        lines.append("admin-level permissions:")
        for record in answer["permissions"]:
            lines.append(f"  {record['resource']}  {record['permission']}: {record['how']}")
        if not answer["permissions"]:
            lines.append("  none")
    return "\n".join(_plain(line) for line in lines).rstrip() + "\n"


def markdown(answer: Mapping[str, Any], graph: AccessGraph) -> str:
    lines: list[str] = []
    if answer["query"] == "matrix":
        lines += ["## Effective access per notebook instance", ""]
        if not answer["instances"]:
            lines.append(NO_INSTANCES)
        headers = list(answer["instances"][0]["columns"]) if answer["instances"] else []
        if headers:
            lines.append("| instance | " + " | ".join(headers) + " |")
            lines.append("|---" * (len(headers) + 1) + "|")
        for instance in answer["instances"]:
            cells = []
            for column in headers:
                entries = instance["columns"][column]
                cells.append("<br>".join(escape(_cell_lines(r)) for r in entries) or "nobody in IAM")
            lines.append(f"| {escape(instance['instance'])} | " + " | ".join(cells) + " |")
    elif answer["query"] == "who-can":
        on = f" on {answer['on']}" if answer["on"] else ""
        lines += [
            f"## Who can {escape(answer['permission'])}{escape(on)}",
            "",
            "| principal | resource | how |",
            "|---|---|---|",
        ]
        for record in answer["principals"]:
            row = (record["principal"], record["resource"], _cell_lines(record))
            lines.append("| " + " | ".join(escape(cell) for cell in row) + " |")
    else:
        heading = f"## What {escape(answer['principal'])} can do"
        lines += [heading, "", "| resource | permission | how |", "|---|---|---|"]
        for record in answer["permissions"]:
            row = (record["resource"], record["permission"], record["how"])
            lines.append("| " + " | ".join(escape(cell) for cell in row) + " |")
    lines += ["", "```mermaid", *mermaid(graph, answer["_edges"], answer["_grants"]), "```", ""]
    return "\n".join(lines)


def _mermaid_label(text: str) -> str:
    """Mermaid quoted label: entity codes for what would end it or become markup."""
    replacements = {"&": "#amp;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "|": "#124;", "`": "#96;", "\n": " "}
    return "".join(replacements.get(c, c) for c in _CONTROL.sub("", text.replace("\r", " ")))


class _Flowchart:
    """A Mermaid flowchart: one node per key (ids n0, n1...), one arrow per distinct (from, to, label)."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}
        self.lines = ["flowchart LR"]
        self.seen: set[tuple[str, str, str]] = set()

    def _node(self, key: str, label: str) -> str:
        if key not in self.ids:
            self.ids[key] = f"n{len(self.ids)}"
            self.lines.append(f'  {self.ids[key]}["{_mermaid_label(label)}"]')
        return self.ids[key]

    def arrow(self, source: tuple[str, str], target: tuple[str, str], label: str, dashed: bool = False) -> None:
        """`source` and `target` are (key, label)."""
        key = (source[0], target[0], label)
        if key in self.seen:
            return
        self.seen.add(key)
        start, end = self._node(*source), self._node(*target)
        self.lines.append(f'  {start} {"-.->" if dashed else "-->"}|"{_mermaid_label(label)}"| {end}')


def mermaid(graph: AccessGraph, edges: Iterable[Edge], grants: Iterable[Access]) -> list[str]:
    chart = _Flowchart()
    for edge in edges:
        source, target = graph.nodes[edge.source], graph.nodes[edge.target]
        chart.arrow((source.key, source.label), (target.key, target.label), edge.technique, edge.condition is not None)
    for access in grants:
        if access.grant.role:
            holder = graph.nodes[access.holder]
            account = graph.nodes.get(access.grant.resource.removeprefix("serviceAccounts/"))
            if account is not None:  # the account as a resource is the identity node already drawn
                resource = (account.key, account.label)
            else:
                resource = ("resource:" + access.grant.resource, graph.label(access.grant.resource))
            chart.arrow((holder.key, holder.label), resource, access.grant.role)
    return chart.lines


def _dot_string(text: str) -> str:
    text = _CONTROL.sub("", text.replace("\r", ""))
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def dot(graph: AccessGraph, edges: Iterable[Edge], grants: Iterable[Access]) -> str:
    lines = ["digraph access {", "  rankdir=LR;"]
    seen: set[tuple[str, str, str]] = set()
    for edge in edges:
        key = (edge.source, edge.target, edge.technique)
        if key in seen:
            continue
        seen.add(key)
        style = ", style=dashed" if edge.condition else ""
        lines.append(
            f"  {_dot_string(graph.nodes[edge.source].label)} -> {_dot_string(graph.nodes[edge.target].label)}"
            f" [label={_dot_string(edge.technique)}{style}];"
        )
    for access in grants:
        key = (access.holder, access.grant.resource, access.grant.role)
        if key in seen or not access.grant.role:
            continue
        seen.add(key)
        lines.append(
            f"  {_dot_string(graph.nodes[access.holder].label)} -> {_dot_string(graph.label(access.grant.resource))}"
            f" [label={_dot_string(access.grant.role)}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def escalation_mermaid(paths: Iterable[Iterable[Mapping[str, Any]]]) -> list[str]:
    """A Mermaid flowchart of escalation paths (the `path` of privilege-escalation findings): for PR comments."""
    chart = _Flowchart()
    for path in paths:
        for step in path:
            source, target = str(step["from"]), str(step["to"])
            label = f"{step['technique']} ({step['address']})"
            chart.arrow((source, source), (target, target), label, bool(step.get("condition")))
    return chart.lines
