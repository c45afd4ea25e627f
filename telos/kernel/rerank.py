"""Reranking (lever ``rerank``): the model's candidate and the analogical transfers
(:mod:`telos.kernel.transfer`) that ran cleanly in the sandbox are scored by the model, and the
best one is installed.

Two scores, both log-probabilities under the code persona's model (``Orchestrator.score``):

- *coder*: how likely the model finds the candidate's body after the prompt (the question, the
  worked examples, the signature), per token — what it would write;
- *reviewer*: how likely the selector is as the name of the candidate with its name hidden
  (``def method(self): ...`` — "what does it compute? give it a name") — whether the code
  means what the message says (after Zhang et al., *Coder-Reviewer Reranking for Code
  Generation*, 2022). A greedy reply always looks likely to the model that wrote it; the
  reviewer is what lets a transferred method win against a wrong greedy one.

A backend that cannot score (Ollama) keeps the plain vote (:func:`telos.kernel.candidates.vote`).
"""

from __future__ import annotations

import ast
import logging
from typing import Mapping

from telos.kernel import lexicon, units
from telos.kernel.candidates import Candidate, hard_coded, reads_inputs, self_reads

log = logging.getLogger(__name__)

#: weight of the reviewer's log-probability against the coder's; both are sums over tokens, so
#: a shorter method is preferred at equal likelihood per token. Chosen on the development set
#: (its pools scored offline: sum + 0.5 × reviewer picked 29 right of the 36 pools holding a
#: right candidate; per-token means 26-27; the reviewer alone 22; the vote 23)
REVIEWER_WEIGHT = 0.5
#: a method that ignores one of its parameters answers some other question
UNUSED_PARAMETER = 100.0
#: a slot or method whose name shares a word with the selector (``title`` for
#: ``full_name_with_title``) that the candidate does not read, each
UNREAD_NAMED = 10.0
#: a name that says what kind of value it wants (:func:`telos.kernel.lexicon.expected_kind`:
#: ``is_``/``has_``... a bool, ``count``/``total``/``average`` a number, a plural noun at the
#: end a list) answered with another kind, or a bool answering a name that is no question,
#: answers another question
WRONG_KIND = 20.0
#: a transfer from an example that shares no word with the selector (``is_even`` for
#: ``is_prime``, ``display_name`` for ``initials``): it came by the shape of the slots alone,
#: so its method computes something else; the model's own candidate is never charged this
FAR_ANALOGY = 10.0
#: a candidate that writes one of the receiver's or the call's values as a literal
#: (:func:`telos.kernel.candidates.hard_coded`: ``self.price * 20`` when price is 20)
HARD_CODED = 20.0
#: a candidate that reads a slot of one unit for a selector of another without the
#: conversion's constant, or a percentage without a 100 (:func:`telos.kernel.units.contradicts`)
UNIT_CONTRADICTION = 20.0
#: a candidate that divides the other way round from what an ``a_per_b`` name says
#: (``self.litres / self.km`` for ``km_per_litre``)
WRONG_RATIO = 20.0
#: a number computed with ``+`` and no ``-`` for a name that takes away (``withdrawal``), or
#: with ``-`` and no ``+`` for one that adds (``deposit``)
WRONG_SIGN = 20.0


def hide_name(source: str, selector: str) -> str:
    return source.replace(f"def {selector}(", "def method(", 1)


def reviewer_messages(source: str, selector: str, proto: str) -> list[dict]:
    return [{"role": "user", "content": f"```python\n{hide_name(source, selector)}\n```\n"
             f"What does this method of {proto} compute? Give it a name."}]


def ignores_a_parameter(source: str) -> bool:
    try:
        fn = ast.parse(source).body[0]
    except (SyntaxError, IndexError):
        return False
    used = {n.id for n in ast.walk(fn) if isinstance(n, ast.Name)}
    return any(a.arg not in used for a in fn.args.args[1:])


def unread_named(source: str, selector: str, names: Mapping[str, set]) -> int:
    """How many of the receiver's slots and methods share a word (stemmed, stop words left
    out: :func:`telos.kernel.lexicon.content_words`) with the selector yet are
    not read by the candidate, directly or through a method it calls. ``names``: each slot
    or method name → what that method reads (empty for a data slot)."""
    read = self_reads(source)
    read |= {x for n in list(read) for x in names.get(n, ())}
    wanted = lexicon.content_words(selector)
    return sum(1 for n in names if n != selector and lexicon.content_words(n) & wanted
               and n not in read)


def wrong_kind(selector: str, value) -> bool:
    want = lexicon.expected_kind(selector)
    got = lexicon.kind_of(value)
    return (want is not None and got != want) or (want != "bool" and got == "bool")


def kind_reason(selector: str, value) -> str:
    """Why ``value`` does not answer ``selector`` (:func:`wrong_kind`), for the repair step."""
    want = lexicon.expected_kind(selector)
    asked = {"bool": "asks for True or False", "number": "asks for a number",
             "list": "asks for a list"}.get(want or "", "is not a yes-or-no question")
    return f"it returned {value!r:.80} ({lexicon.kind_of(value)}), but {selector} {asked}"


def analogy_words(selector: str, tags: str = "") -> frozenset:
    """The words an example stands for: its selector's and its tags', stemmed."""
    return frozenset(lexicon.content_words(f"{selector} {tags}"))


def far_analogy(c: Candidate, selector: str) -> bool:
    """Whether ``c`` is a transfer whose example shares no word with ``selector``."""
    return c.analogy_words is not None and not c.analogy_words & lexicon.content_words(selector)


def wrong_ratio(source: str, selector: str) -> bool:
    """Whether ``source`` divides a slot the denominator of an ``a_per_b`` selector names by
    one its numerator names (``self.litres / self.km`` for ``km_per_litre``)."""
    sides = lexicon.ratio(selector)
    if sides is None:
        return False
    num, den = sides
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    for n in ast.walk(tree):
        if isinstance(n, ast.BinOp) and isinstance(n.op, (ast.Div, ast.FloorDiv)):
            top = {w for x in self_reads_of(n.left) for w in lexicon.content_words(x)}
            bottom = {w for x in self_reads_of(n.right) for w in lexicon.content_words(x)}
            if top & den and bottom & num and not (top & num or bottom & den):
                return True
    return False


def wrong_sign(source: str, selector: str, value) -> bool:
    """Whether a candidate returning a number adds where ``selector`` takes away
    (:func:`telos.kernel.lexicon.sign`), or takes away where it adds."""
    want = lexicon.sign(selector)
    if not want or lexicon.kind_of(value) != "number":
        return False
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    ops = {type(n.op) for n in ast.walk(tree) if isinstance(n, ast.BinOp)}
    ops |= {type(n.op) for n in ast.walk(tree) if isinstance(n, ast.AugAssign)}
    add, sub = ast.Add in ops, ast.Sub in ops
    return (want < 0 and add and not sub) or (want > 0 and sub and not add)


def self_reads_of(node: ast.AST) -> set[str]:
    return {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)
            and isinstance(n.value, ast.Name) and n.value.id == "self"}


def penalty(c: Candidate, selector: str, names: Mapping[str, set],
            data: Mapping | None = None, given: list | None = None) -> float:
    """What the candidate's shape says against it, whatever the model thinks of it. ``data``:
    the receiver's data slots (name → value); ``given``: the call's argument values."""
    data = data or {}
    return (UNUSED_PARAMETER * ignores_a_parameter(c.source)
            + UNREAD_NAMED * unread_named(c.source, selector, names)
            + WRONG_KIND * wrong_kind(selector, c.value)
            + FAR_ANALOGY * far_analogy(c, selector)
            + HARD_CODED * bool(hard_coded(c.source, list(data.values()) + list(given or ())))
            + UNIT_CONTRADICTION * units.contradicts(c.source, selector, dict(data))
            + WRONG_RATIO * wrong_ratio(c.source, selector)
            + WRONG_SIGN * wrong_sign(c.source, selector, c.value))


def body_of(source: str) -> str:
    parts = source.split("\n", 1)
    return parts[1] if len(parts) > 1 else ""


def scored(orchestrator, persona, prompt_messages: list[dict], signature: str,
           cands: list[Candidate], selector: str, proto: str,
           names: Mapping[str, set] | None = None, data: Mapping | None = None,
           given: list | None = None) -> list[tuple[float, Candidate]]:
    """(score, candidate) of each clean candidate, best first; [] when the backend cannot
    score. ``prompt_messages`` end with the user's question (no prefill); ``names`` are the
    receiver's slots and methods, ``data`` its data slots' values, ``given`` the call's
    arguments (:func:`penalty`)."""
    pool = [c for c in cands if c.clean and c.value is not None and reads_inputs(c.source)]
    if not pool:
        return []
    head = f"```python\n{signature}\n"
    coder = orchestrator.score(persona, prompt_messages,
                               [head + body_of(c.source) + "\n```" for c in pool])
    if coder is None:
        return []
    out = []
    for c, (lp, n) in zip(pool, coder):
        review = orchestrator.score(persona, reviewer_messages(c.source, selector, proto),
                                    [selector])
        rlp, rn = review[0]
        out.append((lp + REVIEWER_WEIGHT * rlp
                    - penalty(c, selector, names or {}, data, given), c))
    out.sort(key=lambda sc: -sc[0])
    log.debug("rerank %s: %s", selector, [(round(s, 3), c.origin) for s, c in out])
    return out
