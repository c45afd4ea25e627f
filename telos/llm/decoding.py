"""Decoding for the embedded model: the token loop (greedy or seeded sampling, KV cache, stop
strings, the end of one ``def``, cancellation within one token), the chat template with an
optional prefilled reply, and the last prompt's KV cache kept for the next request that sends
the same prompt (the kernel's candidates)."""

from __future__ import annotations

import re
from typing import Iterator

from telos import compute


def _prompt_ids(tokenizer, messages: list):
    """The chat template's token ids. A last ``assistant`` message is a prefill: the model
    continues it (the reply holds only the continuation), as Ollama does."""
    import torch
    prefix = ""
    if messages and messages[-1].get("role") == "assistant":
        prefix = messages[-1].get("content", "")
        messages = messages[:-1]
    ids = tokenizer.apply_chat_template(messages, add_generation_prompt=True,
                                        return_tensors="pt", return_dict=True)["input_ids"]
    if prefix:
        more = tokenizer(prefix, add_special_tokens=False, return_tensors="pt")["input_ids"]
        ids = torch.cat([ids, more], dim=1)
    return ids


_PREFIX: dict = {}


def _prefill(model, ids, keep: bool = False):
    """(KV cache, last logits) of the prompt ``ids``. With ``keep`` (the kernel's candidates:
    one prompt sent several times) the prompt's are kept for the next request with the same
    prompt, which then costs only its own tokens; the cache is copied, never shared, since
    decoding extends it. One entry, read and written on the compute thread only; any other
    request drops it (a copy costs ~9 ms and tens of MB for nothing when no one reuses it)."""
    import copy
    key = (id(model), tuple(ids[0].tolist()))
    if _PREFIX.get("key") == key:
        past, logits = _PREFIX["past"], _PREFIX["logits"]
        if not keep:
            _PREFIX.clear()
            return past, logits        # the last user: no copy needed
        return copy.deepcopy(past), logits
    _PREFIX.clear()
    out = model(input_ids=ids, use_cache=True)
    logits = out.logits[0, -1]
    if keep:
        _PREFIX.update(key=key, past=copy.deepcopy(out.past_key_values), logits=logits)
    return out.past_key_values, logits


def _token_loop(tokenizer, model, messages: list, options: dict, cancelled) -> Iterator[str]:
    """Greedy (or seeded sampling) decoding with a KV cache; stops at EOS, a stop string, the
    end of the first ``def`` when ``options["stop_after_def"]`` (:func:`def_end`), the token
    budget, or as soon as ``cancelled()`` — checked before every token."""
    import torch

    max_new = int(options.get("num_predict", 256))
    temperature = float(options.get("temperature", 0.0))
    stops = list(options.get("stop", []) or [])
    gen = None
    if temperature > 0:
        gen = torch.Generator().manual_seed(int(options.get("seed", 0)))
    ids = _prompt_ids(tokenizer, messages)
    stop_after_def = bool(options.get("stop_after_def"))
    prefill = messages[-1].get("content", "") if messages[-1].get("role") == "assistant" else ""
    eos = {tokenizer.eos_token_id} | set(_as_list(model.generation_config.eos_token_id))
    with torch.inference_mode():
        out_ids: list[int] = []
        emitted = ""
        past = None
        step_input = ids
        for _ in range(max_new):
            compute.run_pending()           # a query to embed waits one token, not one answer
            if cancelled():
                return
            if past is None:
                past, logits = _prefill(model, ids, keep=bool(options.get("reuse_prompt")))
            else:
                out = model(input_ids=step_input, past_key_values=past, use_cache=True)
                past = out.past_key_values
                logits = out.logits[0, -1]
            if gen is None:
                nxt = int(torch.argmax(logits))
            else:
                probs = torch.softmax(logits / temperature, dim=-1)
                nxt = int(torch.multinomial(probs, 1, generator=gen))
            if nxt in eos:
                return
            out_ids.append(nxt)
            text = tokenizer.decode(out_ids, skip_special_tokens=True)
            step_input = torch.tensor([[nxt]])
            if text.endswith("\ufffd"):     # an incomplete multi-byte character
                continue
            stop_at = _first_stop(text, stops)
            if stop_after_def:
                end = def_end(prefill + text)
                if end is not None:
                    end = max(0, end - len(prefill))
                    if stop_at is None or end < stop_at:
                        stop_at = end
            if stop_at is not None:
                if stop_at > len(emitted):
                    yield text[len(emitted):stop_at]
                return
            if len(text) > len(emitted):
                yield text[len(emitted):]
                emitted = text


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple, set)) else [value]


_COLUMN0 = re.compile(r"\n(?=[^\s])")


def def_end(text: str) -> int | None:
    """Where one function definition ends in ``text`` (code being written, with or without a
    fence), or None while it may go on: a closing fence, or the first line at column 0 after
    the ``def`` line that is not a decorator/comment continuation (prose, a call, another def)."""
    start = text.find("def ")
    if start < 0:
        return None
    fence = text.find("```", start)
    body_start = text.find("\n", start)
    if body_start < 0:
        return None
    m = _COLUMN0.search(text, body_start)
    hits = [i for i in (fence, m.start() if m else -1) if i >= 0]
    return min(hits) if hits else None


def _first_stop(text: str, stops: list[str]) -> int | None:
    hits = [text.find(s) for s in stops if s and s in text]
    return min(hits) if hits else None


def score(tokenizer, model, messages: list, continuations: list[str]) -> list[list]:
    """``[log p, tokens]`` of each continuation after ``messages`` (a last ``assistant``
    message is a prefill, as in :func:`_token_loop`): the sum of its tokens' log-probabilities
    under the model, and how many tokens it has. The prompt is run once; each continuation
    extends a copy of its KV cache."""
    import copy

    import torch
    ids = _prompt_ids(tokenizer, messages)
    out: list[list] = []
    with torch.inference_mode():
        first = model(input_ids=ids, use_cache=True)
        past, last = first.past_key_values, first.logits[0, -1]
        for text in continuations:
            compute.run_pending()
            cont = tokenizer(text, add_special_tokens=False, return_tensors="pt")["input_ids"]
            n = int(cont.shape[1])
            if n == 0:
                out.append([0.0, 0])
                continue
            logits = last[None]
            if n > 1:
                more = model(input_ids=cont[:, :-1], past_key_values=copy.deepcopy(past),
                             use_cache=True).logits[0]
                logits = torch.cat([logits, more], dim=0)
            lp = torch.log_softmax(logits.float(), dim=-1).gather(1, cont[0][:, None])
            out.append([float(lp.sum()), n])
    return out
