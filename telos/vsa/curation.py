"""Mnemonic curation: abstract clusters of recent memories into ConceptFractals.

One run is one thought:

1. take the recent ContextFractals not yet abstracted by any concept (``since`` seconds, or all);
2. cluster them by embedding (greedy single pass in id order, cosine >= ``threshold`` with the
   cluster's centroid; clusters smaller than ``min_size`` are left for a later run);
3. ask a persona for a one-sentence definition of each cluster (``definer``);
4. create a ``ConceptFractal`` per cluster, linked to its contexts, with a hypervector: the
   normalized bundle of the context symbols ``ctx:<id>`` — so cleaning up ``symbol("ctx:12")``
   among concepts answers "which concept abstracts memory 12?" — entered in the cleanup index.

Idempotent: contexts already linked to a concept are never clustered again, so re-running on
the same memories creates nothing. Any failure (the model, the index, a bad definition) aborts
the thought: no concept, no link, no index entry survives; a ``CurationError`` says why.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from telos.errors import CurationError, TelosError
from telos.progress import Progress
from telos.reflect import mirror

log = logging.getLogger(__name__)

Definer = Callable[[Sequence[str]], str]

PROMPT = ("Here are related notes from memory:\n{notes}\n\n"
          "Write one short sentence that defines the single concept these notes share. "
          "Answer with the sentence only.")


@dataclass
class CurationReport:
    considered: int = 0
    clusters: int = 0
    created: list[int] = field(default_factory=list)      # ConceptFractal ids
    skipped_small: int = 0
    thought: str | None = None


def find_bank(image):
    """The memory bank (``MemoryManager.bank``) of the image, or a clear error."""
    manager = image.prototypes.get("MemoryManager")
    bank = mirror(manager).get("bank") if manager is not None else None
    if bank is None or not hasattr(bank, "contexts") or not hasattr(bank, "concepts"):
        raise CurationError("this image has no memory bank (prototype MemoryManager with a "
                            "`bank` slot): nothing to curate")
    return bank


def cluster(ids: Sequence[int], vectors: np.ndarray, threshold: float) -> list[list[int]]:
    """Greedy, order-deterministic clustering of unit-normalized vectors by cosine to centroids."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = vectors / np.where(norms == 0, 1, norms)
    groups: list[list[int]] = []
    sums: list[np.ndarray] = []
    for i, v in zip(ids, unit):
        best, best_sim = -1, threshold
        for g, s in enumerate(sums):
            sim = float(v @ (s / np.linalg.norm(s)))
            if sim >= best_sim:
                best, best_sim = g, sim
        if best < 0:
            groups.append([int(i)])
            sums.append(v.copy())
        else:
            groups[best].append(int(i))
            sums[best] += v
    return groups


def persona_definer(image, persona: str = "ALFRED", backend=None) -> Definer:
    """A definer that asks ``persona`` (greedy decoding) through the LLM orchestrator."""
    from telos.llm.orchestrator import Orchestrator
    orch = Orchestrator.for_image(image, backend=backend)
    spec = orch.persona(persona)

    def define(texts: Sequence[str]) -> str:
        notes = "\n".join(f"- {t[:300]}" for t in texts[:8])
        turn = orch.chat(spec, orch.messages(spec, PROMPT.format(notes=notes)),
                         options={"temperature": 0})     # no query: the turn is not remembered
        return turn.wait()
    return define


def _clean_definition(text: str) -> str:
    text = " ".join((text or "").split()).strip().strip('"')
    if len(text) < 3:
        raise CurationError(f"the persona gave no usable definition ({text!r})")
    return text[:500]


def curate(image, *, definer: Definer | None = None, persona: str = "ALFRED", backend=None,
           since: float | None = None, threshold: float = 0.3, min_size: int = 2,
           status=None) -> CurationReport:
    """Run one curation thought (see the module docstring); returns what it did."""
    from telos.memory.records import ConceptFractal
    from telos.vsa.hypervector import Hypervector

    report = CurationReport()
    image.refresh()
    bank = find_bank(image)
    linked = {int(c) for concept in bank.concepts.values() for c in concept.contexts}
    cutoff = time.time() - since if since else None
    fresh = [rec for i, rec in bank.contexts.items()
             if int(i) not in linked and (cutoff is None or rec.created >= cutoff)]
    report.considered = len(fresh)
    if not fresh:
        return report
    groups = cluster([r.id for r in fresh], np.stack([r.vector for r in fresh]), threshold)
    keep = [g for g in groups if len(g) >= min_size]
    report.skipped_small = len(groups) - len(keep)
    report.clusters = len(keep)
    if not keep:
        return report
    if definer is None:
        definer = persona_definer(image, persona, backend)
    vsa = image.vsa
    try:
        with image.thought(f"mnemonic curation: {len(keep)} concepts", user="curator"):
            with Progress("curation", total=len(keep), unit="concept", status=status) as p:
                for group in keep:
                    texts = [bank.contexts[i].text for i in group]
                    definition = _clean_definition(definer(texts))
                    (cid,) = bank.allocate(1)
                    concept = ConceptFractal(cid, definition, contexts=group)
                    hv = Hypervector(vsa.symbol(f"ctx:{group[0]}").bundle(
                        *[vsa.symbol(f"ctx:{i}") for i in group[1:]], normalize=True).array,
                        _name=f"concept:{cid}")
                    concept.hypervector = hv.array.tobytes()
                    concept.hv_dtype, concept.hv_shape = str(hv.array.dtype), tuple(hv.array.shape)
                    bank.concepts[cid] = concept
                    vsa.concept(str(cid), hv)
                    report.created.append(cid)
                    p.update(1)
        report.thought = image.last_thought
    except CurationError:
        raise
    except (TelosError, OSError, ValueError, RuntimeError) as exc:
        raise CurationError(f"curation aborted, nothing was committed: {type(exc).__name__}: {exc}") from exc
    log.info("curation: %d contexts, %d clusters, %d concepts created", report.considered,
             report.clusters, len(report.created))
    return report


def concept_of(image, context_id: int) -> tuple[str, float] | None:
    """Which concept abstracts memory ``context_id``: cleanup of ``ctx:<id>`` among concepts."""
    vsa = image.vsa
    if not vsa.knows(f"ctx:{context_id}"):
        return None
    hits = vsa.cleanup(vsa.symbol(f"ctx:{context_id}", create=False), kind="concept", k=1)
    return (hits[0].key, hits[0].score) if hits else None
