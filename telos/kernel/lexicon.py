"""What a selector's words say, without a model: the kernel's small English lexicon.

A selector is a sentence in snake case (``count_vowels_in_name``, ``prices_below``,
``is_warmer_than``). Three readings of it are used by the analogy search, the transfer and the
reranking (:mod:`telos.kernel.analogy`, :mod:`telos.kernel.transfer`,
:mod:`telos.kernel.rerank`):

- :func:`stem` / :func:`content_words`: words with their inflection cut (``discounted`` and
  ``discount``, ``vowels`` and ``vowel``, ``names`` and ``name`` meet), stop words dropped;
- :func:`expected_kind`: the kind of value the name asks for, when it says — a question
  (``is_``, ``has_``...) a bool; a count, total, sum or average a number; a name ending in a
  plural noun (``out_of_stock_items``, ``even_values``) a list, unless the noun is a unit
  (``age_in_months``, ``...in_seconds``) or counted things (``verse_words``);
- :func:`polarity`: whether a comparison the name makes points up (``above``, ``longer``,
  ``warmer``: +1) or down (``below``, ``less``, ``colder``: -1), 0 when it names none;
- :func:`ratio`: the two sides of an ``a_per_b`` name (``km_per_litre``: km over litres);
- :func:`extreme`: a superlative's end (``lightest``, ``cheapest``: the least, -1;
  ``heaviest``, ``highest``: the most, +1), read from the comparatives of :data:`UP`/:data:`DOWN`;
- :func:`sign`: whether a name takes away (``withdrawal``, ``minus``: -1) or adds (``deposit``,
  ``plus``: +1).

All three are deliberately small and conservative: a word they do not know says nothing.
"""

from __future__ import annotations

import re

STOP = frozenset({"the", "of", "in", "to", "a", "an", "is", "with", "by", "for", "and", "or",
                  "from", "per", "as", "at", "on", "has", "are", "was", "be", "it", "its",
                  "get", "value", "uses", "method"})

#: first words of a yes-or-no question
PREDICATE = ("is", "has", "needs", "can", "should", "fits", "contains", "are", "was")
#: words (stemmed when read) that ask for a number whatever else the name says
NUMBER_WORDS = ("count", "total", "sum", "number", "num", "average", "mean", "amount")
#: comparison words pointing up (+1) or down (-1)
UP = ("above", "over", "more", "greater", "larger", "bigger", "higher", "longer", "warmer",
      "hotter", "older", "heavier", "taller", "exceeds", "faster", "wider", "richer")
DOWN = ("below", "under", "less", "fewer", "smaller", "lower", "shorter", "colder", "cooler",
        "younger", "lighter", "cheaper", "slower", "narrower", "poorer")

#: plural nouns that measure rather than collect (``age_in_months``: a number)
UNITS = ("seconds", "minutes", "hours", "days", "weeks", "months", "years", "metres", "meters",
         "miles", "degrees", "points", "cents", "dollars", "euros", "pounds", "grams", "kilos",
         "litres", "liters", "calories", "steps", "times", "percent", "kms", "words", "letters")

_WORD = re.compile(r"[a-z]+|\d+")


def stem(word: str) -> str:
    """``word`` without a plural ``s``/``ies``, a past ``ed``, an ``ing`` and a final ``e``:
    crude, but the same crude cut on both sides makes inflections meet."""
    w = word.lower()
    if len(w) > 4 and w.endswith("ies"):
        w = w[:-3] + "y"
    elif len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    if len(w) > 5 and w.endswith("ing"):
        w = w[:-3]
    elif len(w) > 4 and w.endswith("ed"):
        w = w[:-2]
    if len(w) > 3 and w.endswith("e"):
        w = w[:-1]
    return w


def content_words(text: str) -> set[str]:
    """The stemmed words of ``text`` that carry meaning (no stop words, no lone digits)."""
    return {stem(w) for w in _WORD.findall(text.lower()) if w not in STOP and not w.isdigit()}


_NUMBER = frozenset(stem(w) for w in NUMBER_WORDS)


def expected_kind(selector: str) -> str | None:
    """``"bool"``, ``"number"``, ``"list"`` or None: the kind of value ``selector`` asks for."""
    parts = [w for w in selector.lower().split("_") if w]
    if not parts:
        return None
    if parts[0] in PREDICATE:
        return "bool"
    if {stem(w) for w in parts} & _NUMBER:
        return "number"
    last = parts[-1]
    measured = last in UNITS or (len(parts) > 1 and parts[-2] in ("in", "per"))
    if len(last) > 3 and last.endswith("s") and not last.endswith(("ss", "us", "is")) \
            and not measured:
        return "list"
    return None


def kind_of(value) -> str:
    """The kind of a value, in :func:`expected_kind`'s words: a trial's value, and (in the
    analogy index and the transfer) a slot's value, persistent lists and mappings included."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "text"
    if hasattr(value, "items"):
        return "dict"
    if isinstance(value, (list, tuple)) or hasattr(value, "__iter__"):
        return "list"
    return "object"


def polarity(selector: str) -> int:
    """+1 when ``selector``'s comparison points up, -1 down, 0 when it names none or both."""
    parts = set(selector.lower().split("_"))
    up, down = bool(parts & set(UP)), bool(parts & set(DOWN))
    return 0 if up == down else (1 if up else -1)


def ratio(selector: str) -> tuple[set[str], set[str]] | None:
    """(numerator words, denominator words) of a name that says ``a per b``
    (``km_per_litre``, ``cost_per_guest``), stemmed; None when it says no such thing."""
    parts = [w for w in selector.lower().split("_") if w]
    if parts.count("per") != 1:
        return None
    i = parts.index("per")
    num, den = content_words("_".join(parts[:i])), content_words("_".join(parts[i + 1:]))
    return (num, den) if num and den else None


#: words for the least (-1) and the most (+1) besides the superlatives of UP and DOWN
LEAST = ("min", "minimum", "least", "fewest")
MOST = ("max", "maximum", "most", "top")


def _superlative(word: str) -> int:
    """+1 / -1 when ``word`` is the superlative of a comparative in UP / DOWN
    (``lightest`` of ``lighter``, ``biggest`` of ``bigger``), else 0."""
    if word in LEAST:
        return -1
    if word in MOST:
        return 1
    if len(word) > 4 and word.endswith("est"):
        comparative = word[:-3] + "er"
        if comparative in UP:
            return 1
        if comparative in DOWN:
            return -1
    return 0


def extreme(selector: str) -> int:
    """-1 when ``selector`` asks for the least of something, +1 the most, 0 neither (or both)."""
    ends = {_superlative(w) for w in selector.lower().split("_")} - {0}
    return ends.pop() if len(ends) == 1 else 0


#: words (stemmed when read) that take away (-1) or add (+1)
MINUS = ("minus", "subtract", "withdraw", "withdrawal", "spend", "spent", "remove", "removed",
         "deduct", "deduction", "without", "take", "taken", "lose", "loss")
PLUS = ("plus", "add", "added", "deposit", "gain", "earn", "earned", "increase", "increased",
        "extra")
_MINUS = frozenset(stem(w) for w in MINUS)
_PLUS = frozenset(stem(w) for w in PLUS)


def sign(selector: str) -> int:
    """-1 when ``selector`` says something is taken away, +1 added, 0 neither (or both)."""
    ws = {stem(w) for w in selector.lower().split("_") if w}
    minus, plus = bool(ws & _MINUS), bool(ws & _PLUS)
    return 0 if minus == plus else (1 if plus else -1)
