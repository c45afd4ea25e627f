"""Analogical transfer: a worked example rewritten for the receiver, without the model.

A method of another prototype (from the image or the pattern book, :mod:`telos.kernel.analogy`)
is a structure over *its* object's slots, methods and parameters: ``self.minutes / self.km``.
Transfer maps that structure onto the receiver — each slot the example reads onto a slot of
the receiver holding a value of the same kind (number, text, list, dict, bool), each method it
calls onto one of the receiver's methods, its parameters onto the call's parameters by
position, its name onto the selector — and writes the method the mapping gives:
``self.distance_km / self.hours``. When the example's name and the selector point their
comparisons opposite ways (:func:`telos.kernel.lexicon.polarity`: ``songs_longer_than`` up,
``prices_below`` down), every ``<``/``>`` of the example is turned round
(``[d for d in self.durations if d > seconds]`` becomes ``... if p < limit``). A separator the
example's literal took from its own text (``split("://")`` on a URL) and the receiver's text
lacks is replaced by each separator of the receiver's (``"@"``, ``"."`` of an e-mail), at either
end of the split (:func:`separator_variants`). Every
consistent mapping is a candidate (a few dozen at most); none is trusted: each goes through the
policy and the sandbox trial like a generated method, and the kernel's reranking (:mod:`telos.kernel.rerank`) chooses among them and the
model's own candidates.
"""

from __future__ import annotations

import ast
import copy
import itertools
import re

from telos.kernel import lexicon
from telos.kernel.analogy import Example

MAX_PER_EXAMPLE = 12


class _Rename(ast.NodeTransformer):
    def __init__(self, slots: dict, methods: dict, params: dict, name: str) -> None:
        self.slots, self.methods, self.params, self.name = slots, methods, params, name

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.FunctionDef:
        node.name = self.name
        for a in node.args.args[1:]:
            a.arg = self.params.get(a.arg, a.arg)
        self.generic_visit(node)
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.Attribute:
        self.generic_visit(node)
        if isinstance(node.value, ast.Name) and node.value.id == "self":
            node.attr = self.slots.get(node.attr) or self.methods.get(node.attr) or node.attr
        return node

    def visit_Name(self, node: ast.Name) -> ast.Name:
        node.id = self.params.get(node.id, node.id)
        return node


_TURNED = {ast.Lt: ast.Gt, ast.Gt: ast.Lt, ast.LtE: ast.GtE, ast.GtE: ast.LtE}


class _TurnComparisons(ast.NodeTransformer):
    """``a < b`` becomes ``a > b``, ``a >= b`` becomes ``a <= b`` (equality is left alone)."""

    def visit_Compare(self, node: ast.Compare) -> ast.Compare:
        self.generic_visit(node)
        node.ops = [_TURNED[type(op)]() if type(op) in _TURNED else op for op in node.ops]
        return node


def turned(ex_selector: str, selector: str) -> bool:
    """Whether the example's comparisons must be turned round for ``selector``: both names
    say which way they compare, and they say it opposite ways."""
    return lexicon.polarity(ex_selector) * lexicon.polarity(selector) < 0


def _reads(fn: ast.FunctionDef, ex: Example) -> tuple[list[str], list[str]]:
    """(slots, methods) of the example's object that its source reads, in order."""
    slots: list[str] = []
    calls: list[str] = []
    for n in ast.walk(fn):
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "self":
            if n.attr in ex.slots and n.attr not in slots:
                slots.append(n.attr)
            elif n.attr in ex.methods and n.attr not in calls:
                calls.append(n.attr)
    return slots, calls


def transfer(ex: Example, selector: str, slots: dict, methods: list[str],
             params: list[str], limit: int = MAX_PER_EXAMPLE) -> list[str]:
    """Sources of ``ex`` mapped onto a receiver with data ``slots`` (name → value),
    ``methods`` (names) and the call's parameter names ``params``; [] when nothing maps (the
    example reads a slot of a kind the receiver lacks, or takes another number of arguments)."""
    try:
        fn = ast.parse(ex.source).body[0]
    except (SyntaxError, IndexError):
        return []
    if not isinstance(fn, ast.FunctionDef):
        return []
    theirs = [a.arg for a in fn.args.args[1:]]
    if len(theirs) != len(params) or fn.args.kwonlyargs or fn.args.vararg:
        return []
    used, calls = _reads(fn, ex)
    if not used and not calls:
        return []                     # a constant: nothing of the receiver's to compute from
    turn = turned(ex.selector, selector)
    out: list[str] = []
    for chosen in itertools.permutations(list(slots), len(used)):
        if any(lexicon.kind_of(ex.slots[u]) != lexicon.kind_of(slots[c]) for u, c in zip(used, chosen)):
            continue
        for called in itertools.permutations(methods, len(calls)):
            tree = _Rename(dict(zip(used, chosen)), dict(zip(calls, called)),
                           dict(zip(theirs, params)), selector).visit(ast.parse(ex.source))
            if turn:
                tree = _TurnComparisons().visit(tree)
            texts = [slots[c] for c in chosen if isinstance(slots[c], str)]
            theirs_texts = [ex.slots[u] for u in used if isinstance(ex.slots[u], str)]
            for variant in separator_variants(tree, theirs_texts, texts):
                src = ast.unparse(ast.fix_missing_locations(variant))
                if src not in out:
                    out.append(src)
                if len(out) >= limit:
                    return out
    return out


_SEPARATOR = re.compile(r"[^\w\s]+")


def separators(text: str) -> list[str]:
    """The runs of punctuation in ``text``, in order, each once (``"ada@example.com"``:
    ``@``, ``.``)."""
    out: list[str] = []
    for m in _SEPARATOR.findall(text):
        if m not in out:
            out.append(m)
    return out


class _Swap(ast.NodeTransformer):
    """Each string literal ``old`` becomes ``new``; with ``flip``, a ``[0]`` or ``[-1]``
    taken of a call that uses ``new`` (``.split(new)[0]``) takes the other end."""

    def __init__(self, old: str, new: str, flip: bool) -> None:
        self.old, self.new, self.flip = old, new, flip

    def visit_Constant(self, node: ast.Constant) -> ast.Constant:
        if node.value == self.old:
            node.value = self.new
        return node

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        self.generic_visit(node)
        if self.flip and isinstance(node.value, ast.Call) and any(
                isinstance(a, ast.Constant) and a.value == self.new for a in node.value.args):
            index = ast.literal_eval(node.slice) if isinstance(
                node.slice, (ast.Constant, ast.UnaryOp)) else None
            if index in (0, -1):
                node.slice = ast.Constant(-1 if index == 0 else 0)
        return node


def separator_variants(tree: ast.AST, example_texts: list, texts: list) -> list[ast.AST]:
    """``tree``, and when it holds a separator taken from the example's own text
    (``"://"`` of ``"https://telos.org"``) that the receiver's text lacks, the same method
    with each separator of the receiver's text (``"@"``, ``"."`` of ``"ada@example.com"``)
    in its place, taking either end of the split, instead: the example's literal named *its*
data."""
    out = [tree]
    if not texts:
        return out
    swapped = []
    literals = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)
                and isinstance(n.value, str) and n.value and _SEPARATOR.fullmatch(n.value)}
    for old in sorted(literals):
        if not any(old in t for t in example_texts) or any(old in t for t in texts):
            continue
        for new in (sep for t in texts for sep in separators(t)):
            for flip in (False, True):
                swapped.append(_Swap(old, new, flip).visit(copy.deepcopy(tree)))
    return swapped or out         # a split on a separator the text lacks would do nothing
