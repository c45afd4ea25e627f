"""telos.llm.decoding: the prompt's KV cache is kept only for requests that say another with the
same prompt follows (the kernel's candidates), and a kept one gives the same start."""

from __future__ import annotations

import torch

from telos.llm import decoding


class Model:
    """Counts prompt passes; its "cache" is a list the decoder would extend."""

    def __init__(self):
        self.passes = 0

    def __call__(self, input_ids, use_cache=True, past_key_values=None):
        self.passes += 1
        logits = torch.zeros(1, input_ids.shape[1], 5)
        logits[0, -1, int(input_ids[0].sum()) % 5] = 1.0
        return type("Out", (), {"logits": logits, "past_key_values": [input_ids.clone()]})()


def test_a_prompt_is_kept_only_when_asked_and_reused_once_as_a_copy():
    decoding._PREFIX.clear()
    model, ids = Model(), torch.tensor([[1, 2, 3]])
    past, logits = decoding._prefill(model, ids)            # nobody follows: nothing kept
    assert model.passes == 1 and decoding._PREFIX == {}
    first, l1 = decoding._prefill(model, ids, keep=True)    # candidates follow
    assert model.passes == 2 and decoding._PREFIX["key"][1] == (1, 2, 3)
    again, l2 = decoding._prefill(model, ids, keep=True)    # a middle candidate: a copy
    assert model.passes == 2 and torch.equal(l1, l2)
    assert again is not decoding._PREFIX["past"] and torch.equal(again[0], first[0])
    last, l3 = decoding._prefill(model, ids)                # the last one takes it, drops it
    assert model.passes == 2 and torch.equal(l3, l1) and decoding._PREFIX == {}
    decoding._prefill(model, torch.tensor([[4, 5]]), keep=True)
    decoding._prefill(model, ids, keep=True)                # another prompt: computed again
    assert model.passes == 4
