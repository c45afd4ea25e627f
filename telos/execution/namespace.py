"""The namespace restricted methods run in: safe builtins and safe modules (wrapped).

**Builtins** — constants and exceptions; ``abs all any ascii bin bool callable chr complex
dict divmod enumerate filter float frozenset hash hex int isinstance issubclass iter len list
map max min next oct ord repr reversed round set slice sorted str sum tuple zip``; guarded
``getattr``/``hasattr`` (no ``_`` names, no modules), ``range`` (bounded length), ``pow`` and
``format`` (bounded size), ``print`` (goes to the log, or to the trial's captured output).
Absent: ``open``, ``exec``, ``eval``, ``compile``, ``__import__`` (``import`` only reaches the
modules below), ``globals``, ``locals``, ``vars``, ``dir``, ``type``, ``object``, ``super``,
``setattr``, ``delattr``, ``input``, ``breakpoint``, ``memoryview``, ``bytes``, ``bytearray``,
``classmethod``, ``staticmethod``, ``property``, ``id``.

**Modules** (``import math`` inside a method gives the wrapped object, never the module):
``math cmath statistics fractions decimal string heapq bisect textwrap unicodedata datetime``
(public callables and constants; ``math.factorial``/``comb``/``perm`` bounded),
``random`` (functions of a private ``Random`` instance), ``re`` (match/search/fullmatch/
findall/finditer/sub/subn/split/escape/compile and flags), ``json`` (dumps/loads),
``itertools`` (every iterator counts as steps of the budget), ``functools`` (reduce, partial,
lru_cache, cmp_to_key), ``operator`` (pure operators; ``attrgetter``/``methodcaller`` guarded),
``collections`` (Counter, deque, OrderedDict, defaultdict, ChainMap).

Also in the namespace: ``UvmObject`` and ``Message`` (the object model). Not ``mirror``:
restricted code cannot define methods.
"""

from __future__ import annotations

import bisect
import builtins
import cmath
import collections
import datetime
import decimal
import fractions
import functools
import heapq
import itertools
import json
import logging
import math
import operator
import random as _random
import re
import statistics
import string
import textwrap
import types
import unicodedata

from RestrictedPython.Guards import _safe_exceptions

from telos.errors import RestrictedAccess
from telos.execution import budget, guards

log = logging.getLogger("telos.methods")


class SafeModule:
    """A module's allowed names as plain attributes: no ``__dict__`` walk reaches the module."""

    def __init__(self, name: str, attrs: dict):
        object.__setattr__(self, "_name", name)
        for k, v in attrs.items():
            if not k.startswith("_") and not isinstance(v, types.ModuleType):
                object.__setattr__(self, k, v)

    def __setattr__(self, name, value):
        raise RestrictedAccess(f"restricted method: module {self._name} is read-only")

    def __repr__(self) -> str:
        return f"<module {self._name!r} (restricted)>"


def _public(module, exclude=()) -> dict:
    return {k: getattr(module, k) for k in dir(module)
            if not k.startswith("_") and k not in exclude}


def _bounded(fn, limit: int):
    @functools.wraps(fn)
    def call(*args):
        for a in args:
            if isinstance(a, int) and a > limit:
                raise budget.too_big(f"{fn.__name__} argument", a)
        return fn(*args)
    return call


def _counting_all(module, names) -> dict:
    def wrap(fn):
        @functools.wraps(fn)
        def call(*args, **kwargs):
            return budget.counting(fn(*args, **kwargs))
        return call
    return {n: wrap(getattr(module, n)) for n in names}


_ITERTOOLS = ("accumulate", "chain", "combinations", "combinations_with_replacement", "compress",
              "count", "cycle", "dropwhile", "filterfalse", "groupby", "islice", "pairwise",
              "permutations", "product", "repeat", "starmap", "takewhile", "zip_longest")
_OPERATOR = ("abs", "add", "and_", "concat", "contains", "countOf", "eq", "floordiv", "ge",
             "gt", "index", "indexOf", "inv", "invert", "is_", "is_not", "itemgetter", "le",
             "lt", "mod", "ne", "neg", "not_", "or_", "pos", "rshift", "sub", "truediv",
             "truth", "xor")
_RE = ("match", "search", "fullmatch", "findall", "finditer", "sub", "subn", "split", "escape",
       "compile", "IGNORECASE", "MULTILINE", "DOTALL", "VERBOSE", "ASCII", "I", "M", "S", "X",
       "A", "error")
_RANDOM = ("random", "randint", "randrange", "choice", "choices", "shuffle", "sample",
           "uniform", "gauss", "normalvariate", "triangular", "betavariate", "expovariate",
           "seed", "getrandbits")


def _modules() -> dict[str, SafeModule]:
    rng = _random.Random()
    chain = functools.partial
    itertools_attrs = _counting_all(itertools, _ITERTOOLS)
    operator_attrs = {n: getattr(operator, n) for n in _OPERATOR}
    operator_attrs.update(mul=guards._mult_, pow=guards._pow_, lshift=guards._lshift_,
                          attrgetter=guards.attrgetter, methodcaller=guards.methodcaller,
                          getitem=guards.guarded_getitem)
    math_attrs = _public(math)
    math_attrs.update(factorial=_bounded(math.factorial, 20_000),
                      comb=_bounded(math.comb, 100_000), perm=_bounded(math.perm, 100_000))
    mods = {
        "math": math_attrs,
        "cmath": _public(cmath),
        "statistics": _public(statistics),
        "fractions": {"Fraction": fractions.Fraction},
        "decimal": {"Decimal": decimal.Decimal, "ROUND_HALF_UP": decimal.ROUND_HALF_UP,
                    "ROUND_HALF_EVEN": decimal.ROUND_HALF_EVEN,
                    "InvalidOperation": decimal.InvalidOperation},
        "string": {k: getattr(string, k) for k in ("ascii_letters", "ascii_lowercase",
                   "ascii_uppercase", "digits", "hexdigits", "octdigits", "punctuation",
                   "printable", "whitespace", "capwords")},
        "heapq": _public(heapq),
        "bisect": _public(bisect),
        "textwrap": {k: getattr(textwrap, k) for k in ("wrap", "fill", "shorten", "dedent",
                                                       "indent")},
        "unicodedata": {k: getattr(unicodedata, k) for k in ("name", "lookup", "category",
                        "normalize", "numeric", "decimal", "digit")},
        "datetime": {k: getattr(datetime, k) for k in ("date", "time", "datetime", "timedelta",
                                                       "timezone", "MINYEAR", "MAXYEAR")},
        "random": {k: getattr(rng, k) for k in _RANDOM},
        "re": {k: getattr(re, k) for k in _RE},
        "json": {"dumps": json.dumps, "loads": json.loads,
                 "JSONDecodeError": json.JSONDecodeError},
        "itertools": itertools_attrs,
        "functools": {"reduce": functools.reduce, "partial": chain,
                      "lru_cache": functools.lru_cache, "cmp_to_key": functools.cmp_to_key},
        "operator": operator_attrs,
        "collections": {k: getattr(collections, k) for k in ("Counter", "deque", "OrderedDict",
                                                             "defaultdict", "ChainMap")},
    }
    return {name: SafeModule(name, attrs) for name, attrs in mods.items()}


MODULES = _modules()
ALLOWED_MODULES = frozenset(MODULES)


def guarded_import(name, globals=None, locals=None, fromlist=(), level=0):
    if level or name not in MODULES:
        raise ImportError(f"restricted method: import of {name!r} is not allowed (allowed: "
                          f"{', '.join(sorted(MODULES))})")
    return MODULES[name]


class LogPrinter:
    """``print`` in a restricted method: one log line per call (``telos.methods``)."""

    def __init__(self, _getattr_=None):
        pass

    def _call_print(self, *objects, sep=" ", end="\n"):
        log.info("%s", sep.join(str(o) for o in objects))


class StreamPrinter(LogPrinter):
    """``print`` into a stream (the sandbox's captured output)."""

    stream = None

    def _call_print(self, *objects, sep=" ", end="\n"):
        self.stream.write(sep.join(str(o) for o in objects) + end)


def _guarded_iter(ob, sentinel=guards._MISSING):
    if sentinel is guards._MISSING:
        return budget.getiter(ob)
    return budget.counting(iter(ob, sentinel))


_BUILTIN_NAMES = ("abs", "all", "any", "ascii", "bin", "bool", "callable", "chr", "complex",
                  "dict", "divmod", "enumerate", "filter", "float", "frozenset", "hash", "hex",
                  "int", "isinstance", "issubclass", "len", "list", "map", "max", "min",
                  "next", "oct", "ord", "repr", "reversed", "round", "set", "slice", "sorted",
                  "str", "sum", "tuple", "zip")


def safe_builtins() -> dict:
    b = {n: getattr(builtins, n) for n in _BUILTIN_NAMES}
    b.update({n: getattr(builtins, n) for n in _safe_exceptions})
    b.update({"None": None, "True": True, "False": False, "Ellipsis": Ellipsis})
    b.update(NotImplemented=NotImplemented, getattr=guards.guarded_getattr, hasattr=guards.guarded_hasattr,
             range=guards.guarded_range, pow=guards.guarded_pow, format=guards.guarded_format,
             iter=_guarded_iter, __import__=guarded_import)
    return b


BUILTINS = safe_builtins()


def base_namespace(printer: type = LogPrinter, extra: dict | None = None) -> dict:
    """The globals of one restricted method (a new dict each time)."""
    ns = {
        "__builtins__": BUILTINS, "__name__": "telos.method", "__metaclass__": type,
        "_getattr_": guards.guarded_getattr, "_getitem_": guards.guarded_getitem,
        "_write_": guards.guarded_write, "_apply_": guards.guarded_apply,
        "_getiter_": budget.getiter, "_iter_unpack_sequence_": guards.iter_unpack,
        "_unpack_sequence_": guards.guarded_unpack, "_inplacevar_": guards.inplacevar,
        "_print_": printer, "_enter_": budget.enter, "_leave_": budget.leave,
        "_step_": budget.step, "_check_": budget.check, "_add_": guards._add_,
        "_mult_": guards._mult_, "_mod_": guards._mod_, "_pow_": guards._pow_,
        "_lshift_": guards._lshift_, "_format_": guards._format_,
    }
    ns.update(extra or {})
    return ns
