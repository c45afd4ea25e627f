"""Ollama through its official client, with errors translated at the boundary.

- host: the argument, else ``OLLAMA_HOST``, else ``http://127.0.0.1:11434``;
- an explicit timeout (the client's default is to wait forever);
- with ``stream=True`` a refused connection surfaces as a raw ``httpx.ConnectError`` on the
  first ``next()`` (not as the client's ``ConnectionError``): both become
  :class:`~telos.errors.LLMUnavailable` with the command that fixes it;
- HTTP 404 for a model becomes :class:`~telos.errors.ModelNotFound` ("run `ollama pull ...`").

``chat()`` returns a :class:`~telos.llm.stream.TokenStream` fed by a reader thread: the HTTP
response is closed as soon as the consumer closes the stream or its request is cancelled.
"""

from __future__ import annotations

import logging
from typing import Iterator, Mapping, Sequence
from urllib.parse import urlsplit

import httpx
import ollama

from telos import config
from telos.errors import LLMError, LLMTimeout, LLMUnavailable, ModelNotFound
from telos.llm.stream import TokenStream, stream_from_thread
from telos.scope import Progress

log = logging.getLogger(__name__)

DEFAULT_HOST = "http://127.0.0.1:11434"
DEFAULT_MODEL = "phi3:3.8b"


def normalize_host(host: str | None) -> str:
    """``host`` / ``OLLAMA_HOST`` as a full URL: ``0.0.0.0`` → ``127.0.0.1``, default port."""
    host = (host or config.get("ollama_host") or DEFAULT_HOST).strip()
    if "://" not in host:
        host = "http://" + host
    parts = urlsplit(host)
    hostname = parts.hostname or "127.0.0.1"
    if hostname == "0.0.0.0":
        hostname = "127.0.0.1"
    if ":" in hostname:
        hostname = f"[{hostname}]"
    port = parts.port or (443 if parts.scheme == "https" else 11434)
    return f"{parts.scheme}://{hostname}:{port}{parts.path.rstrip('/')}"


#: options only the embedded backend understands (the kernel's ``stop_after_def``: Ollama
#: gets the kernel's stop strings instead); not sent to the server
EMBEDDED_ONLY = ("stop_after_def", "reuse_prompt")

class OllamaBackend:
    name = "ollama"

    def __init__(self, host: str | None = None, *, model: str = DEFAULT_MODEL,
                 timeout: float = 120.0, connect_timeout: float = 3.0):
        self.host = normalize_host(host)
        self.model = model
        self.timeout = timeout
        self._client = ollama.Client(host=self.host,
                                     timeout=httpx.Timeout(timeout, connect=connect_timeout))

    # -- error translation -------------------------------------------------------------------
    def _translate(self, exc: BaseException, model: str | None) -> LLMError:
        if isinstance(exc, ollama.ResponseError):
            if exc.status_code == 404 and model:
                return ModelNotFound(f"model {model} not pulled — run `ollama pull {model}`")
            return LLMError(f"Ollama at {self.host} answered {exc.status_code}: {exc.error}")
        if isinstance(exc, httpx.TimeoutException):
            return LLMTimeout(f"Ollama at {self.host} did not answer within {self.timeout:g} s")
        if isinstance(exc, (httpx.ConnectError, ConnectionError, httpx.RemoteProtocolError)):
            return LLMUnavailable(f"no Ollama at {self.host} — start `ollama serve`")
        if isinstance(exc, httpx.HTTPError):
            return LLMUnavailable(f"Ollama at {self.host} failed: {exc}")
        return LLMError(f"Ollama at {self.host}: {exc}")

    _FOREIGN = (ollama.ResponseError, httpx.HTTPError, ConnectionError)

    # -- protocol ----------------------------------------------------------------------------
    def chat(self, messages: Sequence[Mapping[str, str]], *, model: str | None = None,
             keep_alive=None, options: Mapping | None = None) -> TokenStream:
        model = model or self.model
        return stream_from_thread(
            f"Ollama {model}", lambda: self._chat_pieces(model, list(messages), keep_alive, options),
            Progress("waiting", f"waiting for Ollama at {self.host} ({model})"))

    def _chat_pieces(self, model: str, messages: list, keep_alive, options) -> Iterator[str]:
        options = {k: v for k, v in dict(options or {}).items() if k not in EMBEDDED_ONLY}
        try:
            stream = self._client.chat(model=model, messages=messages, stream=True,
                                       keep_alive=keep_alive, options=options)
            try:
                for part in stream:
                    text = part.message.content if part.message else ""
                    if text:
                        yield text
            finally:
                close = getattr(stream, "close", None)
                if callable(close):
                    close()
        except self._FOREIGN as exc:
            raise self._translate(exc, model) from exc

    def generate(self, prompt: str, *, model: str | None = None, keep_alive=None,
                 options: Mapping | None = None) -> Iterator[str]:
        model = model or self.model
        try:
            for part in self._client.generate(model=model, prompt=prompt, stream=True,
                                              keep_alive=keep_alive, options=dict(options or {})):
                if part.response:
                    yield part.response
        except self._FOREIGN as exc:
            raise self._translate(exc, model) from exc

    def models(self) -> list[str]:
        try:
            return [m.model for m in self._client.list().models]
        except self._FOREIGN as exc:
            raise self._translate(exc, None) from exc

    def loaded(self) -> list[dict]:
        try:
            return [{"model": m.model, "size": int(m.size or 0),
                     "size_vram": int(m.size_vram or 0)} for m in self._client.ps().models]
        except self._FOREIGN as exc:
            raise self._translate(exc, None) from exc

    def unload(self, model: str) -> None:
        """Ollama's documented way: a generate request with no prompt and ``keep_alive=0``."""
        try:
            self._client.generate(model=model, prompt="", keep_alive=0)
        except self._FOREIGN as exc:
            raise self._translate(exc, model) from exc

    def show(self, model: str | None = None) -> dict:
        model = model or self.model
        try:
            resp = self._client.show(model)
        except self._FOREIGN as exc:
            raise self._translate(exc, model) from exc
        return {"model": model, "model_info": dict(resp.modelinfo or {}),
                "details": resp.details.model_dump() if resp.details else {}}

    def reachable(self) -> bool:
        try:
            self._client.ps()
            return True
        except self._FOREIGN:
            return False

    def warm(self) -> None:
        """Nothing to load here: Ollama loads a persona's model on its first request."""

    def readiness(self) -> Progress:
        return Progress("ready", f"Ollama at {self.host}")

    def status(self) -> dict:
        return {"backend": self.name, "model": self.model, "host": self.host}
