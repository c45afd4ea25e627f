"""The cognitive cycle: a message nobody understood becomes a method, inside one thought.

1. prompt (:mod:`telos.kernel.prompt`); 2. generation by the code persona (BRICK) through the
orchestrator; 3. extraction (:mod:`telos.kernel.extract`); 4. policy (:mod:`telos.kernel.policy`);
5. trial in the sandbox (:mod:`telos.kernel.sandbox`); 6. install with provenance on the receiver
or the prototype it belongs on, call it with the real arguments, commit.

Failures at steps 3–5 are fed back to the model, up to ``Config.kernel_max_attempts``
generations. Any failure that remains aborts the thought — the image is unchanged — and raises
:class:`~telos.errors.GenerationError` naming the step and the reason.
"""

from __future__ import annotations

import ast
import json
import logging
import time
from typing import Any

from telos import config
from telos.errors import GenerationError, LLMError
from telos.kernel import extract, policy, prompt as prompting
from telos.kernel.sandbox import Limits, run_trial
from telos.reflect import mirror
from telos.uvm import Message, UvmObject, _label, lookup, object_repr

log = logging.getLogger(__name__)

GEN_OPTIONS = {"temperature": 0, "seed": 0, "num_predict": 200}


class Kernel:
    """The generative kernel of one image session (``image.kernel``)."""

    def __init__(self, image, *, orchestrator=None, limits: Limits = Limits()):
        self.image = image
        self._orchestrator = orchestrator
        self.limits = limits
        self.last_timings: dict[str, float] = {}
        self.last_attempts: list[dict] = []

    # -- switches ----------------------------------------------------------------------------
    @property
    def enabled(self) -> bool:
        return self.image.kernel_enabled

    def enable(self, on: bool = True) -> None:
        with self.image.thought(f"kernel {'on' if on else 'off'}", user="kernel"):
            self.image.config.kernel_enabled = bool(on)

    @property
    def orchestrator(self):
        if self._orchestrator is None:
            from telos.llm.orchestrator import Orchestrator
            self._orchestrator = Orchestrator.for_image(self.image)
        return self._orchestrator

    def status(self) -> dict:
        st = self.orchestrator.status()
        st["kernel_enabled"] = self.enabled
        return st

    def _max_attempts(self) -> int:
        return config.image_setting(self.image, "kernel_max_attempts")

    # -- the cycle ---------------------------------------------------------------------------
    def handle(self, receiver: UvmObject, message: Message) -> Any:
        """Generate, check, try and install ``message.selector``; return the call's value."""
        selector = message.selector
        if not selector.isidentifier() or selector.startswith("_"):
            raise GenerationError("prompt", f"{selector!r} is not a public selector",
                                  selector=selector)
        t = self.last_timings = {"prompt": 0.0, "generation": 0.0, "checks": 0.0,
                                 "trial": 0.0, "commit": 0.0}
        self.last_attempts = []
        with self.image.thought(f"kernel: {_label(receiver)}.{selector}", user="kernel"):
            source, trial, prov = self._synthesize(receiver, message, t)
            t0 = time.perf_counter()
            holder = choose_holder(self.image, receiver, source)
            mirror(holder).define(selector, source, provenance=prov)
            try:
                value = getattr(receiver, selector)(*message.args, **message.kwargs)
            except Exception as exc:  # the generated method, run for real: report and abort
                raise GenerationError("install", f"the installed method raised "
                                      f"{type(exc).__name__}: {exc}", selector=selector) from exc
            log.info("kernel: installed %s.%s (%s, attempt %s)", _label(holder), selector,
                     prov["model"], prov["attempts"])
            t_commit = time.perf_counter()
        t["commit"] += time.perf_counter() - t0
        t["commit_only"] = time.perf_counter() - t_commit
        return value

    def _synthesize(self, receiver, message: Message, t: dict):
        selector = message.selector
        orch = self.orchestrator
        persona = orch.code_persona()
        feedback: list[str] = []
        last: GenerationError | None = None
        attempts = self._max_attempts()
        t0 = time.perf_counter()
        similar = prompting.similar_methods(self.image, selector, receiver)
        memories = prompting.relevant_memories(self.image, f"{_label(receiver)} {selector}")
        methods = _visible_methods(receiver)
        slots = _visible_data(receiver)
        t["prompt"] += time.perf_counter() - t0
        for attempt in range(1, attempts + 1):
            t0 = time.perf_counter()
            p = prompting.build(receiver, selector, message.args, message.kwargs,
                                feedback=feedback, similar=similar, memories=memories)
            t["prompt"] += time.perf_counter() - t0
            t0 = time.perf_counter()
            try:
                reply = orch.chat(persona, p.messages, options=dict(GEN_OPTIONS)).wait()
            except LLMError as exc:
                raise GenerationError("generation", str(exc), selector=selector,
                                      attempts=attempt) from exc
            finally:
                t["generation"] += time.perf_counter() - t0
            record = {"attempt": attempt, "reply": reply}
            self.last_attempts.append(record)
            try:
                t0 = time.perf_counter()
                try:
                    source = extract.extract_function(reply, selector)
                    policy.check(source, selector)
                finally:
                    t["checks"] += time.perf_counter() - t0
                t0 = time.perf_counter()
                try:
                    installed_here = choose_holder(self.image, receiver, source) is receiver
                    trial = run_trial(source, selector, slots=slots, methods=methods,
                                      args=message.args, kwargs=message.kwargs,
                                      name=receiver._name, limits=self.limits,
                                      receiver_repr=object_repr(
                                          receiver, (selector,) if installed_here else ()))
                finally:
                    t["trial"] += time.perf_counter() - t0
            except GenerationError as exc:
                exc.attempts = attempt
                record["error"] = f"{exc.step}: {exc.reason}"
                log.info("kernel: %s attempt %d rejected at %s: %s", selector, attempt,
                         exc.step, exc.reason)
                last = exc
                if exc.step == "trial" and exc.reason.startswith(
                        ("an argument", "a keyword argument")):
                    break        # the call itself cannot be tried: retrying will not help
                feedback.append(exc.reason)
                continue
            prov = {
                "author": "kernel", "persona": persona.name, "model": orch.model_for(persona),
                "backend": orch.backend.name, "prompt_sha256": p.digest, "attempts": attempt,
                "trial": json.dumps({"args": _jsonable(message.args), "value": trial.value})[:500],
                "message": repr(message)[:200],
            }
            return source, trial, prov
        assert last is not None
        raise GenerationError(last.step, last.reason, selector=selector, attempts=len(
            self.last_attempts))

    def close(self) -> None:
        """Nothing of our own to release (the backend belongs to the store)."""


def _jsonable(value):
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError):
        return repr(value)


def _visible_data(receiver: UvmObject) -> dict:
    from telos.uvm import DATA, slot_names
    out = {}
    for name in slot_names(receiver):
        found = lookup(receiver, name)
        if found is not None and found[0] == DATA:
            out[name] = found[2]
    return out


def _visible_methods(receiver: UvmObject) -> dict:
    """name → (source, trusted) of every method the receiver answers."""
    from telos.uvm import METHOD, slot_names
    out = {}
    for name in slot_names(receiver):
        found = lookup(receiver, name)
        if found is not None and found[0] == METHOD:
            out[name] = (found[2].source, found[2].trusted)
    return out


def _self_attributes(source: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id == "self"):
            names.add(node.attr)
    return names


def choose_holder(image, receiver: UvmObject, source: str) -> UvmObject:
    """Where the method belongs: the receiver if it is a registered prototype; else the nearest
    registered prototype it delegates to that answers every ``self.x`` the method reads;
    else the receiver itself."""
    protos = image.prototypes
    def registered(obj) -> bool:
        name = obj._name
        return name is not None and protos.get(name) is obj and name not in ("Object", "Config")
    if registered(receiver):
        return receiver
    needed = _self_attributes(source) - {extract_name(source)}
    seen: set[int] = set()
    stack = [p for _, p in mirror(receiver).parents()]
    while stack:
        obj = stack.pop(0)
        if id(obj) in seen or not isinstance(obj, UvmObject):
            continue
        seen.add(id(obj))
        if registered(obj) and all(lookup(obj, n) is not None for n in needed):
            return obj
        stack.extend(p for _, p in mirror(obj).parents())
    return receiver


def extract_name(source: str) -> str:
    return ast.parse(source).body[0].name
