"""Extraction of exactly one function, and the AST policy."""

from __future__ import annotations

import pytest

from telos.errors import GenerationError
from telos.kernel.extract import extract_function
from telos.kernel.policy import check


def test_fenced_block_with_prose_around():
    reply = "Sure!\n```python\ndef area(self):\n    return 1\n```\nDone."
    assert extract_function(reply, "area") == "def area(self):\n    return 1"


def test_unfenced_code_followed_by_prose():
    reply = "def area(self):\n    return 2\n\nThis method returns two."
    assert extract_function(reply, "area") == "def area(self):\n    return 2"


def test_the_requested_function_among_others_and_the_few_shot_repeat():
    reply = ("```python\ndef total(self):\n    return 0\n```\n"
             "```python\ndef area(self):\n    return 3\n```")
    assert extract_function(reply, "area") == "def area(self):\n    return 3"


def test_two_different_definitions_are_refused():
    reply = "```python\ndef area(self):\n    return 1\n\ndef area(self):\n    return 2\n```"
    with pytest.raises(GenerationError, match="2 different definitions"):
        extract_function(reply, "area")


@pytest.mark.parametrize("reply,reason", [
    ("", "empty"),
    ("I cannot do that.", "no definition"),
    ("```python\ndef other(self):\n    return 1\n```", "no function named 'area'"),
    ("```python\ndef area(self)\n    return 1\n```", "syntax error"),
])
def test_bad_replies_name_the_problem(reply, reason):
    with pytest.raises(GenerationError) as info:
        extract_function(reply, "area")
    assert info.value.step == "extract" and reason in info.value.reason


def test_policy_accepts_allowed_imports_and_plain_code():
    check("def area(self, r):\n    import math\n    return math.pi * r * r", "area")


@pytest.mark.parametrize("code,reason", [
    ("def area(self):\n    import os\n    return 1", "import of 'os'"),
    ("def area(self):\n    from subprocess import run\n    return 1", "import of 'subprocess'"),
    ("def area(self):\n    return eval('1')", "'eval'"),
    ("def area(self):\n    return exec('1')", "'exec'"),
    ("def area(self):\n    return __import__('os')", "__import__"),
    ("def area(self):\n    return open('/etc/passwd')", "'open'"),
    ("def area(self):\n    return self.__class__", "dunder attribute"),
    ("def area(self):\n    return ().__class__.__bases__[0].__subclasses__()", "dunder"),
    ("def area(self):\n    return self._p_jar", "internal attribute"),
    ("def area(self):\n    global x\n    return 1", "global"),
    ("def area(self):\n    yield 1", "generators"),
    ("def area(self):\n    return getattr(self, 'x')", "'getattr'"),
    ("def area():\n    return 1", "must be self"),
    ("def other(self):\n    return 1", "expected 'area'"),
    ("x = 1\ndef area(self):\n    return x", "exactly one top-level def"),
])
def test_policy_refuses(code, reason):
    with pytest.raises(GenerationError) as info:
        check(code, "area")
    assert info.value.step == "policy" and reason in info.value.reason
