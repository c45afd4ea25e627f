"""Analogy before generation: methods the image already holds (and the pattern book,
:mod:`telos.kernel.patterns`), found by similarity to the request and offered as worked
examples; and a method of the same name on another prototype, reused outright once its trial
passes on the receiver.

The index is a small TF-IDF over words — a method's selector split at ``_`` (counted twice,
and once more stemmed, :func:`telos.kernel.lexicon.stem`, so ``discounted`` meets the
``discount`` of an idiom's tags and ``vowels`` meets ``vowel`` without outweighing an exact word),
the types of its slots and arguments, whether it calls another method, and the names its
source uses; a superlative adds ``min`` or ``max`` (``lightest_weight`` meets ``min(...)``) and
a word that adds or takes away ``plus`` or ``minus`` (:func:`telos.kernel.lexicon.extreme`,
:func:`~telos.kernel.lexicon.sign`). Pure Python, built per request from at most a few hundred methods: no embedder,
no model load (the memory's embedder would cost more than the generation it saves).
"""

from __future__ import annotations

import ast
import logging
import math
import re
from collections import Counter
from dataclasses import dataclass, field

from telos.kernel import lexicon
from telos.kernel.patterns import PATTERNS, Pattern
from telos.reflect import mirror
from telos.uvm import DATA, UvmObject, lookup, slot_names

log = logging.getLogger(__name__)

_WORD = re.compile(r"[a-z]+|\d+")


@dataclass(frozen=True)
class Example:
    """One worked example as the prompt shows it (a receiver, a call, the method's source)."""
    proto: str
    slots: dict
    selector: str
    source: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    methods: dict = field(default_factory=dict)
    origin: str = "pattern book"
    tags: str = ""


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _source_names(source: str) -> list[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id not in ("self",):
            out.append(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id != "self":
            out.append(node.attr)
    return out


def request_terms(selector: str, slots: dict, args: tuple, kwargs: dict,
                  methods: dict, meaning: bool = True) -> Counter:
    """The request's terms; ``meaning``: with what its words mean (not for an example,
    whose source says it: ``fastest_time`` is a ``min``)."""
    terms = Counter()
    for w in words(selector):
        terms["sel:" + w] += 2
        terms["stem:" + lexicon.stem(w)] += 1
    # what the words mean, as the words an idiom's source or tags use for it
    end, sign = (lexicon.extreme(selector), lexicon.sign(selector)) if meaning else (0, 0)
    if end:
        terms["sel:" + ("max" if end > 0 else "min")] += 1
    if sign:
        terms["sel:" + ("plus" if sign > 0 else "minus")] += 1
    for value in slots.values():
        terms["slot:" + lexicon.kind_of(value)] += 1
    for value in list(args) + list(kwargs.values()):
        terms["arg:" + lexicon.kind_of(value)] += 1
    terms["arity:%d" % (len(args) + len(kwargs))] += 1
    terms["slots:%d" % min(len(slots), 3)] += 1
    if methods:
        terms["has:methods"] += 3
    return terms


def example_terms(ex: Example) -> Counter:
    terms = request_terms(ex.selector, ex.slots, ex.args, ex.kwargs, ex.methods,
                          meaning=False)
    for name in _source_names(ex.source):
        for w in words(name):
            terms["sel:" + w] += 1      # `sum`, `len`, `max` meet "total", "count", "highest"
            terms["stem:" + lexicon.stem(w)] += 1
    for w in words(ex.tags):
        terms["sel:" + w] += 1
        terms["stem:" + lexicon.stem(w)] += 1
    return terms


_SYNONYMS = {"count": ("len",), "number": ("len",), "total": ("sum",), "highest": ("max",),
             "largest": ("max",), "lowest": ("min",), "smallest": ("min",),
             "average": ("sum", "len", "mean"), "mean": ("average",), "sorted": ("sorted",),
             "upper": ("upper",), "lower": ("lower",), "reversed": ("reverse",)}


def _expand(terms: Counter) -> Counter:
    out = Counter(terms)
    for term, n in terms.items():
        if term.startswith("sel:"):
            for syn in _SYNONYMS.get(term[4:], ()):
                out["sel:" + syn] += n
    return out


def rank(query: Counter, docs: list[Counter]) -> list[float]:
    """Cosine similarity of TF-IDF vectors: ``query`` against each of ``docs``."""
    n = len(docs) + 1
    df = Counter()
    for d in docs + [query]:
        df.update(set(d))
    idf = {t: math.log(n / df[t]) + 1.0 for t in df}

    def vec(d: Counter) -> dict:
        return {t: c * idf[t] for t, c in d.items()}

    q = vec(query)
    qn = math.sqrt(sum(v * v for v in q.values())) or 1.0
    scores = []
    for d in docs:
        v = vec(d)
        dot = sum(q.get(t, 0.0) * x for t, x in v.items())
        scores.append(dot / (qn * (math.sqrt(sum(x * x for x in v.values())) or 1.0)))
    return scores


def image_examples(image, receiver: UvmObject) -> list[Example]:
    """Every method the image's registered prototypes hold (not the receiver's own)."""
    out = []
    try:
        protos = dict(image.prototypes.items())
    except Exception:  # noqa: BLE001 - an image without a registry: only the pattern book
        return out
    for name, obj in protos.items():
        if obj is receiver or not isinstance(obj, UvmObject):
            continue
        methods = mirror(obj).methods()
        if not methods:
            continue
        slots = _visible_data(obj)
        for sel, mdef in methods.items():
            if mdef.trusted:
                continue
            others = {s: m.source for s, m in methods.items() if s != sel}
            out.append(Example(name, slots, sel, mdef.source.strip("\n"), methods=others,
                               origin=f"image: {name}.{sel}"))
    return out


def _visible_data(obj: UvmObject) -> dict:
    out = {}
    for name in slot_names(obj):
        found = lookup(obj, name)
        if found is not None and found[0] == DATA and not callable(found[2]):
            out[name] = found[2]
    return out


def from_pattern(p: Pattern) -> Example:
    return Example(p.proto, p.slots, p.selector, p.source, p.args, dict(p.kwargs),
                   dict(p.methods), tags=p.tags)


def examples(image, receiver: UvmObject, selector: str, args: tuple, kwargs: dict,
             slots: dict, methods: dict, k: int = 2) -> list[Example]:
    """The ``k`` examples most like the request, most similar last (nearest the question)."""
    pool = image_examples(image, receiver) + [from_pattern(p) for p in PATTERNS]
    pool = [e for e in pool if e.selector != selector]
    if not pool:
        return []
    query = _expand(request_terms(selector, slots, args, kwargs, methods))
    scores = rank(query, [_expand(example_terms(e)) for e in pool])
    order = sorted(range(len(pool)), key=lambda i: -scores[i])
    chosen, seen = [], set()
    for i in order:
        if pool[i].selector in seen:
            continue
        seen.add(pool[i].selector)
        chosen.append(pool[i])
        if len(chosen) == k:
            break
    log.debug("analogy for %s: %s", selector, [(e.origin, e.selector) for e in chosen])
    return list(reversed(chosen))


def reusable(image, receiver: UvmObject, selector: str) -> list[tuple[str, str]]:
    """(prototype name, source) of methods named ``selector`` on other registered prototypes,
    the receiver's siblings (prototypes sharing a parent with it) first."""
    try:
        protos = dict(image.prototypes.items())
    except Exception:  # noqa: BLE001 - no registry: nothing to reuse
        return []
    mine = {id(p) for _, p in mirror(receiver).parents()}
    found = []
    for name, obj in protos.items():
        if obj is receiver or not isinstance(obj, UvmObject):
            continue
        mdef = mirror(obj).methods().get(selector)
        if mdef is None or mdef.trusted:
            continue
        sibling = any(id(p) in mine for _, p in mirror(obj).parents())
        found.append((0 if sibling else 1, name, mdef.source))
    return [(name, src) for _, name, src in sorted(found, key=lambda f: f[0])]
