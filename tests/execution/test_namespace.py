"""telos.execution.namespace: the builtins and modules a restricted method can reach."""

from __future__ import annotations

import io
import logging
import types

import pytest

from telos.errors import RestrictedAccess
from telos.execution import compile_method, restricted_errors
from telos.execution.namespace import (ALLOWED_MODULES, BUILTINS, MODULES, StreamPrinter,
                                       base_namespace, guarded_import)


@pytest.mark.parametrize("name", ["open", "exec", "eval", "compile", "globals", "vars", "dir",
                                  "type", "object", "super", "setattr", "delattr", "input", "id",
                                  "breakpoint", "memoryview", "bytes", "bytearray"])
def test_dangerous_builtins_are_absent(name):
    assert name not in BUILTINS


def test_the_guarded_builtins_replace_the_real_ones():
    assert BUILTINS["getattr"] is not getattr and BUILTINS["range"] is not range
    assert BUILTINS["len"] is len and BUILTINS["ValueError"] is ValueError


def test_only_the_listed_modules_can_be_imported_and_never_as_modules():
    assert {"math", "random", "re", "json", "itertools", "collections"} <= ALLOWED_MODULES
    for name in ("os", "sys", "subprocess", "importlib", "socket"):
        with pytest.raises(ImportError, match="not allowed"):
            guarded_import(name)
    with pytest.raises(ImportError):
        guarded_import("math", level=1)                  # no relative imports
    for wrapped in MODULES.values():
        assert not isinstance(wrapped, types.ModuleType)
    assert guarded_import("math").sqrt(16) == 4


def test_a_wrapped_module_does_not_lead_back_to_the_real_one():
    random = guarded_import("random")
    assert not hasattr(random, "_os") and not hasattr(random, "_inst")
    assert restricted_errors("def f(self):\n    import random\n    return random._os\n")


def test_a_restricted_method_imports_the_wrapper():
    f = compile_method("f", "def f(self):\n    import math\n    return math.floor(2.7)\n", "<t>",
                       trusted=False)
    assert f(None) == 2
    g = compile_method("g", "def g(self):\n    import os\n    return 1\n", "<t>", trusted=False)
    with pytest.raises(ImportError):
        g(None)


def test_print_goes_to_the_log_by_default_and_to_a_stream_when_asked(caplog):
    src = "def f(self):\n    print('hello', 42)\n    return 1\n"
    with caplog.at_level(logging.INFO, logger="telos.methods"):
        assert compile_method("f", src, "<t>", trusted=False)(None) == 1
    assert "hello 42" in caplog.text

    class Captured(StreamPrinter):
        stream = io.StringIO()

    f = compile_method("f", src, "<t>", trusted=False, printer=Captured)
    f(None)
    assert Captured.stream.getvalue() == "hello 42\n"


def test_each_method_gets_a_fresh_namespace_with_extras():
    a, b = base_namespace(extra={"Point": 1}), base_namespace()
    assert a is not b and a["Point"] == 1 and "Point" not in b
    assert a["__builtins__"] is BUILTINS


def test_getattr_inside_a_method_is_guarded():
    f = compile_method("f", "def f(self):\n    return getattr(self, '_' + '_class__')\n", "<t>",
                       trusted=False)
    with pytest.raises(RestrictedAccess):
        f(1)
