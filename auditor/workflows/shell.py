"""Reading the shell (and script) text of a step: notebook-control commands and the allowlists guarding them.

This is not a shell parser. It recognises the few shapes people write in start/stop workflows -- `gcloud
notebooks|workbench instances VERB NAME`, a notebooks REST URL, a client-library call -- and the guards they put in
front of them: `case "$X" in start|stop) ...`, `[[ $X =~ ^(start|stop)$ ]] || exit 1`, `if [[ $X != start && $X !=
stop ]]; then exit 1; fi`. Anything it cannot trace counts as unguarded, never as safe.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass

from auditor.workflows.expressions import Expression, find_expressions, source_of_path, worst
from auditor.workflows.model import Source

_PLACEHOLDER = "@@E{}@@"
_PLACEHOLDER_RE = re.compile(r"@@E(\d+)@@")
_VARIABLE_RE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*|[0-9@*])\}?")
_LITERAL_WORD = re.compile(r"^[\w.\-]+$")
_EXIT = re.compile(r"\b(exit|return)\b")
_VALUE_FLAGS = frozenset(
    {"--location", "--project", "--zone", "--region", "--format", "--account", "--impersonate-service-account"}
)
_RUNTIME_VARIABLES = re.compile(r"^(GITHUB_|RUNNER_)")


@dataclass(frozen=True, slots=True)
class Script:
    """A script with its `${{ }}` expressions replaced by placeholders, so shell-level reading ignores them."""

    text: str
    expressions: tuple[Expression, ...]

    @classmethod
    def parse(cls, raw: str) -> Script:
        expressions = tuple(find_expressions(raw))
        text = raw
        for index, expression in reversed(list(enumerate(expressions))):
            start = expression.start
            text = text[:start] + _PLACEHOLDER.format(index) + text[start + len(expression.text) :]
        return cls(text, expressions)

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")


@dataclass(frozen=True, slots=True)
class FoundCommand:
    """A command found in a `run:` script."""

    line_index: int
    """0-based line of the script where the command starts."""
    tool: str
    generation: str | None
    verb: str
    """The verb token as written (placeholders restored by the caller)."""
    instance: str | None


def _logical_lines(script: Script) -> list[tuple[int, str]]:
    """Lines with `\\` continuations joined, each with the index of its first physical line."""
    result: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 0
    for index, line in enumerate(script.lines):
        if not pending:
            start = index
        if line.rstrip().endswith("\\"):
            pending.append(line.rstrip()[:-1])
            continue
        pending.append(line)
        result.append((start, " ".join(pending)))
        pending = []
    if pending:
        result.append((start, " ".join(pending)))
    return result


def _tokens(text: str) -> list[str]:
    try:
        lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|")
        lexer.whitespace_split = True
        lexer.commenters = "#"
        return list(lexer)
    except ValueError:  # unbalanced quotes: fall back to whitespace
        return text.split()


def find_commands(script: Script) -> list[FoundCommand]:
    found: list[FoundCommand] = []
    for start, line in _logical_lines(script):
        tokens = _tokens(line)
        for position, token in enumerate(tokens):
            if token == "gcloud" or token.endswith("/gcloud"):
                command = _gcloud(tokens[position + 1 :])
                if command:
                    found.append(FoundCommand(start, "gcloud", *command))
        found.extend(FoundCommand(start, "rest", *rest) for rest in _rest_calls(line))
        found.extend(FoundCommand(start, "python", None, verb, None) for verb in _client_calls(line, script.text))
    return found


def _gcloud(arguments: list[str]) -> tuple[str | None, str, str | None] | None:
    words = [word for word in arguments if word not in ("beta", "alpha")]
    if len(words) < 3 or words[0] not in ("notebooks", "workbench") or words[1] != "instances":
        return None
    generation = "v1" if words[0] == "notebooks" else "v2"
    verb = words[2]
    instance = None
    previous = ""
    for word in words[3:]:
        if word in (";", "&&", "||", "|", "&"):
            break
        if not word.startswith("-") and previous not in _VALUE_FLAGS:
            instance = word
            break
        previous = word.split("=")[0] if "=" not in word else ""
    return generation, verb, instance


_REST_URL = re.compile(r"notebooks\.googleapis\.com/(v\d)/([^\s\"':]*)(?::(\$\{?\w+\}?|@@E\d+@@|\w+))?")


def _rest_calls(line: str) -> list[tuple[str | None, str, str | None]]:
    calls = []
    for match in _REST_URL.finditer(line):
        version, path, verb = match.groups()
        if not verb:
            if not re.search(r"-X\s*DELETE|method\s*[:=]\s*['\"]DELETE", line, re.IGNORECASE):
                continue
            verb = "delete"
        instance = path.rstrip("/").split("/")[-1] or None
        calls.append((version, verb, instance))
    return calls


_CLIENT_CALL = re.compile(r"\.([a-z_]+)_instance\s*\(")


def _client_calls(line: str, whole_script: str) -> list[str]:
    if not re.search(r"notebooks_v[12]|google\.cloud\.notebooks|google\.cloud import notebooks", whole_script):
        return []
    return _CLIENT_CALL.findall(line)


# --- tracing where a token's value comes from --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Traced:
    """Where a shell value comes from."""

    source: Source
    paths: tuple[str, ...]
    """Context paths the value derives from."""
    subjects: tuple[str, ...]
    """What a guard must test to restrict it: shell variable names and `@@E<n>@@` placeholders."""


def trace(token: str, script: Script, before_line: int, env_sources: dict[str, Source], depth: int = 0) -> Traced:
    """Where the value of `token` (a command argument at script line `before_line`) comes from."""
    sources: list[Source] = []
    paths: list[str] = []
    subjects: list[str] = []
    for match in _PLACEHOLDER_RE.finditer(token):
        expression = script.expressions[int(match.group(1))]
        subjects.append(match.group(0))
        for path in expression.paths or ("?",):
            paths.append(path)
            sources.append(source_of_path(path, env_sources) if path != "?" else Source.UNKNOWN)
    for match in _VARIABLE_RE.finditer(_PLACEHOLDER_RE.sub("", token)):
        name = match.group(1)
        subjects.append(name)
        assigned = _last_assignment(script, name, before_line)
        if assigned is not None and depth < 5:
            inner = trace(assigned[1], script, assigned[0], env_sources, depth + 1)
            sources.append(inner.source)
            paths.extend(inner.paths)
            subjects.extend(inner.subjects)
        elif name in env_sources:
            sources.append(env_sources[name])
            paths.append(f"env.{name}")
        elif _RUNTIME_VARIABLES.match(name):
            sources.append(Source.CONFIGURATION)
        else:
            sources.append(Source.UNKNOWN)
    if "$(" in token or "`" in token:
        sources.append(Source.UNKNOWN)
    return Traced(worst(sources), tuple(paths), tuple(subjects))


def _last_assignment(script: Script, name: str, before_line: int) -> tuple[int, str] | None:
    pattern = re.compile(rf"^\s*(?:export\s+|local\s+|readonly\s+)?{re.escape(name)}=(.*)$")
    for index in range(min(before_line, len(script.lines)) - 1, -1, -1):
        match = pattern.match(script.lines[index])
        if match:
            value = _tokens(match.group(1))
            return index, value[0] if value else ""
    return None


# --- guards: allowlists written in the script ----------------------------------------------------------------

GuardCheck = Callable[[int], "tuple[str, ...] | None"]


def script_allowlist(script: Script, subjects: tuple[str, ...], line: int) -> tuple[str, ...] | None:
    """The values a guard in the script lets through for any of `subjects` at `line`, or None when unguarded."""
    lines = script.lines
    allowed: tuple[str, ...] | None = None
    for subject in subjects:
        for guard in (_case_guard, _regex_guard, _comparison_guard):
            values = guard(lines, subject, line)
            if values is not None:
                allowed = values if allowed is None else tuple(v for v in allowed if v in values)
    return allowed


def _subject_pattern(subject: str) -> str:
    if subject.startswith("@@"):
        return r"\"?" + re.escape(subject) + r"\"?"
    return r"\"?\$\{?" + re.escape(subject) + r"(?![A-Za-z0-9_])\}?\"?"


def _block_end(lines: list[str], start: int, closers: tuple[str, ...]) -> int:
    """Index of the first line at or after `start` that closes an if/then (`else`, `elif`, `fi`)."""
    closer = re.compile(r"(^|;|\s)(" + "|".join(closers) + r")\b")
    for index in range(start, len(lines)):
        text = lines[index].split("then", 1)[1] if index == start and "then" in lines[index] else lines[index]
        if closer.search(text):
            return index
    return len(lines)


def _exits_in(lines: list[str], start: int) -> bool:
    """The `then` branch opened at `start` exits (or returns) before its `fi`/`else`."""
    end = _block_end(lines, start, ("fi", "else", "elif"))
    text = "\n".join(lines[start : end + 1])
    return bool(_EXIT.search(text.split("then", 1)[1] if "then" in text else ""))


def _case_guard(lines: list[str], subject: str, line: int) -> tuple[str, ...] | None:
    opener = re.compile(r"^\s*case\s+" + _subject_pattern(subject) + r"\s+in\b")
    for start, text in enumerate(lines):
        if not opener.match(text) or start > line:
            continue
        branches, end = _case_branches(lines, start)
        literal = [b for b in branches if all(_LITERAL_WORD.match(p) for p in b[0])]
        for patterns, first, last, _ in literal:
            if first <= line <= last:
                return tuple(patterns)
        if line > end:
            others = [b for b in branches if b[0] != ["*"]]
            catch_all = [b for b in branches if b[0] == ["*"]]
            if catch_all and _EXIT.search(catch_all[0][3]) and len(others) == len(literal):
                return tuple(p for b in literal for p in b[0])
    return None


def _case_branches(lines: list[str], start: int) -> tuple[list[tuple[list[str], int, int, str]], int]:
    """Branches of the case opened at `start`: (patterns, first line, last line, body) and the `esac` line."""
    branches: list[tuple[list[str], int, int, str]] = []
    current: list | None = None
    pattern = re.compile(r"^\s*\(?\s*([^()]+?)\s*\)(.*)$")
    index = start + 1
    while index < len(lines):
        text = lines[index]
        if re.match(r"^\s*esac\b", text) and current is None:
            return branches, index
        if current is None:
            match = pattern.match(text)
            if match:
                patterns = [p.strip().strip("\"'") for p in match.group(1).split("|")]
                current = [patterns, index, index, match.group(2)]
                text = match.group(2)
            else:
                index += 1
                continue
        else:
            current[3] += "\n" + text
        current[2] = index
        if ";;" in text or re.search(r"\besac\b", text):
            branches.append((current[0], current[1], current[2], current[3]))
            current = None
            if re.search(r"\besac\b", text.split(";;", 1)[-1]):
                return branches, index
        index += 1
    return branches, len(lines)


_ANCHORED_ALTERNATION = re.compile(r"^\^\(?([\w.\-]+(?:\|[\w.\-]+)*)\)?\$$")


def _regex_guard(lines: list[str], subject: str, line: int) -> tuple[str, ...] | None:
    test = re.compile(r"\[\[\s*(!\s*)?" + _subject_pattern(subject) + r"\s*=~\s*(\S+?)\s*\]\]")
    for index, text in enumerate(lines[: line + 1]):
        match = test.search(text)
        if not match:
            continue
        anchored = _ANCHORED_ALTERNATION.match(match.group(2).strip("\"'"))
        if not anchored:
            continue
        values = tuple(anchored.group(1).split("|"))
        negated = bool(match.group(1))
        after = text[match.end() :]
        opens_if = bool(re.search(r"\bif\s*$", text[: match.start()]))
        exits_after = re.search((r"&&.*" if negated else r"\|\|.*") + _EXIT.pattern, after)
        if index < line and not opens_if and exits_after:
            return values
        if opens_if:
            if negated and index < line and _exits_in(lines, index):
                return values
            if not negated and index <= line <= _block_end(lines, index, ("fi", "else", "elif")):
                return values
    return None


def _comparison_guard(lines: list[str], subject: str, line: int) -> tuple[str, ...] | None:
    """`if [[ $X != a && $X != b ]]; then exit` before the line, or `if [[ $X == a || $X == b ]]; then` around it."""
    subject_re = _subject_pattern(subject)
    for index, text in enumerate(lines[: line + 1]):
        if not re.match(r"^\s*(if|elif)\s", text):
            continue
        condition = text.split("then", 1)[0]
        unequal = re.findall(subject_re + r"\s*!=\s*[\"']?([\w.\-]+)[\"']?", condition)
        equal = re.findall(subject_re + r"\s*==?\s*[\"']?([\w.\-]+)[\"']?", condition)
        conjunctive = "||" not in condition and " -o " not in condition
        disjunctive = "&&" not in condition and " -a " not in condition
        if unequal and not equal and conjunctive and index < line and _exits_in(lines, index):
            return tuple(unequal)
        if equal and not unequal and disjunctive and index < line <= _block_end(lines, index, ("fi", "else", "elif")):
            return tuple(equal)
    return None


# --- guards: `if:` expressions on the step or job ------------------------------------------------------------


def expression_allowlists(condition: str) -> dict[str, tuple[str, ...]]:
    """Context paths an `if:` restricts to literals: {path: allowed values}. Only guards every disjunct shares."""
    body = condition.strip()
    match = re.fullmatch(r"\$\{\{(.*)\}\}", body, re.DOTALL)
    if match:
        body = match.group(1)
    return {path: tuple(sorted(values)) for path, values in _restrictions(body).items()}


def _restrictions(body: str) -> dict[str, set[str]]:
    disjuncts = _split_top(body, "||")
    if len(disjuncts) > 1:
        # A path is restricted only if every alternative restricts it; the allowed values are their union.
        each = [_restrictions(disjunct) for disjunct in disjuncts]
        shared = set(each[0]).intersection(*each[1:])
        return {path: set().union(*(d[path] for d in each)) for path in shared}
    conjuncts = _split_top(body, "&&")
    if len(conjuncts) > 1:
        restricted: dict[str, set[str]] = {}
        for conjunct in conjuncts:
            for path, values in _restrictions(conjunct).items():
                restricted[path] = restricted[path] & values if path in restricted else set(values)
        return restricted
    return {path: set(values) for path, values in _conjunct_restriction(body).items()}


def _split_top(text: str, operator: str) -> list[str]:
    text = text.strip()
    while text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
        text = text[1:-1].strip()
    parts, depth, quote, current = [], 0, False, ""
    index = 0
    while index < len(text):
        char = text[index]
        if char == "'":
            quote = not quote
        elif not quote and char in "([":
            depth += 1
        elif not quote and char in ")]":
            depth -= 1
        if not quote and depth == 0 and text.startswith(operator, index):
            parts.append(current)
            current = ""
            index += len(operator)
            continue
        current += char
        index += 1
    parts.append(current)
    return [part.strip() for part in parts if part.strip()]


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


_PATH = r"((?:github|inputs|env|steps|needs)(?:\.[\w\-]+)+)"


def _conjunct_restriction(conjunct: str) -> dict[str, tuple[str, ...]]:
    conjunct = conjunct.strip()
    while conjunct.startswith("(") and conjunct.endswith(")") and _balanced(conjunct[1:-1]):
        conjunct = conjunct[1:-1].strip()
    match = re.fullmatch(_PATH + r"\s*==\s*'([^']*)'", conjunct) or re.fullmatch(r"'([^']*)'\s*==\s*" + _PATH, conjunct)
    if match:
        first, second = match.groups()
        return {first: (second,)} if "." in first else {second: (first,)}
    match = re.fullmatch(r"contains\(\s*fromJSON\(\s*'(\[[^']*\])'\s*\)\s*,\s*" + _PATH + r"\s*\)", conjunct, re.I)
    if match:
        values = re.findall(r"\"([^\"]*)\"", match.group(1))
        return {match.group(2): tuple(values)}
    return {}
