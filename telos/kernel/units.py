"""Units read as words: what a selector and a slot say about the constant between them.

A name that holds a unit (``minutes``, ``weight_kg``, ``monthly``, ``celsius``) says what its
number measures; a selector that names another unit of the same quantity (``hours``,
``yearly``, ``fahrenheit``) asks for the conversion, and the constant of that conversion is
fixed by the units, not by the model (which writes ``self.minutes * 60`` for hours as readily
as ``/ 60``). Two uses (lever ``rerank``):

- :func:`conversions`: the conversion methods a request's names imply, offered to the reranker
  next to the transfers (``hours`` on a slot ``minutes``: ``return self.minutes / 60``;
  ``yearly`` on a rate ``monthly``: ``return self.monthly * 12``), and ``double_area`` /
  ``half_price`` (a multiplier word and the name of a method or slot: ``self.area() * 2``);
- :func:`contradicts`: a candidate that reads a slot of one unit for a selector of another
  without the conversion's constant, or reads a ``percent`` slot without a 100, is counted
  against (:mod:`telos.kernel.rerank`).

A name is a *rate* when its unit is an ``-ly`` word (``hourly``, ``monthly``) or follows
``per`` (``rate_per_kg``): a rate converts the other way round (a monthly 3000 is a yearly
36000; 150 minutes are 2.5 hours). A name holding two units (``km_per_litre``) is a ratio and
converts nothing here. Small and conservative: a word the table lacks says nothing.
"""

from __future__ import annotations

import ast

#: quantity → {unit: size in that quantity's smallest unit}
CHAINS = {
    "time": {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800},
    "calendar": {"month": 1, "year": 12},
    "mass": {"gram": 1, "kilogram": 1000, "tonne": 1000000},
    "length": {"millimetre": 1, "centimetre": 10, "metre": 1000, "kilometre": 1000000},
    "money": {"cent": 1, "dollar": 100, "euro": 100},
}
#: word → (unit, is a rate)
WORDS = {
    "second": ("second", False), "seconds": ("second", False), "secs": ("second", False),
    "minute": ("minute", False), "minutes": ("minute", False), "mins": ("minute", False),
    "hour": ("hour", False), "hours": ("hour", False), "hourly": ("hour", True),
    "day": ("day", False), "days": ("day", False), "daily": ("day", True),
    "week": ("week", False), "weeks": ("week", False), "weekly": ("week", True),
    "month": ("month", False), "months": ("month", False), "monthly": ("month", True),
    "year": ("year", False), "years": ("year", False), "yearly": ("year", True),
    "annual": ("year", True), "annually": ("year", True),
    "gram": ("gram", False), "grams": ("gram", False),
    "kg": ("kilogram", False), "kilo": ("kilogram", False), "kilos": ("kilogram", False),
    "kilogram": ("kilogram", False), "kilograms": ("kilogram", False),
    "tonne": ("tonne", False), "tonnes": ("tonne", False),
    "mm": ("millimetre", False), "cm": ("centimetre", False),
    "metre": ("metre", False), "metres": ("metre", False), "meter": ("metre", False),
    "meters": ("metre", False), "km": ("kilometre", False), "kms": ("kilometre", False),
    "kilometre": ("kilometre", False), "kilometres": ("kilometre", False),
    "cent": ("cent", False), "cents": ("cent", False),
    "dollar": ("dollar", False), "dollars": ("dollar", False),
    "euro": ("euro", False), "euros": ("euro", False),
}
_CHAIN_OF = {u: q for q, units in CHAINS.items() for u in units}
#: temperature scales: (from, to) → the formula on ``x``
TEMPERATURE = {
    ("celsius", "fahrenheit"): "{x} * 9 / 5 + 32",
    ("fahrenheit", "celsius"): "({x} - 32) * 5 / 9",
    ("celsius", "kelvin"): "{x} + 273.15",
    ("kelvin", "celsius"): "{x} - 273.15",
}
_SCALES = {"celsius", "fahrenheit", "kelvin"}
#: words that multiply what the rest of the name names
MULTIPLIERS = {"double": "* 2", "twice": "* 2", "triple": "* 3", "half": "/ 2",
               "quarter": "/ 4"}
PERCENT = ("percent", "percentage", "pct")


def _parts(name: str) -> list[str]:
    return [w for w in name.lower().split("_") if w]


def unit_of(name: str) -> tuple[str, bool] | None:
    """(unit, is a rate) that ``name`` measures in, or None (no unit, or two: a ratio)."""
    parts = _parts(name)
    found = [(i, WORDS[w]) for i, w in enumerate(parts) if w in WORDS]
    found += [(i, (w, False)) for i, w in enumerate(parts) if w in _SCALES]
    if len(found) != 1:
        return None
    i, (unit, rate) = found[0]
    return unit, rate or (i > 0 and parts[i - 1] == "per")


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(x)


def factor(from_name: str, to_name: str) -> str | None:
    """The operation (``"/ 60"``, ``"* 12"``) turning a number named ``from_name`` into one
    named ``to_name``; a temperature formula with ``{x}``; None when the names don't say."""
    a, b = unit_of(from_name), unit_of(to_name)
    if a is None or b is None or a[0] == b[0]:
        return None
    if (a[0], b[0]) in TEMPERATURE:
        return TEMPERATURE[(a[0], b[0])]
    chain = _CHAIN_OF.get(a[0])
    if chain is None or chain != _CHAIN_OF.get(b[0]) or a[1] != b[1]:
        return None
    size = CHAINS[chain]
    f = size[a[0]] / size[b[0]]
    if a[1]:                                     # a rate: per unit, the other way round
        f = 1 / f
    return f"* {_number(f)}" if f >= 1 else f"/ {_number(1 / f)}"


def _related(slots: dict, name: str, selector: str) -> bool:
    """Whether another slot than ``name`` already names a unit of the selector's quantity
    (``hours_per_week`` next to ``hourly_rate`` for ``weekly_pay``): the data then holds the
    relation between the units, and the table's constant is not the one to use."""
    target = unit_of(selector)
    if target is None:
        return False
    chain = _CHAIN_OF.get(target[0]) or "temperature"
    for other in slots:
        if other == name:
            continue
        for w in _parts(other):
            unit = WORDS.get(w, (w, False))[0]
            if unit in _SCALES and chain == "temperature" or _CHAIN_OF.get(unit) == chain:
                return True
    return False


def _apply(op: str, expr: str) -> str:
    return op.format(x=expr) if "{x}" in op else f"{expr} {op}"


def conversions(selector: str, slots: dict, methods: list[str]) -> list[str]:
    """Methods (sources, no parameters) the names imply: each number slot converted to the
    selector's unit, and a multiplier word applied to the method or slot the rest names."""
    out = []
    for name, value in slots.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        op = factor(name, selector)
        if op is not None and not _related(slots, name, selector):
            out.append(f"def {selector}(self):\n    return {_apply(op, 'self.' + name)}")
    parts = _parts(selector)
    for i, w in enumerate(parts):
        if w in MULTIPLIERS:
            rest = "_".join(parts[:i] + parts[i + 1:])
            if rest in methods:
                out.append(f"def {selector}(self):\n    return self.{rest}() {MULTIPLIERS[w]}")
            elif isinstance(slots.get(rest), (int, float)) and not isinstance(slots[rest], bool):
                out.append(f"def {selector}(self):\n    return self.{rest} {MULTIPLIERS[w]}")
    return out


def _constants(tree: ast.AST) -> set:
    return {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)
            and isinstance(n.value, (int, float)) and not isinstance(n.value, bool)}


def _scalings(tree: ast.AST) -> set[tuple[str, float]]:
    """(``"*"`` or ``"/"``, constant) of each multiplication or division by a constant;
    ``x * 0.5`` also counts as ``x / 2`` and ``x / 0.5`` as ``x * 2``."""
    out = set()
    for n in ast.walk(tree):
        if not isinstance(n, ast.BinOp) or not isinstance(n.op, (ast.Mult, ast.Div)):
            continue
        sides = [n.right] + ([n.left] if isinstance(n.op, ast.Mult) else [])
        for c in sides:
            if isinstance(c, ast.Constant) and isinstance(c.value, (int, float)) \
                    and not isinstance(c.value, bool) and c.value:
                op = "*" if isinstance(n.op, ast.Mult) else "/"
                out.add((op, float(c.value)))
                out.add(("/" if op == "*" else "*", 1 / float(c.value)))
    return out


def contradicts(source: str, selector: str, slots: dict) -> bool:
    """Whether ``source`` reads a number slot whose unit the selector converts, without the
    conversion's constant (``self.minutes * 60`` for ``hours``: no ``/ 60``), or reads a
    percentage slot (``discount_percent``) without a 100 (a percentage used as a fraction)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    reads = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)
             and isinstance(n.value, ast.Name) and n.value.id == "self"}
    consts = _constants(tree)
    for name in reads & set(slots):
        value = slots[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if any(w in PERCENT for w in _parts(name)) and not consts & {100, 0.01} \
                and not any(w in PERCENT for w in _parts(selector)):
            return True
        op = factor(name, selector)
        if op is None or _related(slots, name, selector):
            continue
        if op.startswith(("* ", "/ ")):           # the factor, with its operator
            if (op[0], float(op[2:])) not in _scalings(tree):
                return True
        elif max(_constants(ast.parse(_apply(op, "x")))) not in consts:   # a scale's offset
            return True
    return False
