"""Step 4 of the cognitive cycle: a static policy check of generated source, by AST.

This is the first fence, not the only one: whatever passes still runs in the sandbox
(:mod:`telos.kernel.sandbox`) before it may touch the image. The rules:

- exactly one top-level ``def`` of the requested name, taking ``self`` first;
- imports only from :data:`ALLOWED_MODULES` (pure computation: math, statistics, ...), and only
  inside the function;
- no name from :data:`FORBIDDEN_NAMES` (``exec``, ``eval``, ``open``, ``__import__``, ...);
- no dunder attribute access (``x.__class__``, ``self.__dict__``) — the usual sandbox escapes;
  no ``_v_``/``_p_`` attribute (volatile and persistence internals);
- no ``global``/``nonlocal``, no ``async``, no ``yield`` (methods return values);
- bounded size;
- and it must compile as a *restricted* method (:mod:`telos.execution`: RestrictedPython plus
  the budget hooks), which is how it will run — in the trial and in the image.
"""

from __future__ import annotations

import ast

from telos.errors import GenerationError
from telos.execution import ALLOWED_MODULES, restricted_errors

STEP = "policy"

__all__ = ["ALLOWED_MODULES", "FORBIDDEN_NAMES", "MAX_SOURCE_CHARS", "check"]

FORBIDDEN_NAMES = frozenset({
    "exec", "eval", "compile", "open", "__import__", "globals", "locals", "vars", "input",
    "breakpoint", "getattr", "setattr", "delattr", "memoryview", "help", "exit", "quit",
    "__builtins__", "__loader__", "__spec__", "type", "super", "object", "classmethod",
    "staticmethod", "property",
})

MAX_SOURCE_CHARS = 8000


def _fail(reason: str, selector: str) -> GenerationError:
    return GenerationError(STEP, reason, selector=selector)


def check(source: str, selector: str) -> ast.FunctionDef:
    """Raise GenerationError(step="policy") unless ``source`` is one allowed method ``selector``."""
    if len(source) > MAX_SOURCE_CHARS:
        raise _fail(f"source too long ({len(source)} > {MAX_SOURCE_CHARS} characters)", selector)
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise _fail(f"syntax error: {exc.msg} (line {exc.lineno})", selector) from exc
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.FunctionDef):
        raise _fail("the source must be exactly one top-level def", selector)
    fn = tree.body[0]
    if fn.name != selector:
        raise _fail(f"the function is named {fn.name!r}, expected {selector!r}", selector)
    params = fn.args.posonlyargs + fn.args.args
    if not params or params[0].arg != "self":
        raise _fail(f"the first parameter of {selector} must be self", selector)
    if fn.decorator_list:
        raise _fail("decorators are not allowed", selector)
    for node in ast.walk(fn):
        _check_node(node, selector)
    errors = restricted_errors(source, selector)
    if errors:
        raise _fail(f"not allowed as a restricted method: {errors[0]}", selector)
    return fn


def _check_node(node: ast.AST, selector: str) -> None:
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                raise _fail("relative imports are not allowed", selector)
            names = [node.module or ""]
        else:
            names = [alias.name for alias in node.names]
        for name in names:
            if name.split(".")[0] not in ALLOWED_MODULES:
                raise _fail(f"import of {name!r} is not allowed (allowed: "
                            f"{', '.join(sorted(ALLOWED_MODULES))})", selector)
    elif isinstance(node, ast.Name):
        if node.id in FORBIDDEN_NAMES:
            raise _fail(f"use of {node.id!r} is not allowed", selector)
        if node.id.startswith("__"):
            raise _fail(f"use of dunder name {node.id!r} is not allowed", selector)
    elif isinstance(node, ast.Attribute):
        attr = node.attr
        if attr.startswith("__") and attr.endswith("__"):
            raise _fail(f"dunder attribute access .{attr} is not allowed", selector)
        if attr.startswith(("_p_", "_v_", "_data", "_methods", "_parents")):
            raise _fail(f"access to the internal attribute .{attr} is not allowed", selector)
        if attr in ("gi_frame", "f_globals", "f_locals", "f_back", "tb_frame", "cr_frame",
                    "ag_frame", "f_builtins", "func_globals"):
            raise _fail(f"frame/introspection attribute .{attr} is not allowed", selector)
    elif isinstance(node, (ast.Global, ast.Nonlocal)):
        raise _fail("global/nonlocal statements are not allowed", selector)
    elif isinstance(node, (ast.AsyncFunctionDef, ast.Await, ast.AsyncFor, ast.AsyncWith)):
        raise _fail("async code is not allowed", selector)
    elif isinstance(node, (ast.Yield, ast.YieldFrom)):
        raise _fail("generators are not allowed: return a value", selector)
    elif isinstance(node, ast.ClassDef):
        raise _fail("class definitions are not allowed", selector)
    elif isinstance(node, ast.Constant) and isinstance(node.value, str):
        if "__" in node.value and any(w in node.value for w in ("__class__", "__globals__",
                                                                  "__subclasses__", "__dict__")):
            raise _fail("string naming an introspection attribute is not allowed", selector)
