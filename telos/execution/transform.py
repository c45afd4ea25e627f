"""Compiling a restricted method: RestrictedPython's transformer plus the budget hooks.

RestrictedPython (the Zope sandbox) already refuses names and attributes starting with ``_``,
``exec``/``eval``, and rewrites ``a.b`` → ``_getattr_(a, 'b')``, ``a[k]`` → ``_getitem_(a, k)``,
``a.b = v`` → ``_write_(a).b = v``, ``for`` → ``_getiter_``. On top of that we:

- refuse ``class``, ``yield``, ``global``, decorators and ``async`` code;
- wrap every function body in ``_enter_(name)`` … ``finally: _leave_()`` (depth, budget);
- start every ``while`` body with ``_step_()`` and every ``except``/``finally`` body with
  ``_check_()`` (see :mod:`telos.execution.budget`);
- route ``+ * % ** <<`` through size guards (``_add_`` … ``_lshift_``) and formatted values
  with a format spec (``f"{x:>{n}}"``) through ``_format_``;
- allow ``x.a += v`` / ``d[k] += v`` when ``x``/``d`` is a plain name and ``k`` a name or a
  constant (rewritten to ``x.a = x.a + v``, so the write still goes through ``_write_``).
"""

from __future__ import annotations

import ast

from RestrictedPython.transformer import RestrictingNodeTransformer

_GUARDED_OPS = {ast.Add: "_add_", ast.Mult: "_mult_", ast.Mod: "_mod_", ast.Pow: "_pow_",
                ast.LShift: "_lshift_"}


def _call(name: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=ast.Name(name, ast.Load()), args=list(args), keywords=[])


def _stmt(name: str, *args: ast.expr) -> ast.Expr:
    return ast.Expr(_call(name, *args))


class TelosTransformer(RestrictingNodeTransformer):
    """RestrictedPython's policy, plus the budget hooks and size guards described above."""

    def visit_ClassDef(self, node):
        self.error(node, "class definitions are not allowed in a restricted method.")
        return node

    def visit_Yield(self, node):
        self.error(node, "generators (yield) are not allowed in a restricted method.")
        return node

    visit_YieldFrom = visit_Yield

    def visit_Global(self, node):
        self.error(node, "global statements are not allowed in a restricted method.")
        return node

    def visit_FunctionDef(self, node):
        if node.decorator_list:
            self.error(node, "decorators are not allowed in a restricted method.")
            return node
        node = super().visit_FunctionDef(node)
        body = node.body
        node.body = [_stmt("_enter_", ast.Constant(node.name)),
                     ast.Try(body=body, handlers=[], orelse=[], finalbody=[_stmt("_leave_")])]
        return node

    def visit_While(self, node):
        node = self.node_contents_visit(node)
        node.body.insert(0, _stmt("_step_"))
        return node

    def visit_ExceptHandler(self, node):
        node = super().visit_ExceptHandler(node)
        node.body.insert(0, _stmt("_check_"))
        return node

    def visit_Try(self, node):
        node = super().visit_Try(node)
        if node.finalbody:
            node.finalbody.insert(0, _stmt("_check_"))
        return node

    def visit_BinOp(self, node):
        node = self.node_contents_visit(node)
        guard = _GUARDED_OPS.get(type(node.op))
        if guard is None:
            return node
        new = _call(guard, node.left, node.right)
        ast.copy_location(new, node)
        return new

    def visit_FormattedValue(self, node):
        node = self.node_contents_visit(node)
        if node.format_spec is None:
            return node
        value = _call("_format_", node.value, ast.Constant(node.conversion), node.format_spec)
        ast.copy_location(value, node)
        return ast.FormattedValue(value=value, conversion=-1, format_spec=None)

    def visit_AugAssign(self, node):
        target = node.target
        simple = None
        if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
            simple = (ast.Attribute(value=ast.Name(target.value.id, ast.Load()),
                                    attr=target.attr, ctx=ast.Store()),
                      ast.Attribute(value=ast.Name(target.value.id, ast.Load()),
                                    attr=target.attr, ctx=ast.Load()))
        elif (isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name)
              and isinstance(target.slice, (ast.Name, ast.Constant))):
            simple = (ast.Subscript(value=ast.Name(target.value.id, ast.Load()),
                                    slice=target.slice, ctx=ast.Store()),
                      ast.Subscript(value=ast.Name(target.value.id, ast.Load()),
                                    slice=target.slice, ctx=ast.Load()))
        if simple is not None:
            store, load = simple
            new = ast.Assign(targets=[store], value=ast.BinOp(left=load, op=node.op,
                                                              right=node.value))
            ast.copy_location(new, node)
            ast.fix_missing_locations(new)
            return self.visit(new)
        return super().visit_AugAssign(node)


def compile_restricted(source: str, filename: str):
    """Bytecode of ``source`` under :class:`TelosTransformer`, or ``(None, errors)``."""
    errors: list[str] = []
    try:
        tree = ast.parse(source, filename, "exec")
    except SyntaxError as exc:
        return None, [f"syntax error on line {exc.lineno}: {exc.msg}"]
    TelosTransformer(errors, [], {}).visit(tree)
    if errors:
        return None, errors
    ast.fix_missing_locations(tree)
    return compile(tree, filename, "exec"), []
