"""Constrained output and the vote over candidates.

*Constrained output* (lever ``constrained``): the reply is prefilled with ```` ```python ````,
the signature and an indent, so the model writes only a body; generation stops at the end of
that one ``def`` (a closing fence, or the first line at column 0: the embedded backend's
``stop_after_def``, stop strings for Ollama); :func:`reindent` puts the body's levels at 4, 8,
12... spaces whatever the model chose.

*Candidates* (lever ``candidates``): the first candidate is greedy, the others sampled; each is
extracted, checked and tried in the sandbox like any reply; :func:`vote` picks the value most of
the clean candidates returned (``None`` only when nothing else came back), the earliest
candidate of that value winning.
"""

from __future__ import annotations

import ast
import json
import re
from collections import Counter
from dataclasses import dataclass

GREEDY = {"temperature": 0, "seed": 0, "num_predict": 200}
#: Ollama stops on these; the embedded model also on ``stop_after_def``
STOPS = ["\n```", "\ndef ", "\nclass ", "\nprint(", "\nif __name__", "\n# ", "\nExplanation"]


def options(constrained: bool, index: int, temperature: float, *, more: bool = False) -> dict:
    """Generation options of candidate ``index`` (0: greedy). ``more``: other candidates follow
    with the same prompt, so the embedded model keeps the prompt's KV cache for them."""
    opts = dict(GREEDY)
    if index:
        opts.update(temperature=temperature, seed=index)
    if more:
        opts["reuse_prompt"] = True
    if constrained:
        opts.update(num_predict=120, stop=list(STOPS), stop_after_def=True)
    return opts


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def reindent(body: str) -> str:
    """A def's body with its indentation levels renumbered 4, 8, 12...: the first line's level
    and anything shallower become 4, each deeper level one step more."""
    lines = [ln.replace("\t", "    ").rstrip() for ln in body.splitlines()]
    lines = [ln for ln in lines if ln.strip()]
    if not lines:
        return ""
    base = _indent(lines[0])
    deeper = sorted({_indent(ln) for ln in lines if _indent(ln) > base})
    level = {d: 4 * (i + 2) for i, d in enumerate(deeper)}
    return "\n".join(" " * level.get(_indent(ln), 4) + ln.lstrip(" ") for ln in lines)


def assemble(signature: str, continuation: str) -> str:
    """The reply the prefilled model meant: its signature, then its body, re-indented when
    that is what makes it parse. A continuation that brought its own ``def`` (a backend that
    ignored the prefill) is returned as it is."""
    if re.search(r"(?m)^(```\w*\n)?def \w", continuation):
        return continuation
    text = continuation.split("```")[0]
    body = reindent("    " + text)
    if re.search(r"\bmath\.", body) and "import math" not in body:
        body = "    import math\n" + body          # the one module the prompt allows, forgotten
    fixed = signature + "\n" + body
    raw = signature + "\n    " + text.rstrip()
    for src in (fixed, raw):
        try:
            ast.parse(src)
        except SyntaxError:
            continue
        return f"```python\n{src}\n```"
    return f"```python\n{fixed}\n```"


@dataclass
class Candidate:
    index: int
    source: str | None = None
    reply: str = ""
    value: object = None
    trial: object = None
    error: str | None = None          # "step: reason" when rejected
    exc: object = None                # the GenerationError when rejected
    origin: str = "model"             # "model", or "transfer: Proto.selector" (an analogy)
    #: a transfer's example: the content words of its selector and tags (rerank's
    #: ``far_analogy``); None for the model's own candidates
    analogy_words: frozenset | None = None

    @property
    def clean(self) -> bool:
        return self.error is None and self.source is not None


def _key(value) -> str:
    return json.dumps(value, sort_keys=True, default=repr)


def reads_inputs(source: str) -> bool:
    """Whether a method reads ``self`` or one of its parameters: one that does neither returns
    a constant — usually a value the model copied from the prompt (``return 120``)."""
    try:
        fn = ast.parse(source).body[0]
    except (SyntaxError, IndexError):
        return False
    params = {a.arg for a in fn.args.args + fn.args.kwonlyargs}
    return any(isinstance(n, ast.Name) and n.id in params
               for stmt in fn.body for n in ast.walk(stmt))


def self_reads(source: str) -> set[str]:
    """The ``self.x`` names a method's source reads (attributes and methods alike)."""
    try:
        fn = ast.parse(source).body[0]
    except (SyntaxError, IndexError):
        return set()
    return {n.attr for n in ast.walk(fn) if isinstance(n, ast.Attribute)
            and isinstance(n.value, ast.Name) and n.value.id == "self"}


def copies_inputs(source: str, values: list) -> bool:
    """Whether a method reads neither ``self`` nor its arguments yet writes one of their
    values as a literal (``width = 3``, ``return 120``): the prompt's values copied into the
    method, right only for this one receiver. A constant method (``return "shape"``) is not."""
    if reads_inputs(source):
        return False
    wanted = {repr(v) for v in values
              if isinstance(v, (int, float, str)) and not isinstance(v, bool)}
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    lists = [_plain(v) for v in values if not isinstance(v, (str, bytes)) and not hasattr(
        v, "items") and hasattr(v, "__iter__")]
    return any(isinstance(n, ast.Constant) and not isinstance(n.value, bool)
               and repr(n.value) in wanted for n in ast.walk(tree)) \
        or any(isinstance(v, list) and v and v in lists for v in _literals(tree))


#: numbers too common as constants to say a literal was copied from the data
COMMON_NUMBERS = frozenset({-1, 0, 1, 2, 10, 100})


def _literals(tree: ast.AST) -> list:
    """The literal values a method writes: numbers, strings, and lists/tuples of literals."""
    out = []
    for n in ast.walk(tree):
        if isinstance(n, ast.Constant) and not isinstance(n.value, bool):
            out.append(n.value)
        elif isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub) \
                and isinstance(n.operand, ast.Constant) \
                and isinstance(n.operand.value, (int, float)):
            out.append(-n.operand.value)
        elif isinstance(n, (ast.List, ast.Tuple)):
            try:
                out.append(list(ast.literal_eval(n)))
            except ValueError:
                pass
    return out


def hard_coded(source: str, values: list) -> list:
    """The receiver's or the call's values a method writes as literals (``self.price * 20``
    when ``price`` is 20; ``self.balance > -20``; ``endswith('report.pdf')``): the data
    copied into the method instead of read — right, if at all, only for this one receiver.
    Small round numbers, one-character strings and empty values are not counted."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    def counted(v) -> bool:
        if isinstance(v, bool):
            return False
        if isinstance(v, (int, float)):
            return v not in COMMON_NUMBERS
        if isinstance(v, str):
            return len(v.strip()) > 1
        return isinstance(v, list) and len(v) > 1
    wanted = [v for v in (_plain(x) for x in values) if counted(v)]
    return [v for v in _literals(tree)
            if counted(v) and any(type(v) is type(w) or (isinstance(v, (int, float))
                                                       and isinstance(w, (int, float)))
                                  for w in wanted if v == w)]


def _plain(value):
    if isinstance(value, (str, bytes, int, float)):
        return value
    if not hasattr(value, "items") and hasattr(value, "__iter__"):
        return list(value)
    return value


def vote(cands: list[Candidate]) -> Candidate | None:
    """The earliest clean candidate whose value most clean candidates share. Candidates that
    return ``None`` or read neither ``self`` nor their arguments count only when no clean
    candidate did better."""
    clean = [c for c in cands if c.clean]
    if not clean:
        return None
    valued = ([c for c in clean if c.value is not None and reads_inputs(c.source)]
              or [c for c in clean if c.value is not None] or clean)
    counts = Counter(_key(c.value) for c in valued)
    best = max(counts.values())
    for c in valued:
        if counts[_key(c.value)] == best:
            return c
    return None


def settled(cands: list[Candidate], n: int) -> bool:
    """True when a value already holds a majority of ``n``: drawing more cannot change it."""
    counts = Counter(_key(c.value) for c in cands if c.clean and c.value is not None)
    return bool(counts) and max(counts.values()) > n // 2
