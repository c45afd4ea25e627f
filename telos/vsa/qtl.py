"""QueryTranslationLayer: compositional questions answered by hypervector algebra + cleanup.

A question is a small expression tree::

    Filler(role, of=<record>)          "currency of <record>"            -> a symbol
    Where({role: <value>, ...}, kind)  "the country whose capital is X"  -> a record
    Named(<value>)                     "France" / "(country of Lyon)"    -> the record named so
    a plain str                        a symbol

Evaluation never reads a record's fields: it only unbinds, bundles and cleans up.

* record  <- cleanup_records( sum_i bind(role_i, value_i) )      (a partial record is a noisy record)
* symbol  <- cleanup_symbols( unbind(record, role) )            (unbind gives a noisy filler)

so "currency of the country whose capital is Paris" is probe -> cleanup -> unbind -> cleanup, and
"currency of (country of Lyon)" is unbind -> cleanup -> probe -> cleanup -> unbind -> cleanup.

``parse(text)`` turns the English-like form into the tree (grammar in its docstring).  The
``Space`` protocol is what the layer needs from a knowledge base: the in-memory ``MemorySpace``
and the image facade both provide it.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Mapping, Protocol, Union

import numpy as np

from telos.errors import QueryError
from telos.vsa import records

log = logging.getLogger(__name__)

SYMBOL, RECORD = "symbol", "record"


class Space(Protocol):
    dimension: int
    identity_role: str

    def vector_of(self, name: str) -> np.ndarray: ...          # UnknownSymbolError if unknown
    def knows(self, name: str) -> bool: ...
    def cleanup(self, query: np.ndarray, kind: str, k: int = 1) -> list["Match"]: ...
    def record_vector(self, key: str) -> np.ndarray: ...


@dataclass(frozen=True)
class Match:
    key: str
    kind: str
    score: float


# --- the expression tree ----------------------------------------------------------------

@dataclass(frozen=True)
class Filler:
    role: str
    of: "RecordExpr"


@dataclass(frozen=True)
class Where:
    constraints: tuple[tuple[str, "SymbolExpr"], ...]
    kind: str | None = None


@dataclass(frozen=True)
class Named:
    value: "SymbolExpr"


SymbolExpr = Union[str, Filler]
RecordExpr = Union[Where, Named]


@dataclass
class Step:
    op: str            # "probe", "unbind", "cleanup"
    detail: str
    score: float | None = None


@dataclass
class Answer:
    value: str
    kind: str
    score: float
    steps: list[Step] = field(default_factory=list)

    def explain(self) -> str:
        lines = [f"{s.op:8s} {s.detail}" + (f"  (similarity {s.score:.3f})" if s.score is not None else "")
                 for s in self.steps]
        return "\n".join(lines + [f"answer   {self.value}  (similarity {self.score:.3f})"])


# --- parsing ------------------------------------------------------------------------------

_TOKEN = re.compile(r'\s*(?:(\()|(\))|"([^"]*)"|\'([^\']*)\'|([^\s()"\']+))')


def _tokens(text: str) -> list[str]:
    out, pos = [], 0
    text = text.strip().rstrip("?").strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise QueryError(f"cannot read the query at {text[pos:]!r}")
        pos = m.end()
        if m.group(1):
            out.append("(")
        elif m.group(2):
            out.append(")")
        else:
            word = next(g for g in m.groups()[2:] if g is not None)
            out.append(word)
    return out


_PREFIXES = ("what is the ", "what is ", "what's the ", "which is the ", "the ")


def parse(text: str) -> SymbolExpr:
    """Parse an English-like compositional query.

    Grammar (words are case-sensitive symbol names; quote names with spaces)::

        symbol := ROLE "of" record | "(" symbol ")" | NAME
        record := ["the"] [KIND] "whose" cond ("and" cond)* | ["the"] symbol
        cond   := ROLE "is" symbol

    Examples: ``currency of the country whose capital is Paris``,
    ``capital of France``, ``currency of the country of Lyon``.
    """
    if not isinstance(text, str) or not text.strip():
        raise QueryError("empty query")
    low = text.strip()
    for prefix in _PREFIXES:
        if low.lower().startswith(prefix):
            low = low[len(prefix):]
            break
    toks = _tokens(low)
    parser = _Parser(toks)
    expr = parser.symbol()
    if parser.i != len(toks):
        raise QueryError(f"unexpected {' '.join(toks[parser.i:])!r} at the end of the query")
    return expr


class _Parser:
    def __init__(self, toks: list[str]):
        self.t, self.i = toks, 0

    def peek(self, k: int = 0) -> str | None:
        j = self.i + k
        return self.t[j] if j < len(self.t) else None

    def take(self, expected: str | None = None) -> str:
        tok = self.peek()
        if tok is None:
            raise QueryError(f"query ends too early; expected {expected or 'a word'}")
        if expected is not None and tok.lower() != expected:
            raise QueryError(f"expected {expected!r}, found {tok!r}")
        self.i += 1
        return tok

    def symbol(self) -> SymbolExpr:
        tok = self.peek()
        if tok == "(":
            self.take()
            inner = self.symbol()
            self.take(")")
            return inner
        if tok is None or tok == ")":
            raise QueryError("expected a name or 'ROLE of ...'")
        if (self.peek(1) or "").lower() == "of":
            role = self.take()
            self.take("of")
            return Filler(role, self.record())
        return self.take()

    def record(self) -> RecordExpr:
        if (self.peek() or "").lower() == "the":
            self.take()
        kind = None
        if (self.peek(1) or "").lower() == "whose" and self.peek() not in ("(", ")"):
            kind = self.take()
        if (self.peek() or "").lower() == "whose":
            self.take()
            conds = [self.cond()]
            while (self.peek() or "").lower() == "and":
                self.take()
                conds.append(self.cond())
            return Where(tuple(conds), kind)
        return Named(self.symbol())

    def cond(self) -> tuple[str, SymbolExpr]:
        role = self.take()
        self.take("is")
        return role, self.symbol()


# --- evaluation ---------------------------------------------------------------------------

class QueryTranslationLayer:
    """Evaluates query trees (or text) against a ``Space``."""

    def __init__(self, space: Space, *, min_score: float = 0.1, kind_role: str = "kind"):
        self.space = space
        self.min_score = min_score
        self.kind_role = kind_role

    def ask(self, query: str | SymbolExpr) -> Answer:
        expr = parse(query) if isinstance(query, str) and " " in query.strip() else query
        steps: list[Step] = []
        if isinstance(expr, str):
            if not self.space.knows(expr):
                raise QueryError(f"unknown symbol {expr!r}")
            return Answer(expr, SYMBOL, 1.0, steps)
        match = self._symbol(expr, steps)
        return Answer(match.key, match.kind, match.score, steps)

    def record(self, expr: RecordExpr | str) -> Answer:
        """Resolve a record expression (or record text) to the clean record's key."""
        if isinstance(expr, str):
            expr = _Parser(_tokens(expr)).record()
        steps: list[Step] = []
        m = self._record(expr, steps)
        return Answer(m.key, m.kind, m.score, steps)

    # --

    def _value_vector(self, expr: SymbolExpr, steps: list[Step]) -> tuple[str, np.ndarray]:
        if isinstance(expr, str):
            return expr, self.space.vector_of(expr)
        m = self._symbol(expr, steps)
        return m.key, self.space.vector_of(m.key)

    def _symbol(self, expr: SymbolExpr, steps: list[Step]) -> Match:
        if isinstance(expr, str):
            return Match(expr, SYMBOL, 1.0)
        rec = self._record(expr.of, steps)
        noisy = records.noisy_filler(self.space.record_vector(rec.key), self.space.vector_of(expr.role))
        steps.append(Step("unbind", f"{rec.key} / {expr.role}"))
        return self._cleanup(noisy, SYMBOL, steps)

    def _record(self, expr: RecordExpr, steps: list[Step]) -> Match:
        if isinstance(expr, Named):
            constraints: tuple = ((self.space.identity_role, expr.value),)
            kind = None
        else:
            constraints, kind = expr.constraints, expr.kind
        bound: dict[str, np.ndarray] = {}
        shown = []
        for role, value in constraints:
            name, vec = self._value_vector(value, steps)
            bound[role] = vec
            shown.append(f"{role}={name}")
        if kind and self.space.knows(self.kind_role) and self.space.knows(kind):
            bound.setdefault(self.kind_role, self.space.vector_of(kind))
            shown.append(f"{self.kind_role}={kind}")
        query = records.probe(bound, self.space.vector_of)
        steps.append(Step("probe", " + ".join(shown)))
        return self._cleanup(query, RECORD, steps)

    def _cleanup(self, noisy: np.ndarray, kind: str, steps: list[Step]) -> Match:
        hits = self.space.cleanup(noisy, kind, k=1)
        if not hits or hits[0].score < self.min_score:
            best = f"best {hits[0].key!r} at {hits[0].score:.3f}" if hits else f"no {kind}s indexed"
            raise QueryError(f"no {kind} is similar enough (threshold {self.min_score}); {best}")
        steps.append(Step("cleanup", f"-> {kind} {hits[0].key}", hits[0].score))
        return hits[0]

    def encode(self, fields: Mapping[str, str]) -> np.ndarray:
        return records.encode(fields, self.space.vector_of)
