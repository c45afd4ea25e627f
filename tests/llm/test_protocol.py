"""telos.llm.protocol: the backend protocol and :func:`complete`."""

from __future__ import annotations

import pytest

from telos.errors import LLMUnavailable
from telos.llm.protocol import LLMBackend, complete


class Scripted:
    name, model = "scripted", "m"

    def __init__(self, pieces=(), error=None):
        self.pieces, self.error, self.calls = list(pieces), error, []

    def chat(self, messages, *, model=None, keep_alive=None, options=None):
        self.calls.append((list(messages), model, keep_alive, options))
        if self.error:
            raise self.error
        yield from self.pieces

    def models(self):
        return [self.model]

    def loaded(self):
        return []

    def unload(self, model):
        pass

    def status(self):
        return {"backend": self.name, "model": self.model}


def test_a_backend_that_has_every_method_is_an_llm_backend():
    assert isinstance(Scripted(), LLMBackend)

    class Half:
        name, model = "half", "m"

        def chat(self, messages, **kw):
            return iter(())

    assert not isinstance(Half(), LLMBackend)


def test_complete_joins_the_pieces_and_passes_the_options_on():
    b = Scripted(["Hel", "lo", "!"])
    msgs = [{"role": "user", "content": "hi"}]
    assert complete(b, msgs, model="x", keep_alive=0, options={"temperature": 0}) == "Hello!"
    assert b.calls == [(msgs, "x", 0, {"temperature": 0})]


def test_complete_raises_the_backends_error():
    with pytest.raises(LLMUnavailable):
        complete(Scripted(error=LLMUnavailable("down")), [])
