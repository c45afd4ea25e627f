"""A scripted persona responder for the service tests — a TEST BACKEND, not a language model.

``TELOS_RESPONDER=tests.service.scripted:factory`` makes the real service stream these tokens, so
bridge tests are deterministic and fast. Query grammar: ``"<tag> <n> [<delay_ms>]"`` → tokens
``"<tag>:0 ", "<tag>:1 ", ...`` (``n`` of them, ``delay_ms`` between them, default 1); anything
else is echoed word by word. Persona: the requested one, else ``SCRIPT``.
"""

from __future__ import annotations

import time


class ScriptedResponder:
    name = "scripted"
    remember_turns = False

    def respond(self, session, query, persona, cancelled, options=None):
        parts = query.split()
        if len(parts) in (2, 3) and parts[1].isdigit():
            tag, n = parts[0], int(parts[1])
            delay = (int(parts[2]) if len(parts) == 3 else 1) / 1000.0

            def tokens():
                for i in range(n):
                    if delay:
                        time.sleep(delay)
                    yield f"{tag}:{i} "
            return persona or "SCRIPT", tokens()
        return persona or "SCRIPT", iter([w + " " for w in parts])


def factory(image):
    return ScriptedResponder()


def expected(tag: str, n: int) -> list[str]:
    return [f"{tag}:{i} " for i in range(n)]
