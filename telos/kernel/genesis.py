"""Awakening of the kernel's prototypes: ``Persona`` and ALFRED, BRICK, ROBIN, BABS. The
kernel's settings (``Config.kernel_enabled``, ...) are in the one table, :mod:`telos.config`.

Idempotent and light (no torch / transformers import).
"""

from __future__ import annotations

import logging
from dataclasses import asdict

from telos.llm.personas import PERSONA_TABLE
from telos.uvm import UvmObject

log = logging.getLogger(__name__)


def awaken(image) -> None:
    protos = image.prototypes
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
