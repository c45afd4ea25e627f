"""Run-time guards of restricted methods: attribute, item and write access, formatting, sizes.

What a restricted method can never reach, however the name is spelled or assembled:

- an attribute whose name starts with ``_`` (``x.__class__``, ``random._os``,
  ``getattr(x, '_' + '_cl' + 'ass__')``), nor the frame/code attributes RestrictedPython lists
  (``gi_frame``, ``f_globals``, ...);
- a module object (an attribute or item whose value is a module is refused);
- the same through ``str.format``/``format_map`` field walks (``'{0.__class__}'``), through
  ``operator.attrgetter``/``methodcaller`` and ``functools.reduce(getattr, ...)`` (they all end
  in :func:`guarded_getattr`);
- writes (``x.a = v``, ``x[k] = v``) to anything but image objects and plain containers.

Size guards (``+ * % ** <<``, ``range``, padding methods, format widths) refuse results larger
than the budget's ``size``/``int_bits``/``range`` limits and charge what they build against its
``memory`` limit (:mod:`telos.execution.budget`).
"""

from __future__ import annotations

import _string
import operator
import re
import string
import types
from collections import Counter, OrderedDict, defaultdict, deque

from RestrictedPython.transformer import INSPECT_ATTRIBUTES

from telos.errors import RestrictedAccess
from telos.execution import budget

_MISSING = object()
_PAD_METHODS = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs"})


def _refuse(what: str) -> RestrictedAccess:
    return RestrictedAccess(f"restricted method: {what} is not allowed")


def _check_name(name) -> str:
    if type(name) is not str:
        raise TypeError("attribute name must be a string")
    if name.startswith("_"):
        raise _refuse(f"the attribute {name!r} (names starting with '_' are private)")
    if name in INSPECT_ATTRIBUTES:
        raise _refuse(f"the introspection attribute {name!r}")
    return name


def _no_module(value, what: str):
    if isinstance(value, types.ModuleType):
        raise _refuse(f"{what}: module objects are not reachable")
    return value


def guarded_getattr(obj, name, default=_MISSING):
    """``_getattr_`` and the ``getattr`` builtin of restricted methods."""
    _check_name(name)
    if isinstance(obj, types.ModuleType):
        raise _refuse("reading attributes of a module object")
    if isinstance(obj, str) and name in ("format", "format_map"):
        return getattr(_FORMATTER, name)(obj)
    if isinstance(obj, (str, bytes)) and name in _PAD_METHODS:
        return _sized_method(obj, name)
    try:
        value = getattr(obj, name)
    except AttributeError:
        if default is _MISSING:
            raise
        return default
    return _no_module(value, f"attribute {name!r}")


def guarded_hasattr(obj, name) -> bool:
    try:
        guarded_getattr(obj, name)
    except AttributeError:
        return False
    return True


def guarded_getitem(obj, key):
    return _no_module(obj[key], "an item")


# Containers a restricted method may change in place; UvmObject is added by the namespace.
WRITABLE = [list, dict, set, bytearray, deque, Counter, OrderedDict, defaultdict]


def guarded_write(obj):
    """``_write_``: ``obj.a = v`` / ``obj[k] = v`` only on image objects and plain containers."""
    if isinstance(obj, tuple(WRITABLE)):
        return obj
    raise _refuse(f"changing a {type(obj).__name__} object")


def guarded_apply(f, *args, **kwargs):
    return f(*args, **kwargs)


def guarded_unpack(it, spec, _getiter_=None):
    return list(budget.getiter(it))


def iter_unpack(it, spec, _getiter_=None):
    for item in budget.getiter(it):
        yield item


# --- sizes ---------------------------------------------------------------------------------

def _limits():
    b = budget.current()
    return b.limits if b is not None else budget.LIMITS[0]


def _sized(n: int, what: str, nbytes: int | None = None) -> None:
    if n > _limits().size:
        raise budget.too_big(what, n)
    budget.charge(n if nbytes is None else nbytes, what)


_SEQ = (str, bytes, bytearray, list, tuple)


def _add_(a, b):
    if type(a) in (int, float) and type(b) in (int, float):
        return a + b
    if isinstance(a, _SEQ) and isinstance(b, _SEQ):
        n = len(a) + len(b)
        _sized(n, "concatenation", n if isinstance(a, (str, bytes, bytearray)) else 8 * n)
    return a + b


def _int_check(value, what: str) -> None:
    if isinstance(value, int) and value.bit_length() > _limits().int_bits:
        raise budget.too_big(what, value.bit_length(), "int_bits")


def _mult_(a, b):
    ta, tb = type(a), type(b)
    if ta is int and tb is int:
        if a.bit_length() + b.bit_length() > _limits().int_bits:
            raise budget.too_big("integer product (bits)", a.bit_length() + b.bit_length(),
                                 "int_bits")
        return a * b
    if ta is float or tb is float:
        return a * b
    seq, count = (a, b) if isinstance(a, _SEQ) else (b, a)
    if isinstance(seq, _SEQ) and isinstance(count, int):
        n = len(seq) * max(count, 0)
        _sized(n, "repetition", n if isinstance(seq, (str, bytes, bytearray)) else 8 * n)
    return a * b


def _pow_(a, b, mod=None):
    if mod is not None:
        return pow(a, b, mod)
    if isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1:
        bits = (abs(a).bit_length() - 1) * b
        if bits > _limits().int_bits:
            raise budget.too_big("power (bits)", bits, "int_bits")
    return a ** b


def _lshift_(a, b):
    if isinstance(a, int) and isinstance(b, int) and a and a.bit_length() + b > _limits().int_bits:
        raise budget.too_big("left shift (bits)", a.bit_length() + b, "int_bits")
    return a << b


_PERCENT = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


def _mod_(a, b):
    if isinstance(a, (str, bytes)):
        text = a if isinstance(a, str) else a.decode("latin-1")
        for width, precision in _PERCENT.findall(text):
            for part in (width, precision):
                if part == "*":
                    raise _refuse("a '*' width in %-formatting")
                if part and int(part) > _limits().size:
                    raise budget.too_big("%-format width", int(part))
    return a % b


_WIDTH = re.compile(r"(\d+)")


def _check_spec(spec: str) -> None:
    for digits in _WIDTH.findall(spec or ""):
        if len(digits) > 9 or int(digits) > _limits().size:
            raise budget.too_big("format width", int(digits[:12]))


def guarded_format(value, spec=""):
    """The ``format`` builtin."""
    _check_spec(spec)
    return format(value, spec)


def _format_(value, conversion, spec):
    """An f-string field with a format spec: ``f"{x!r:>{n}}"``."""
    if conversion == 115:
        value = str(value)
    elif conversion == 114:
        value = repr(value)
    elif conversion == 97:
        value = ascii(value)
    return guarded_format(value, spec)


def _sized_method(obj, name):
    method = getattr(obj, name)

    def sized(*args, **kwargs):
        for arg in (*args, *kwargs.values()):
            if isinstance(arg, int) and arg > _limits().size:
                raise budget.too_big(f"{type(obj).__name__}.{name} width", arg)
        return method(*args, **kwargs)
    return sized


def guarded_range(*args):
    r = range(*args)
    if len(r) > _limits().range:
        raise budget.too_big("range length", len(r), "range")
    return r


def guarded_pow(a, b, mod=None):
    return _pow_(a, b, mod)


class _Formatter(string.Formatter):
    """``str.format`` whose field walks (``{0.a.b[c]}``) use the guards."""

    def get_field(self, field_name, args, kwargs):
        first, rest = _string.formatter_field_name_split(field_name)
        obj = self.get_value(first, args, kwargs)
        for is_attr, key in rest:
            obj = guarded_getattr(obj, key) if is_attr else guarded_getitem(obj, key)
        return obj, first

    def format_field(self, value, format_spec):
        return guarded_format(value, format_spec)

    def format(self, template):
        return lambda *args, **kwargs: self.vformat(template, args, kwargs)

    def format_map(self, template):
        return lambda mapping: self.vformat(template, (), mapping)


_FORMATTER = _Formatter()


def inplacevar(op: str, x, y):
    """``_inplacevar_``: ``n += 1`` with the same guards as the binary operators."""
    fn = _INPLACE.get(op)
    if fn is None:
        raise _refuse(f"the operator {op}")
    return fn(x, y)


_INPLACE = {"+=": _add_, "-=": operator.sub, "*=": _mult_, "/=": operator.truediv,
            "%=": _mod_, "**=": _pow_, "<<=": _lshift_, ">>=": operator.rshift,
            "|=": operator.or_, "^=": operator.xor, "&=": operator.and_,
            "//=": operator.floordiv, "@=": operator.matmul}


def attrgetter(*names):
    for n in names:
        for part in str(n).split("."):
            _check_name(part)

    def get(obj):
        values = []
        for n in names:
            v = obj
            for part in n.split("."):
                v = guarded_getattr(v, part)
            values.append(v)
        return values[0] if len(values) == 1 else tuple(values)
    return get


def methodcaller(name, *args, **kwargs):
    _check_name(name)
    return lambda obj: guarded_getattr(obj, name)(*args, **kwargs)
