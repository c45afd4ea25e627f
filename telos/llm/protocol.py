"""The one small protocol every language-model backend speaks.

A backend streams chat replies as text pieces, lists the models it has, tells which are loaded
(and how much (V)RAM they take), unloads one, and describes itself in ``status()``. Errors are
our own (:class:`~telos.errors.LLMUnavailable`, :class:`~telos.errors.ModelNotFound`,
:class:`~telos.errors.LLMTimeout`), raised from the first ``next()`` at the latest.
"""

from __future__ import annotations

from typing import Iterator, Mapping, Protocol, Sequence, runtime_checkable

ChatMessage = Mapping[str, str]          # {"role": "system" | "user" | "assistant", "content": ...}
KeepAlive = "float | str | None"         # Ollama's keep_alive: seconds, "5m", -1 (forever), 0 (unload)


@runtime_checkable
class LLMBackend(Protocol):
    name: str           # "ollama" | "embedded" | ...
    model: str          # the backend's default model

    def chat(self, messages: Sequence[ChatMessage], *, model: str | None = None,
             keep_alive=None, options: Mapping | None = None) -> Iterator[str]:
        """Stream the reply to ``messages`` as text pieces (greedy when options temperature=0)."""

    def models(self) -> list[str]:
        """Names of the models this backend can run."""

    def loaded(self) -> list[dict]:
        """Loaded models: dicts with ``model``, ``size`` and ``size_vram`` (bytes)."""

    def unload(self, model: str) -> None:
        """Free the model's memory now."""

    def status(self) -> dict:
        """At least ``backend`` and ``model``; shown by the service and the UI."""


def complete(backend: LLMBackend, messages: Sequence[ChatMessage], **kw) -> str:
    """The whole reply as one string."""
    return "".join(backend.chat(messages, **kw))
