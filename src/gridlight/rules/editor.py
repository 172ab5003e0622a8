"""The form editor of a rule-set definition: the same structure the YAML parses to, as rows people
fill in (outcomes in order, rules with their conditions picked from the catalogue, test cases).

Three pure conversions, so the form and the YAML are one exchange format:

- :func:`from_definition` turns a definition into an :class:`Editor` to render;
- :func:`from_post` reads the submitted form back into an :class:`Editor` (kept as typed, so a
  refused form is shown again as it was);
- :func:`to_definition` turns an :class:`Editor` into a definition, or says what is wrong with
  each row. Whether the definition then compiles (CEL checked, tags known) is the rules
  services' job, on save, as for YAML.

A rule's condition is a tree: each row is one catalogue condition, "not" is a tick on any row,
``all_of``/``any_of`` rows hold rows. A rule's top row is always a group, so conditions can be
added beside the first one; a group of one condition is written as that condition.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from gridlight.rules.conditions import ENTRIES

GROUPS = ("all_of", "any_of")
# Typed field conditions are written in YAML (the households' subject has no typed fields).
LEAVES = tuple(k for k, e in ENTRIES.items() if e.argument not in {"group", "negation", "field"})
TOKEN = re.compile(r"^[a-z0-9]{1,16}$")
CASE_FIELDS = ("age", "youngest_age", "member_count")
MAX_DEPTH = 8  # groups within groups; deeper is refused (and never rendered)


class Unsupported(ValueError):
    """A definition the form cannot show (edit it as YAML)."""


def new_token() -> str:
    return secrets.token_hex(4)


@dataclass
class Node:
    token: str
    kind: str
    negate: bool = False
    value: str = ""  # the tag, the number or the CEL expression
    attribute: str = ""  # grade_at_most
    grade: str = ""
    children: list[Node] = field(default_factory=list)
    error: str = ""
    too_deep: bool = False

    @property
    def is_group(self) -> bool:
        return self.kind in GROUPS


@dataclass
class Rule:
    token: str
    code: str
    outcome: str
    label: str
    root: Node
    error: str = ""


@dataclass
class Case:
    token: str
    name: str = ""
    as_of: str = ""
    age: str = ""
    youngest_age: str = ""
    member_count: str = ""
    tags: list[str] = field(default_factory=list)
    grades: dict[str, str] = field(default_factory=dict)
    expect: str = ""
    check_fired: bool = False
    fired: list[str] = field(default_factory=list)
    error: str = ""


@dataclass
class Editor:
    outcomes: list[str]
    default: str
    rules: list[Rule]
    cases: list[Case]
    errors: list[str] = field(default_factory=list)

    def rules_for(self, outcome: str) -> list[Rule]:
        return [r for r in self.rules if r.outcome == outcome]


# --- definition → editor ---------------------------------------------------------------------


class _Tokens:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> str:
        self.n += 1
        return f"n{self.n}"


def node_from_spec(spec: Any, token: _Tokens, depth: int = 0) -> Node:
    if not isinstance(spec, dict) or len(spec) != 1 or depth > MAX_DEPTH:
        raise Unsupported(repr(spec)[:100])
    ((kind, arg),) = spec.items()
    if kind == "not":
        inner = node_from_spec(arg, token, depth + 1)
        if not inner.negate:
            inner.negate = True
            return inner
        return Node(token(), "all_of", negate=True, children=[inner])
    if kind in GROUPS:
        if not isinstance(arg, list):
            raise Unsupported(kind)
        return Node(token(), kind, children=[node_from_spec(p, token, depth + 1) for p in arg])
    entry = ENTRIES.get(kind)
    if entry is None:
        raise Unsupported(kind)
    if entry.argument == "grade":
        if not isinstance(arg, dict):
            raise Unsupported(kind)
        return Node(
            token(),
            kind,
            attribute=str(arg.get("attribute", "")),
            grade=_text(arg.get("grade")),
        )
    return Node(token(), kind, value=_text(arg))


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def new_leaf(token: str | None = None, kind: str = "has_tag") -> Node:
    return Node(token or new_token(), kind)


def new_group(kind: str = "all_of") -> Node:
    return Node(new_token(), kind, children=[new_leaf()])


def _root(node: Node, token: _Tokens) -> Node:
    if node.is_group and not node.negate:
        return node
    return Node(token(), "all_of", children=[node])


def from_definition(definition: Any, outcomes: list[str] | None = None) -> Editor:
    """The editor for a definition; ``outcomes`` is used when the definition names none yet."""
    if not isinstance(definition, dict):
        raise Unsupported("definition")
    token = _Tokens()
    listed = [str(o) for o in definition.get("outcomes") or []] or list(outcomes or [])
    rules = []
    for raw in definition.get("rules") or []:
        if not isinstance(raw, dict):
            raise Unsupported("rule")
        rules.append(
            Rule(
                token(),
                _text(raw.get("code")),
                _text(raw.get("outcome")),
                _text(raw.get("label")),
                _root(node_from_spec(raw.get("when"), token), token),
            )
        )
    cases = []
    for raw in definition.get("tests") or []:
        if not isinstance(raw, dict):
            raise Unsupported("test")
        values = raw.get("values") or {}
        fired = raw.get("fired")
        # A case the form cannot show (the services refuse it with the reason) leaves the
        # draft to the YAML editor.
        if (
            not isinstance(values, dict)
            or not isinstance(values.get("tags") or [], list)
            or not isinstance(values.get("grades") or {}, dict)
            or not isinstance(fired or [], list)
        ):
            raise Unsupported("test")
        cases.append(
            Case(
                token(),
                name=_text(raw.get("name")),
                as_of=_text(raw.get("as_of")),
                tags=[str(t) for t in values.get("tags") or []],
                grades={str(k): _text(v) for k, v in (values.get("grades") or {}).items()},
                expect=_text(raw.get("expect")),
                check_fired=fired is not None,
                fired=[str(c) for c in fired or []],
                **{k: _text(values.get(k)) for k in CASE_FIELDS},
            )
        )
    return Editor(
        listed, _text(definition.get("default")) or (listed[-1] if listed else ""), rules, cases
    )


# --- submitted form → editor -----------------------------------------------------------------


def _tokens(post: Any, name: str) -> list[str]:
    seen: list[str] = []
    for t in post.getlist(name):
        if TOKEN.match(t) and t not in seen:
            seen.append(t)
    return seen


def from_post(post: Any, graded: list[str]) -> Editor:
    """The editor as submitted. Rows are read in the order they appear on the page; a row whose
    parent is missing is dropped with it."""

    def get(key: str) -> str:
        return str(post.get(key, "")).strip()

    nodes: dict[str, Node] = {}
    parents: dict[str, str] = {}
    for t in _tokens(post, "node"):
        p = f"node-{t}-"
        kind = get(p + "kind")
        if kind not in GROUPS and kind not in LEAVES:
            kind = "has_tag"
        nodes[t] = Node(
            t,
            kind,
            negate=bool(post.get(p + "negate")),
            value=get(p + "value"),
            attribute=get(p + "attribute"),
            grade=get(p + "grade"),
        )
        parents[t] = get(p + "parent")
    for t, node in nodes.items():
        parent = nodes.get(parents[t])
        if parent is not None and parent is not node and parent.is_group:
            parent.children.append(node)
    rules = []
    seen: set[str] = set()
    for t in _tokens(post, "rule"):
        p = f"rule-{t}-"
        root = nodes.get(get(p + "root"))
        if root is None or root.token in seen or not root.is_group:
            root = Node(new_token(), "all_of")
        _prune(root, seen, 0)
        rules.append(Rule(t, get(p + "code"), get(p + "outcome"), get(p + "label"), root))
    cases = []
    for t in _tokens(post, "case"):
        p = f"case-{t}-"
        cases.append(
            Case(
                t,
                name=get(p + "name"),
                as_of=get(p + "as_of"),
                tags=[str(v) for v in post.getlist(p + "tags")],
                grades={a: get(f"{p}grade-{a}") for a in graded if get(f"{p}grade-{a}")},
                expect=get(p + "expect"),
                check_fired=bool(post.get(p + "check_fired")),
                fired=[str(v) for v in post.getlist(p + "fired")],
                **{k: get(p + k) for k in CASE_FIELDS},
            )
        )
    outcomes = [str(o) for o in post.getlist("outcomes")]
    return Editor(outcomes, get("default"), rules, cases)


def _prune(node: Node, seen: set[str], depth: int) -> None:
    """Each row under one rule once, however the parents were sent (no cycles, no sharing),
    and no deeper than ``MAX_DEPTH``."""
    seen.add(node.token)
    if depth >= MAX_DEPTH and node.children:
        node.children, node.too_deep = [], True
    node.children = [c for c in node.children if c.token not in seen]
    for child in node.children:
        _prune(child, seen, depth + 1)


# --- editor → definition ---------------------------------------------------------------------


def _whole(text: str, low: int, high: int) -> int | None:
    if not re.fullmatch(r"\d{1,4}", text):
        return None
    n = int(text)
    return n if low <= n <= high else None


def spec_of(node: Node) -> Any:
    """The condition a row stands for; sets ``node.error`` (and returns None) where it is
    incomplete."""
    node.error = ""
    spec: Any
    if node.too_deep:
        node.error = _("Groups of conditions nest at most %(n)s deep.") % {"n": MAX_DEPTH}
        return None
    if node.is_group:
        parts = [spec_of(c) for c in node.children]
        if not parts:
            node.error = _("Add at least one condition to this group.")
            return None
        if any(p is None for p in parts):
            return None
        spec = parts[0] if len(parts) == 1 else {node.kind: parts}
    else:
        entry = ENTRIES[node.kind]
        if entry.argument == "number":
            n = _whole(node.value, entry.low, entry.high)
            if n is None:
                node.error = _("Enter a whole number from %(low)s to %(high)s.") % {
                    "low": entry.low,
                    "high": entry.high,
                }
                return None
            spec = {node.kind: n}
        elif entry.argument == "grade":
            g = _whole(node.grade, entry.low, entry.high)
            if not node.attribute or g is None:
                node.error = _("Choose an attribute and a grade from %(low)s to %(high)s.") % {
                    "low": entry.low,
                    "high": entry.high,
                }
                return None
            spec = {node.kind: {"attribute": node.attribute, "grade": g}}
        elif not node.value:
            node.error = (
                _("Choose an attribute.") if node.kind == "has_tag" else _("Write the expression.")
            )
            return None
        else:
            spec = {node.kind: node.value}
    return {"not": spec} if node.negate else spec


def _first_error(node: Node) -> str:
    if node.error:
        return node.error
    return next((e for e in map(_first_error, node.children) if e), "")


def _case(case: Case) -> dict[str, Any] | None:
    case.error = ""
    values: dict[str, Any] = {}
    for key in CASE_FIELDS:
        raw = getattr(case, key)
        if raw:
            n = _whole(raw, 0, 200)
            if n is None:
                case.error = _("Ages and member counts are whole numbers from 0 to 200.")
                return None
            values[key] = n
    values["tags"] = list(case.tags)
    if case.grades:
        grades = {a: _whole(g, 1, 10) for a, g in case.grades.items()}
        if any(g is None for g in grades.values()):
            case.error = _("Grades are whole numbers from 1 to 10.")
            return None
        values["grades"] = grades
    if not case.name or not case.expect:
        case.error = _("Give the case a name and the expected light.")
        return None
    out: dict[str, Any] = {"name": case.name}
    if case.as_of:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", case.as_of):
            case.error = _("The date is written as YYYY-MM-DD.")
            return None
        out["as_of"] = case.as_of
    out["values"] = values
    out["expect"] = case.expect
    if case.check_fired:
        out["fired"] = list(case.fired)
    return out


def to_definition(editor: Editor) -> tuple[dict[str, Any] | None, list[str]]:
    """The definition the form stands for, or None and a message per problem (the rows that
    have them are marked too)."""
    problems: list[str] = []
    used = {r.code for r in editor.rules if r.code}
    rules = []
    for i, rule in enumerate(editor.rules, start=1):
        rule.error = ""
        if not rule.code:
            n = i
            while f"rule_{n}" in used:
                n += 1
            rule.code = f"rule_{n}"
            used.add(rule.code)
        when = spec_of(rule.root)
        if when is None:
            rule.error = _("Some conditions of this rule are incomplete.")
            problems.append(
                _("Rule %(i)s (%(label)s): %(why)s")
                % {"i": i, "label": rule.label or rule.code, "why": _first_error(rule.root)}
            )
            continue
        rules.append(
            {"code": rule.code, "outcome": rule.outcome, "label": rule.label, "when": when}
        )
    tests = []
    for i, case in enumerate(editor.cases, start=1):
        spec = _case(case)
        if spec is None:
            problems.append(
                _("Test case %(i)s (%(name)s): %(why)s")
                % {"i": i, "name": case.name or "—", "why": case.error}
            )
        else:
            tests.append(spec)
    if problems:
        return None, problems
    definition: dict[str, Any] = {
        "outcomes": list(editor.outcomes),
        "default": editor.default,
        "rules": rules,
    }
    if tests:
        definition["tests"] = tests
    return definition, []
