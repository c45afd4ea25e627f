"""One execution model for code in the image (issue 12).

Every method is compiled one of two ways, decided by its provenance:

* **restricted** (the default) — compiled with RestrictedPython plus our budget hooks
  (:mod:`telos.execution.transform`), run with run-time guards (:mod:`telos.execution.guards`)
  in a curated namespace (:mod:`telos.execution.namespace`) and under an execution budget
  (:mod:`telos.execution.budget`). Methods written by the kernel, defined over the bridge or
  the inspector, or defined at the shell without ``trusted=True`` are restricted.
* **trusted** — plain Python with full builtins. Only an operator at the shell makes a method
  trusted: ``mirror(obj).define(sel, src, trusted=True)`` or ``mirror(obj).trust(sel)``. The
  mark is the provenance key ``execution = "trusted"``; a provenance *dict* can never set it
  (``define`` drops the keys ``execution`` and ``trusted`` from it), so nothing that arrives
  over the bridge can.

Methods stored before this change have no ``execution`` key: those whose author is
``genesis`` or ``system`` (written by the image's own awakening) stay trusted, every other one
is restricted (see :func:`is_trusted`).
"""

from __future__ import annotations

from telos.execution import budget
from telos.execution.budget import Limits, set_limits
from telos.execution.namespace import ALLOWED_MODULES, LogPrinter, base_namespace
from telos.execution.transform import compile_restricted

__all__ = ["ALLOWED_MODULES", "Limits", "TRUSTED", "RESTRICTED", "compile_method",
           "is_trusted", "restricted_errors", "set_limits", "budget"]

TRUSTED, RESTRICTED = "trusted", "restricted"
EXECUTION_KEY = "execution"
LEGACY_TRUSTED_AUTHORS = frozenset({"genesis", "system"})


def is_trusted(provenance: dict) -> bool:
    """Whether a method with this provenance runs as plain Python (see the module docstring)."""
    mark = provenance.get(EXECUTION_KEY)
    if mark is None:
        return provenance.get("author") in LEGACY_TRUSTED_AUTHORS
    return mark == TRUSTED


def restricted_errors(source: str, name: str = "method") -> list[str]:
    """Why ``source`` cannot be compiled as a restricted method ([] when it can)."""
    return compile_restricted(source, f"<restricted {name}>")[1]


def compile_method(name: str, source: str, filename: str, *, trusted: bool,
                   trusted_globals: dict | None = None, extra: dict | None = None,
                   printer: type | None = None):
    """The function object ``name`` defined by ``source``.

    Trusted: plain ``compile`` + ``exec`` in ``trusted_globals``. Restricted: RestrictedPython
    under :class:`~telos.execution.transform.TelosTransformer`, in a fresh
    :func:`~telos.execution.namespace.base_namespace` (plus ``extra``); raises
    ``SyntaxError`` naming the first refusal when the source is not allowed.
    """
    if trusted:
        namespace = dict(trusted_globals or {})
        exec(compile(source, filename, "exec"), namespace)
        return namespace[name]
    code, errors = compile_restricted(source, filename)
    if code is None:
        raise SyntaxError(f"method {name!r} is not allowed as a restricted method: {errors[0]}")
    namespace = base_namespace(printer or LogPrinter, extra=extra)
    exec(code, namespace)
    fn = namespace.get(name)
    if fn is None:
        raise SyntaxError(f"the source of {name!r} does not define {name}")
    return fn
