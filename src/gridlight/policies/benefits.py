"""Benefit amounts in integer fen (1 yuan = 100 fen): pure functions, no database.

A benefit definition is one of::

    {fixed: 500000}                                          # 5,000 yuan
    {table: {field: level, rows: {A: 100000000, B: 50000000, C: 20000000, D: 10000000, E: 5000000}}}
    {bands: {field: employer_headcount, rows: [{from: 0, to: 50, amount: 100000},
                                               {from: 50, amount: 300000}]}}
    {formula: "0.2 * benefit.city_car_voucher"}

with optional ``cap`` and ``floor`` (fen). A table keys a text field with choices and must give
a row for every choice (a gap is refused when saved, so no subject silently gets nothing); bands
key a whole-number field, start at 0, each ``to`` the next ``from``, the last open-ended.

**Formulas** are arithmetic (``+ - * /``, brackets, ``min(…)``, ``max(…)``) over whole-number
fields of the subject, decimal literals, and ``benefit.<code>``: the amount in fen another
policy gives the same subject (0 if it is not met, unknown if it is unknown). They are computed
in exact fractions — never floats: ``0.2`` is 1/5 — and rounded once, at the end, to whole fen,
half away from zero (ROUND_HALF_UP, the rule finance offices apply: 0.5 fen becomes 1 fen). A
negative result counts as 0. A value that is not known makes the amount unknown, never 0.

**Cap and floor**: amount = min(max(amount, floor), cap). A floor may raise an amount (that is
what a floor is for); a cap only ever lowers one — never ``max(amount, cap)``, the OpenSPP #728
mistake that raised every amount to the maximum. A cap below the floor is refused.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from django.utils.translation import gettext as _

from gridlight.rules.subjects import FieldSpec

MAX_FEN = 10**15  # ten trillion yuan: beyond any budget, within a 64-bit integer
BENEFIT_PREFIX = "benefit"


class BenefitError(ValueError):
    """A benefit definition that cannot be used; ``problems`` says each reason."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Benefit:
    """A checked benefit definition, ready to compute."""

    kind: str  # fixed, table, bands, formula, none
    fixed: int = 0
    field: str = ""
    table: tuple[tuple[str, int], ...] = ()
    bands: tuple[tuple[int, int | None, int], ...] = ()  # (from, to or None, amount)
    formula: str = ""
    tree: Any = None
    cap: int | None = None
    floor: int | None = None
    fields_used: frozenset[str] = frozenset()
    depends_on: frozenset[str] = frozenset()  # other policies' codes


NO_BENEFIT = Benefit("none")


def round_fen(value: Fraction) -> int:
    """Whole fen, half away from zero."""
    dec = Decimal(value.numerator) / Decimal(value.denominator)
    return int(dec.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def apply_limits(amount: int, *, cap: int | None, floor: int | None) -> int:
    """The amount within the floor and cap: a floor raises up to it, a cap only lowers."""
    if floor is not None and amount < floor:
        amount = floor
    if cap is not None and amount > cap:
        amount = cap
    return amount


def _fen(value: Any, what: str, problems: list[str]) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_FEN:
        problems.append(
            _("%(w)s must be a whole number of fen from 0 to %(m)s.") % {"w": what, "m": MAX_FEN}
        )
        return None
    return int(value)


def parse_benefit(spec: Any, fields: Mapping[str, FieldSpec]) -> Benefit:
    """Check a benefit definition against the subject's fields; :class:`BenefitError` lists
    every problem. ``None`` or ``{}`` is no money benefit (a service, a place, a push)."""
    if spec is None or spec == {}:
        return NO_BENEFIT
    if not isinstance(spec, dict):
        raise BenefitError([_("The benefit must be a mapping such as {fixed: 500000}.")])
    problems: list[str] = []
    kinds = [k for k in ("fixed", "table", "bands", "formula") if k in spec]
    unknown_keys = sorted(set(spec) - {"fixed", "table", "bands", "formula", "cap", "floor"})
    if unknown_keys:
        problems.append(_("Unknown benefit keys: %(k)s") % {"k": ", ".join(unknown_keys)})
    if len(kinds) != 1:
        raise BenefitError(
            [*problems, _("A benefit is exactly one of fixed, table, bands or formula.")]
        )
    cap = _fen(spec["cap"], _("cap"), problems) if spec.get("cap") is not None else None
    floor = _fen(spec["floor"], _("floor"), problems) if spec.get("floor") is not None else None
    if cap is not None and floor is not None and cap < floor:
        problems.append(
            _("The cap (%(c)s fen) is below the floor (%(f)s fen).") % {"c": cap, "f": floor}
        )
    kind = kinds[0]
    arg = spec[kind]
    benefit: Benefit | None = None
    if kind == "fixed":
        amount = _fen(arg, _("fixed amount"), problems)
        benefit = Benefit("fixed", fixed=amount or 0)
    elif kind == "table":
        benefit = _parse_table(arg, fields, problems)
    elif kind == "bands":
        benefit = _parse_bands(arg, fields, problems)
    else:
        benefit = _parse_formula(arg, fields, problems)
    if problems or benefit is None:
        raise BenefitError(problems)
    return Benefit(**{**benefit.__dict__, "cap": cap, "floor": floor})


def _field(name: Any, fields: Mapping[str, FieldSpec], problems: list[str]) -> FieldSpec | None:
    spec = fields.get(name) if isinstance(name, str) else None
    if spec is None or spec.type not in {"int", "string"}:
        known = ", ".join(n for n, f in fields.items() if f.type in {"int", "string"})
        problems.append(_("Unknown field: %(f)s; known fields: %(k)s") % {"f": name, "k": known})
        return None
    return spec


def _parse_table(arg: Any, fields: Mapping[str, FieldSpec], problems: list[str]) -> Benefit | None:
    if (
        not isinstance(arg, dict)
        or set(arg) != {"field", "rows"}
        or not isinstance(arg["rows"], dict)
    ):
        problems.append(_("A table takes {field: …, rows: {value: fen, …}}."))
        return None
    spec = _field(arg["field"], fields, problems)
    if spec is None:
        return None
    choices = [v for v, _label in spec.choices]
    if spec.type != "string" or not choices:
        problems.append(_("A table keys a field with listed values; use bands for a number."))
        return None
    rows: dict[str, int] = {}
    for key, amount in arg["rows"].items():
        if key not in choices:
            problems.append(
                _("%(f)s has no value %(v)s; it is one of %(c)s.")
                % {"f": spec.name, "v": key, "c": ", ".join(choices)}
            )
            continue
        fen = _fen(amount, _("the amount for %(v)s") % {"v": key}, problems)
        if fen is not None:
            rows[key] = fen
    gaps = [c for c in choices if c not in arg["rows"]]
    if gaps:
        problems.append(
            _("The table has a gap: no amount for %(g)s (give 0 where nothing is paid).")
            % {"g": ", ".join(gaps)}
        )
    return Benefit(
        "table", field=spec.name, table=tuple(rows.items()), fields_used=frozenset({spec.name})
    )


def _parse_bands(arg: Any, fields: Mapping[str, FieldSpec], problems: list[str]) -> Benefit | None:
    if (
        not isinstance(arg, dict)
        or set(arg) != {"field", "rows"}
        or not isinstance(arg["rows"], list)
    ):
        problems.append(_("Bands take {field: …, rows: [{from: 0, to: …, amount: fen}, …]}."))
        return None
    spec = _field(arg["field"], fields, problems)
    if spec is None:
        return None
    if spec.type != "int":
        problems.append(
            _("Bands key a whole-number field; use a table for %(f)s.") % {"f": spec.name}
        )
        return None
    bands: list[tuple[int, int | None, int]] = []
    expected = 0
    rows = arg["rows"]
    for i, row in enumerate(rows, start=1):
        last = i == len(rows)
        if not isinstance(row, dict) or not {"from", "amount"} <= set(row) <= {
            "from",
            "to",
            "amount",
        }:
            problems.append(_("Band %(i)s takes from, to and amount.") % {"i": i})
            return None
        start, end = row["from"], row.get("to")
        if start != expected:
            problems.append(
                _(
                    "Band %(i)s starts at %(s)s, not at %(e)s: bands must leave no gap "
                    "and not overlap."
                )
                % {"i": i, "s": start, "e": expected}
            )
            return None
        if end is None and not last:
            problems.append(_("Only the last band may be open-ended."))
            return None
        if end is not None and (isinstance(end, bool) or not isinstance(end, int) or end <= start):
            problems.append(_("Band %(i)s must end after it starts.") % {"i": i})
            return None
        amount = _fen(row["amount"], _("the amount of band %(i)s") % {"i": i}, problems)
        bands.append((start, end, amount or 0))
        expected = end if end is not None else -1
    if not bands or bands[-1][1] is not None:
        problems.append(
            _("The last band must be open-ended (no to), so every value has an amount.")
        )
        return None
    return Benefit("bands", field=spec.name, bands=tuple(bands), fields_used=frozenset({spec.name}))


_BINOPS = (ast.Add, ast.Sub, ast.Mult, ast.Div)
_FUNCS = {"min", "max"}


def _parse_formula(
    arg: Any, fields: Mapping[str, FieldSpec], problems: list[str]
) -> Benefit | None:
    if not isinstance(arg, str) or not arg.strip() or len(arg) > 500:
        problems.append(_("A formula is a text of at most 500 characters."))
        return None
    try:
        tree = ast.parse(arg.strip(), mode="eval")
    except SyntaxError:
        problems.append(_("The formula cannot be read: %(f)s") % {"f": arg})
        return None
    used: set[str] = set()
    deps: set[str] = set()
    source = arg.strip()

    def check(node: ast.AST) -> None:
        if isinstance(node, ast.Expression):
            check(node.body)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, _BINOPS):
            check(node.left)
            check(node.right)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            check(node.operand)
        elif isinstance(node, ast.Constant) and type(node.value) in {int, float}:
            literal = ast.get_source_segment(source, node) or ""
            try:
                Fraction(literal)
            except ValueError:
                problems.append(_("Write numbers as decimals, such as 0.2: %(n)s") % {"n": literal})
        elif isinstance(node, ast.Name):
            spec = fields.get(node.id)
            if spec is None or spec.type != "int":
                known = ", ".join(n for n, f in fields.items() if f.type == "int")
                problems.append(
                    _("Unknown field in the formula: %(f)s; known fields: %(k)s")
                    % {"f": node.id, "k": known}
                )
            else:
                used.add(node.id)
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == BENEFIT_PREFIX
        ):
            deps.add(node.attr)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in _FUNCS
            and node.args
            and not node.keywords
        ):
            for a in node.args:
                check(a)
        else:
            problems.append(
                _(
                    "The formula may use numbers, fields, benefit.<policy>, + - * /, "
                    "min and max only."
                )
            )

    check(tree)
    return Benefit(
        "formula",
        formula=source,
        tree=tree,
        fields_used=frozenset(used),
        depends_on=frozenset(deps),
    )


@dataclass
class Amount:
    """A computed amount: ``fen`` is None when it cannot be known yet (``missing`` says why)."""

    fen: int | None
    base: int | None = None  # before cap and floor
    missing: frozenset[str] = field(default_factory=frozenset)
    note: str = ""


class _Unknown(Exception):
    def __init__(self, missing: frozenset[str]) -> None:
        self.missing = missing


def compute(
    benefit: Benefit, values: Mapping[str, Any], other: Mapping[str, int | None] | None = None
) -> Amount:
    """The amount for one subject whose eligibility is met: ``values`` its fields, ``other``
    the amounts other policies give it (code → fen, None when unknown)."""
    other = other or {}
    if benefit.kind == "none":
        return Amount(0, 0)
    base: int
    if benefit.kind == "fixed":
        base = benefit.fixed
    elif benefit.kind in {"table", "bands"}:
        value = values.get(benefit.field)
        if value is None:
            return Amount(None, missing=frozenset({benefit.field}))
        found = _lookup(benefit, value)
        if found is None:
            return Amount(None, note=_("%(v)s is not in the table") % {"v": value})
        base = found
    else:
        try:
            result = _eval(benefit.tree.body, values, other)
        except _Unknown as exc:
            return Amount(None, missing=exc.missing)
        except ZeroDivisionError:
            return Amount(None, note=_("the formula divides by zero"))
        base = max(0, round_fen(result))
    return Amount(apply_limits(base, cap=benefit.cap, floor=benefit.floor), base)


def _lookup(benefit: Benefit, value: Any) -> int | None:
    if benefit.kind == "table":
        return dict(benefit.table).get(value)
    for start, end, amount in benefit.bands:
        if value >= start and (end is None or value < end):
            return amount
    return None


def _eval(node: ast.AST, values: Mapping[str, Any], other: Mapping[str, int | None]) -> Fraction:
    if isinstance(node, ast.BinOp):
        left, right = _eval(node.left, values, other), _eval(node.right, values, other)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        return left / right
    if isinstance(node, ast.UnaryOp):
        inner = _eval(node.operand, values, other)
        return -inner if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.Constant):
        return Fraction(str(node.value))
    if isinstance(node, ast.Name):
        value = values.get(node.id)
        if value is None:
            raise _Unknown(frozenset({node.id}))
        return Fraction(value)
    if isinstance(node, ast.Attribute):
        amount = other.get(node.attr)
        if amount is None:
            raise _Unknown(frozenset({f"{BENEFIT_PREFIX}.{node.attr}"}))
        return Fraction(amount)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        args = [_eval(a, values, other) for a in node.args]
        return min(args) if node.func.id == "min" else max(args)
    raise ValueError(node)  # parse_benefit admits nothing else


@dataclass
class Offer:
    """One policy's result for a subject, before and after the exclusive groups."""

    code: str
    group: str
    amount: int | None
    superseded_by: str = ""


def resolve_groups(offers: list[Offer]) -> list[Offer]:
    """就高不重复: within an exclusive group only the highest known amount applies; the others
    are marked superseded by it (ties go to the policy whose code sorts first). An amount not
    yet known is never superseded: it may turn out the highest."""
    best: dict[str, Offer] = {}
    for o in sorted(offers, key=lambda o: (-(o.amount or 0), o.code)):
        if o.group and o.amount is not None and o.group not in best:
            best[o.group] = o
    for o in offers:
        winner = best.get(o.group)
        if o.group and o.amount is not None and winner is not None and winner.code != o.code:
            o.superseded_by = winner.code
    return offers


def find_cycle(edges: Mapping[str, frozenset[str] | set[str]]) -> list[str] | None:
    """A dependency cycle among policies' formulas (``a → b``: a's formula reads b's benefit),
    as the list of codes around it, or None."""
    state: dict[str, int] = {}  # 1 visiting, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(edges):
        if start not in state:
            found = visit(start)
            if found:
                return found
    return None


def order_by_dependency(edges: Mapping[str, frozenset[str] | set[str]]) -> list[str]:
    """Codes so that each comes after those its formula reads (no cycle: checked on save)."""
    done: list[str] = []
    seen: set[str] = set()

    def visit(node: str) -> None:
        if node in seen:
            return
        seen.add(node)
        for nxt in sorted(edges.get(node, ())):
            visit(nxt)
        done.append(node)

    for code in sorted(edges):
        visit(code)
    return done
