"""Awakening of the kernel's prototypes: ``Persona`` and ALFRED, BRICK, ROBIN, BABS; and the
kernel's settings in ``Config`` (the kernel is on in new images; ``Config.kernel_enabled = False``
turns it off). Images awakened before keep the value they have.

Idempotent and light (no torch / transformers import).
"""

from __future__ import annotations

import logging
from dataclasses import asdict

from telos.llm.personas import PERSONA_TABLE
from telos.reflect import mirror
from telos.uvm import UvmObject

log = logging.getLogger(__name__)

CONFIG_DEFAULTS = {
    "kernel_enabled": True,       # doesNotUnderstand_ → generative kernel (False: off)
    "kernel_max_attempts": 3,     # generations per message (errors are fed back)
    "llm_backend": "auto",        # auto | ollama | embedded
    "vram_budget_gb": 8.0,        # the orchestrator keeps loaded models within this
}


def awaken(image) -> None:
    protos = image.prototypes
    cfg = protos["Config"]
    have = mirror(cfg).data()
    for key, value in CONFIG_DEFAULTS.items():
        if key not in have:
            setattr(cfg, key, value)
    if "Persona" not in protos:
        base = protos.get("Object")
        persona = UvmObject(_parents={"parent": base} if base is not None else None,
                            description="a voice of the system: a model, a system prompt, "
                                        "a keep_alive policy and a VRAM estimate")
        image.register("Persona", persona)
    persona = protos["Persona"]
    for spec in PERSONA_TABLE:
        if spec.name in protos:
            continue
        fields = asdict(spec)
        fields["keywords"] = list(spec.keywords)
        image.register(spec.name, persona.derive(**fields))
        log.info("awakening: persona %s (%s)", spec.name, spec.model)
