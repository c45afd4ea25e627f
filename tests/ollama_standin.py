"""A STAND-IN for an Ollama server (the only stand-in the project allows), for tests.

It speaks the part of Ollama's HTTP API our backend uses, so the real ``ollama`` client talks to
it unchanged: NDJSON streaming ``POST /api/chat`` and ``/api/generate``, ``GET /api/tags``,
``GET /api/ps``, ``POST /api/show`` (with ``model_info``). Replies are scripted: a queue of texts
(or callables ``request -> text``), consumed one per chat/generate. It records every request,
the ``keep_alive`` each one carried, the order in which models were loaded and unloaded, and the
largest total size of the models loaded at the same time — so tests can check the orchestrator's
VRAM policy against what a server actually saw.

Loading model semantics follow Ollama: a request loads its model; ``keep_alive == 0`` unloads it
right after the reply; an empty-prompt generate with ``keep_alive == 0`` just unloads.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GB = 10**9

DEFAULT_MODELS = {          # the blueprint's persona models and their VRAM sizes
    "phi3:3.8b": 2.2 * GB,
    "mistral:7b": 4.1 * GB,
    "gemma2:9b": 5.4 * GB,
    "qwen2:7b": 4.4 * GB,
}


class OllamaStandIn:
    """``with OllamaStandIn(replies=[...]) as srv: OllamaBackend(srv.url)``."""

    def __init__(self, replies=(), *, models: dict[str, float] | None = None,
                 default_reply: str | None = None, delay: float = 0.0):
        self.models = dict(DEFAULT_MODELS if models is None else models)
        self.replies: deque = deque(replies)
        self.default_reply = default_reply
        self.delay = delay
        self.requests: list[dict] = []          # {"path", "body"}
        self.keep_alives: list[tuple[str, object]] = []   # (model, keep_alive) per chat/generate
        self.events: list[tuple[str, str]] = []  # ("load" | "unload", model), in order
        self.loaded: dict[str, float] = {}       # model -> size
        self.max_loaded_bytes = 0.0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def load_order(self) -> list[str]:
        return [m for kind, m in self.events if kind == "load"]

    def start(self) -> "OllamaStandIn":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "OllamaStandIn":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def script(self, *replies) -> None:
        self.replies.extend(replies)

    # -- model state ----------------------------------------------------------------------
    def _load(self, model: str) -> None:
        if model not in self.loaded:
            self.loaded[model] = self.models[model]
            self.events.append(("load", model))
            self.max_loaded_bytes = max(self.max_loaded_bytes, sum(self.loaded.values()))

    def _unload(self, model: str) -> None:
        if self.loaded.pop(model, None) is not None:
            self.events.append(("unload", model))

    def _next_reply(self, body: dict) -> str:
        if self.replies:
            reply = self.replies.popleft()
        elif self.default_reply is not None:
            reply = self.default_reply
        else:
            raise AssertionError(f"the stand-in has no scripted reply left for {body}")
        return reply(body) if callable(reply) else str(reply)

    # -- HTTP -----------------------------------------------------------------------------
    def _handler(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def _json(self, code: int, doc: dict) -> None:
                data = json.dumps(doc).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self) -> dict:
                n = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(n) if n else b"{}"
                try:
                    return json.loads(raw or b"{}")
                except ValueError:
                    return {"__malformed__": raw.decode("latin-1")}

            def do_GET(self) -> None:
                with standin._lock:
                    standin.requests.append({"path": self.path, "body": None})
                    if self.path == "/api/tags":
                        self._json(200, {"models": [_tag(m, s) for m, s in standin.models.items()]})
                    elif self.path == "/api/ps":
                        self._json(200, {"models": [_ps(m, s) for m, s in standin.loaded.items()]})
                    elif self.path in ("/", "/api/version"):
                        self._json(200, {"version": "0.0.0-standin"})
                    else:
                        self._json(404, {"error": f"no route {self.path}"})

            def do_HEAD(self) -> None:
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self) -> None:
                body = self._body()
                with standin._lock:
                    standin.requests.append({"path": self.path, "body": body})
                if "__malformed__" in body:
                    return self._json(400, {"error": "invalid JSON"})
                model = body.get("model", "")
                if self.path == "/api/show":
                    if model not in standin.models:
                        return self._json(404, {"error": f"model '{model}' not found"})
                    return self._json(200, _show(model, standin.models[model]))
                if self.path not in ("/api/chat", "/api/generate"):
                    return self._json(404, {"error": f"no route {self.path}"})
                if model not in standin.models:
                    return self._json(404, {"error": f"model '{model}' not found, try pulling it first"})
                keep_alive = body.get("keep_alive")
                with standin._lock:
                    standin.keep_alives.append((model, keep_alive))
                    unload_only = (self.path == "/api/generate" and not body.get("prompt")
                                   and _is_zero(keep_alive))
                    if unload_only:
                        standin._unload(model)
                    else:
                        standin._load(model)
                        reply = standin._next_reply(body)
                if unload_only:
                    return self._json(200, {"model": model, "created_at": _now(), "response": "",
                                            "done": True, "done_reason": "unload"})
                self._stream(model, reply, chat=self.path == "/api/chat",
                             stream=body.get("stream", True))
                if _is_zero(keep_alive):
                    with standin._lock:
                        standin._unload(model)

            def _stream(self, model: str, reply: str, *, chat: bool, stream: bool) -> None:
                def chunk(text: str, done: bool) -> dict:
                    doc = {"model": model, "created_at": _now(), "done": done}
                    if chat:
                        doc["message"] = {"role": "assistant", "content": text}
                    else:
                        doc["response"] = text
                    if done:
                        doc.update(done_reason="stop", total_duration=1, eval_count=len(reply))
                    return doc
                if not stream:
                    return self._json(200, chunk(reply, True))
                self.send_response(200)
                self.send_header("Content-Type", "application/x-ndjson")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for piece in re.findall(r"\s*\S+|\s+", reply):
                    if standin.delay:
                        time.sleep(standin.delay)
                    self._chunk(json.dumps(chunk(piece, False)).encode() + b"\n")
                self._chunk(json.dumps(chunk("", True)).encode() + b"\n")
                self._chunk(b"")

            def _chunk(self, data: bytes) -> None:
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

        return Handler


def _is_zero(keep_alive) -> bool:
    return keep_alive in (0, "0", "0s", "0m", 0.0)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _details(model: str) -> dict:
    family = model.split(":")[0]
    return {"format": "gguf", "family": family, "families": [family],
            "parameter_size": model.split(":")[-1].upper(), "quantization_level": "Q4_0"}


def _tag(model: str, size: float) -> dict:
    return {"model": model, "name": model, "modified_at": "2024-01-01T00:00:00Z",
            "size": int(size), "digest": f"standin-{model}", "details": _details(model)}


def _ps(model: str, size: float) -> dict:
    return {"model": model, "name": model, "size": int(size), "size_vram": int(size),
            "digest": f"standin-{model}", "expires_at": "2099-01-01T00:00:00Z",
            "details": _details(model)}


def _show(model: str, size: float) -> dict:
    family = model.split(":")[0]
    return {"modelfile": f"FROM {model}", "template": "{{ .Prompt }}", "parameters": "",
            "details": _details(model), "capabilities": ["completion"],
            "model_info": {"general.architecture": family, "general.parameter_count": int(size),
                           f"{family}.context_length": 4096}}
