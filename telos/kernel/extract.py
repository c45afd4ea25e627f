"""Step 3 of the cognitive cycle: find exactly one function definition of the requested name
in a model's reply.

Models wrap code in Markdown fences, add prose, repeat the few-shot example, or write several
functions. We look at every fenced block (and, if there is none, at the whole reply), parse each
candidate with :mod:`ast`, and keep the top-level ``def`` whose name is the selector. Anything
else is a :class:`~telos.errors.GenerationError` at step ``"extract"`` with a reason the model can
act on when it is fed back.
"""

from __future__ import annotations

import ast
import re
import textwrap

from telos.errors import GenerationError

STEP = "extract"

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.S)


def candidates(reply: str) -> list[str]:
    """Code blocks of a reply, in order; the reply itself when it has no fence."""
    blocks = [body for lang, body in _FENCE.findall(reply)
              if lang.lower() in ("", "python", "py", "python3")]
    if not blocks:
        blocks = [reply]
    return [textwrap.dedent(b).strip("\n") for b in blocks]


def _trim_to_parsable(code: str) -> ast.Module | None:
    """Parse ``code``; if prose follows the code, retry on shorter prefixes (line by line)."""
    lines = code.splitlines()
    for end in range(len(lines), 0, -1):
        try:
            return ast.parse("\n".join(lines[:end]))
        except SyntaxError:
            continue
    return None


def extract_function(reply: str, selector: str) -> str:
    """The source of the one top-level ``def selector(...)`` in ``reply``.

    Raises GenerationError(step="extract") when there is none, when the code does not parse, or
    when two different definitions of the name are offered.
    """
    if not reply or not reply.strip():
        raise GenerationError(STEP, "the reply was empty", selector=selector)
    found: list[str] = []
    other_names: list[str] = []
    syntax: SyntaxError | None = None
    for code in candidates(reply):
        try:
            tree = ast.parse(code)
        except SyntaxError as exc:
            if "def " in code:
                syntax = exc
            if f"def {selector}" not in code:
                continue
            # keep only what starts at the def and parses (prose or junk may follow it)
            start = code.index(f"def {selector}")
            line_start = code.rfind("\n", 0, start) + 1
            tree = _trim_to_parsable(textwrap.dedent(code[line_start:]))
            if tree is None:
                continue
            code = textwrap.dedent(code[line_start:])
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if node.name == selector:
                    src = ast.get_source_segment(code, node)
                    if node.decorator_list:
                        raise GenerationError(STEP, f"def {selector} must not have decorators",
                                              selector=selector)
                    if src not in found:
                        found.append(src)
                else:
                    other_names.append(node.name)
    if not found:
        if other_names:
            raise GenerationError(
                STEP, f"no function named {selector!r} (found {', '.join(other_names)}); "
                      f"write def {selector}(self, ...)", selector=selector)
        if syntax is not None:
            raise GenerationError(
                STEP, f"syntax error: {syntax.msg} (line {syntax.lineno})", selector=selector)
        raise GenerationError(STEP, f"no definition of {selector!r} in the reply",
                              selector=selector)
    if len(found) > 1:
        raise GenerationError(STEP, f"{len(found)} different definitions of {selector!r}; "
                                    "write exactly one", selector=selector)
    return found[0]
