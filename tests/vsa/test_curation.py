"""Mnemonic curation on a small real memory (real MiniLM embeddings, real image and index)."""

import numpy as np
import pytest

from telos.errors import CurationError
from telos.reflect import mirror

NOTES = [
    "The cat sat on the warm windowsill and purred.",
    "My kitten loves chasing the cat toy mouse.",
    "Cats sleep most of the day and purr when happy.",
    "The stock market fell sharply after the interest rate decision.",
    "Investors sold shares as the bond yields rose.",
    "Stock prices and trading volume dropped on Wall Street today.",
    "A lonely lighthouse keeper painted the door blue.",
]


@pytest.fixture(scope="module")
def embeddings():
    from telos.memory.embedder import Embedder
    return Embedder().encode(NOTES)


def _memory(image, embeddings):
    from telos.memory.records import ContextFractal, MemoryBank
    from telos.uvm import UvmObject
    with image.thought("memories"):
        manager = image.prototypes.get("MemoryManager")
        if manager is None or mirror(manager).get("bank") is None:
            manager = image.register("MemoryManager", UvmObject(bank=MemoryBank()))
        bank = manager.bank
        for text, vec in zip(NOTES, embeddings):
            (i,) = bank.allocate(1)
            bank.contexts[i] = ContextFractal(i, text, vec)
    return bank


def scripted_definer(texts):
    """Scripted model responses (deterministic): a definition that names the cluster's notes."""
    return "A concept covering: " + " | ".join(t.split()[1] for t in texts)


def test_curation_links_concepts_and_is_idempotent(image, embeddings):
    from telos.vsa.curation import concept_of, curate
    bank = _memory(image, embeddings)
    report = curate(image, definer=scripted_definer)
    assert report.considered == 7 and len(report.created) == 2 and report.skipped_small == 1
    by_text = {c.text: i for i, c in bank.contexts.items()}
    groups = sorted(sorted(bank.concepts[cid].contexts) for cid in report.created)
    cats = sorted(by_text[t] for t in NOTES[:3])
    stocks = sorted(by_text[t] for t in NOTES[3:6])
    assert groups == sorted([cats, stocks])
    for cid in report.created:
        concept = bank.concepts[cid]
        assert concept.definition.startswith("A concept covering")
        hv = np.frombuffer(concept.hypervector, dtype=concept.hv_dtype).reshape(concept.hv_shape)
        assert hv.shape == (image.vsa.dimension,)
        for ctx in concept.contexts:               # the cleanup memory finds the right concept
            key, score = concept_of(image, ctx)
            assert key == str(cid) and score > 0.3
    assert concept_of(image, by_text[NOTES[6]]) is None
    assert image.vsa.check_index()["consistent"]
    again = curate(image, definer=scripted_definer)    # same memories: nothing new
    assert again.created == [] and len(bank.concepts) == 2 and again.considered == 1


def test_failed_curation_aborts_cleanly(image, embeddings):
    from telos.vsa.curation import curate
    bank = _memory(image, embeddings)
    next_id, entries = bank.next_id, len(image.vsa.codebook.entries)
    calls = []

    def flaky(texts):
        calls.append(texts)
        if len(calls) == 2:
            raise RuntimeError("model crashed mid-run")
        return scripted_definer(texts)

    with pytest.raises(CurationError, match="nothing was committed"):
        curate(image, definer=flaky)
    assert len(calls) == 2                              # the first concept was made, then rolled back
    assert len(bank.concepts) == 0 and bank.next_id == next_id
    assert len(image.vsa.codebook.entries) == entries
    assert image.vsa.check_index()["consistent"]
    with pytest.raises(CurationError, match="no usable definition"):
        curate(image, definer=lambda texts: "  ")
    assert len(bank.concepts) == 0
    report = curate(image, definer=scripted_definer)     # a later run succeeds
    assert len(report.created) == 2


def test_no_memory_bank_is_a_clear_error(image):
    from telos.vsa.curation import curate
    with image.thought("an image without memory"):
        del image.prototypes["MemoryManager"]
    with pytest.raises(CurationError, match="no memory bank"):
        curate(image, definer=scripted_definer)


def test_curation_with_the_embedded_model(image, embeddings):
    from telos.llm.embedded import EmbeddedBackend
    from telos.vsa.curation import curate
    bank = _memory(image, embeddings)
    report = curate(image, backend=EmbeddedBackend(max_new_tokens=40))
    assert len(report.created) == 2
    for cid in report.created:
        concept = bank.concepts[cid]
        assert len(concept.definition) >= 3 and len(concept.contexts) == 3
    assert curate(image, backend=EmbeddedBackend(max_new_tokens=40)).created == []
    assert len(bank.concepts) == 2
