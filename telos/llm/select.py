"""Backend choice: Ollama when configured or reachable, else the embedded model.

``Config.llm_backend`` in the image (``auto`` | ``ollama`` | ``embedded``; ``TELOS_LLM_BACKEND``
overrides it for one process), the Ollama host from ``OLLAMA_HOST`` or ``Config.ollama_host``
(both are settings of the one table, :mod:`telos.config`). In ``auto`` mode an explicitly
configured host means Ollama (and its errors say how to start it); otherwise a quick probe of the
default host decides.
The choice, the model and the reason are in :func:`status`.
"""

from __future__ import annotations

import logging

from telos import config
from telos.errors import ConfigError

log = logging.getLogger(__name__)

CHOICES = ("auto", "ollama", "embedded")


def choose_backend(image=None, *, prefer: str | None = None, probe_timeout: float = 0.5):
    """A new backend object (see module docstring); ``.choice_reason`` says why. ``prefer``
    (``auto`` | ``ollama`` | ``embedded``) overrides the settings for this call."""
    from telos.llm.embedded import EmbeddedBackend
    from telos.llm.ollama_backend import OllamaBackend

    mode = prefer or config.image_setting(image, "llm_backend")
    if mode not in CHOICES:
        raise ConfigError(f"llm_backend={mode!r}: expected one of {', '.join(CHOICES)}")
    host = config.image_setting(image, "ollama_host")
    embedded_model = config.image_setting(image, "embedded_model")
    if mode == "embedded":
        backend, reason = EmbeddedBackend(model=embedded_model), "configured: embedded"
    elif mode == "ollama" or host:
        backend = OllamaBackend(host)
        reason = "configured: ollama" if mode == "ollama" else f"configured Ollama host {host}"
    else:
        probe = OllamaBackend(None, timeout=probe_timeout, connect_timeout=probe_timeout)
        if probe.reachable():
            backend, reason = OllamaBackend(None), f"Ollama reachable at {probe.host}"
        else:
            backend = EmbeddedBackend(model=embedded_model)
            reason = f"no Ollama at {probe.host}: using the embedded model"
    backend.choice_reason = reason
    log.info("LLM backend: %s (%s)", backend.name, reason)
    return backend


def backend_for(image):
    """The backend shared by every session of this image's store (chosen once per process)."""
    shared = image.store.shared
    backend = shared.get("llm.backend")
    if backend is None:
        backend = shared["llm.backend"] = choose_backend(image)
    return backend


def status(backend) -> dict:
    st = dict(backend.status())
    st["reason"] = getattr(backend, "choice_reason", "")
    return st
