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
from telos.errors import GenerationError, LLMError, TelosError
from telos.kernel import (analogy, candidates, events, examples, extract, patterns, policy,
                          prompt as prompting, receiver_prompt, rerank, transfer, units)
from telos.kernel.levers import DEFAULT, Levers
from telos.kernel.receiver import visible_data as _visible_data
from telos.kernel.receiver import visible_methods as _visible_methods
from telos.kernel.sandbox import Limits, run_trial
from telos.reflect import mirror
from telos.uvm import Message, UvmObject, _label, lookup, object_repr

log = logging.getLogger(__name__)

REUSE_TRIALS = 3      # same-named methods of other prototypes tried before asking the model
TRANSFER_EXAMPLES = 6  # analogies whose methods are mapped onto the receiver (lever rerank)
MAX_TRANSFERS = 10     # transferred candidates tried in the sandbox, at most


class Kernel:
    """The generative kernel of one image session (``image.kernel``)."""

    def __init__(self, image, *, orchestrator=None, limits: Limits = Limits(),
                 levers: Levers | None = None):
        self.image = image
        self._levers = levers            # None: the image setting kernel_levers
        self._orchestrator = orchestrator
        self.limits = limits
        self.last_timings: dict[str, float] = {}
        self.last_attempts: list[dict] = []
        self._report = events.CycleReport("", "-", "")     # the cycle in progress (observed)

    # -- switches ----------------------------------------------------------------------------
    @property
    def levers(self) -> Levers:
        """The levers given to this kernel, else those the image setting ``kernel_levers`` names."""
        if self._levers is not None:
            return self._levers
        try:
            return Levers.named(config.image_setting(self.image, "kernel_levers"))
        except (ValueError, TelosError) as exc:   # a bad slot: the defaults, said once per read
            log.warning("kernel_levers: %s; using the defaults", exc)
            return DEFAULT

    @levers.setter
    def levers(self, value: Levers | None) -> None:
        self._levers = value

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
        rep = self._report = events.CycleReport(
            _label(receiver), selector, f"{_label(receiver)}.{repr(message)[8:-1]}")
        started, state = time.perf_counter(), {"source": "", "committing": None}
        nested = self.image.in_thought      # then the enclosing thought commits, not this one
        try:
            with self.image.thought(f"kernel: {_label(receiver)}.{selector}", user="kernel"):
                source, trial, prov = self._synthesize(receiver, message, t)
                state["source"] = source
                t0 = time.perf_counter()
                with rep.step("install", source):
                    holder = choose_holder(self.image, receiver, source)
                    mirror(holder).define(selector, source, provenance=prov)
                    try:
                        value = getattr(receiver, selector)(*message.args, **message.kwargs)
                    except Exception as exc:  # the generated method, run for real: report, abort
                        raise GenerationError("install", f"the installed method raised "
                                              f"{type(exc).__name__}: {exc}",
                                              selector=selector) from exc
                log.info("kernel: installed %s.%s (%s, attempt %s)", _label(holder), selector,
                         prov.get("model") or f"copied from {prov.get('copied_from')}",
                         prov["attempts"])
                t_commit = state["committing"] = time.perf_counter()
        except Exception as exc:
            self._refused(rep, exc, state["committing"])
            raise
        t["commit"] += time.perf_counter() - t0
        t["commit_only"] = time.perf_counter() - t_commit
        if nested:      # a savepoint: whoever opened the enclosing thought reports its commit
            rep.emit("commit", "started", code=state["source"])
            return value
        rep.emit("commit", "ok", seconds=t["commit_only"], code=state["source"])
        rep.emit("done", "ok", seconds=time.perf_counter() - started, code=state["source"])
        return value

    @staticmethod
    def _refused(rep: "events.CycleReport", exc: BaseException, committing: float | None) -> None:
        """Report a cycle that ended without a method: the commit that failed, and why."""
        if committing is not None:
            rep.emit("commit", "failed", seconds=time.perf_counter() - committing,
                     reason=f"{type(exc).__name__}: {exc}")
        if isinstance(exc, GenerationError):
            why = f"the {exc.step} step refused it: {exc.reason}"
        else:
            why = f"{type(exc).__name__}: {exc}"
        rep.emit("refused", "failed", reason=why)

    def regenerate(self, obj: UvmObject, selector: str) -> str:
        """Write ``obj``'s local method ``selector`` again (the model, the levers, the sandbox)
        and install it only if every stored example still gives its value; return the new
        source. A regeneration that breaks an example raises GenerationError at step
        ``examples`` with one sentence naming the example; the image is unchanged."""
        from telos.kernel.examples import ExampleBroken
        if selector not in mirror(obj).methods():
            raise GenerationError("prompt", f"{_label(obj)} has no local method {selector!r} "
                                  "to regenerate", selector=selector)
        stored = examples.stored(obj, selector)
        first = stored[0] if stored else {}
        message = Message(selector, tuple(first.get("args", ())), first.get("kwargs", {}))
        t = self.last_timings = {"prompt": 0.0, "generation": 0.0, "checks": 0.0,
                                 "trial": 0.0, "commit": 0.0}
        self.last_attempts = []
        self._report = events.CycleReport(_label(obj), selector, f"regenerate {_label(obj)}.{selector}")
        with self.image.thought(f"kernel: regenerate {_label(obj)}.{selector}", user="kernel"):
            source, _trial, prov = self._synthesize(obj, message, t)
            try:
                mirror(obj).define(selector, source, provenance=prov)
            except ExampleBroken as exc:
                raise GenerationError("examples", str(exc), selector=selector,
                                      attempts=len(self.last_attempts)) from exc
        return source

    def _synthesize(self, receiver, message: Message, t: dict):
        """(source, trial, provenance) of a method that passed its trial, else raise."""
        lv = self.levers
        selector = message.selector
        orch = self.orchestrator
        persona = orch.code_persona()
        rep = self._report
        rep.writer(persona.name, orch.model_for(persona))
        rep.emit("request", "started")
        t0 = time.perf_counter()
        methods = _visible_methods(receiver)
        slots = _visible_data(receiver)
        memories = prompting.relevant_memories(self.image, f"{_label(receiver)} {selector}")
        similar, shots, near = [], [], []
        if lv.analogy:
            reused = self._reuse(receiver, message, slots, methods, t)
            if reused is not None:
                rep.emit("reuse", "ok", code=f"# copied from {reused[2]['copied_from']}\n"
                                           + reused[0],
                         reason=f"copied from {reused[2]['copied_from']}")
                return reused
        if lv.analogy or lv.rerank:      # most similar last: the shots are the nearest two
            near = analogy.examples(self.image, receiver, selector, message.args,
                                    message.kwargs, slots, methods, k=TRANSFER_EXAMPLES)
        if lv.analogy:
            shots = near[-2:]
            similar = [e.source for e in shots]
        else:
            similar = prompting.similar_methods(self.image, selector, receiver)
        if lv.receiver_prompt and not shots:
            shots = [analogy.from_pattern(p) for p in patterns.PATTERNS[:1]]
        t["prompt"] += time.perf_counter() - t0
        n = lv.n_candidates if lv.candidates else 1
        feedback: list[str] = []
        repairs: list[tuple[str, str]] = []
        last: GenerationError | None = None
        rounds = self._max_attempts()
        kept = None          # the first winner of a kind its name rules out (lever rerank)
        for rnd in range(1, rounds + 1):
            t0 = time.perf_counter()
            if lv.receiver_prompt:
                p = receiver_prompt.build(receiver, selector, message.args, message.kwargs,
                                          image=self.image, examples=shots, repairs=repairs,
                                          memories=memories, prefill=lv.constrained)
            else:
                p = prompting.build(receiver, selector, message.args, message.kwargs,
                                    feedback=feedback, similar=similar, memories=memories)
                if lv.constrained:
                    p.messages.append({"role": "assistant",
                                       "content": f"```python\n{p.signature}\n    "})
            t["prompt"] += time.perf_counter() - t0
            cands: list[candidates.Candidate] = []
            draws = n if rnd == 1 else 1
            for i in range(draws):
                c = self._candidate(receiver, message, p, persona, i, slots, methods, t,
                                    more=i + 1 < draws)
                cands.append(c)
                if c.error and c.error.startswith("trial: an") and "argument" in c.error:
                    break        # the call itself cannot be tried: more candidates won't help
                if lv.candidates and candidates.settled(cands, n):
                    break
            scorer = lv.rerank and getattr(orch.backend, "score", None) is not None
            if scorer and rnd == 1:
                cands += self._transfers(receiver, message, near, slots, methods, t)
            winner = self._choose(cands, p, receiver, message, slots, methods, t) if scorer \
                else candidates.vote(cands)
            wrong = lv.rerank and winner is not None and rerank.wrong_kind(selector, winner.value)
            if wrong and rnd < rounds:       # the name asks for another kind: one more round
                kept = kept or winner
                why = rerank.kind_reason(selector, winner.value)
                self._report.emit("rerank", "failed", code=winner.source, reason=why)
                feedback.append(why)
                repairs = (repairs + [(winner.source, why)])[-2:]
                continue
            if kept is not None and (winner is None or wrong):
                winner = kept                # no round did better: the best of the first
            if winner is not None:
                prov = {
                    "author": "kernel", "persona": persona.name, "model": orch.model_for(persona),
                    "backend": orch.backend.name, "prompt_sha256": p.digest,
                    "attempts": len(self.last_attempts),
                    "trial": json.dumps({"args": _jsonable(message.args),
                                         "value": winner.value})[:500],
                    "message": repr(message)[:200],
                    "candidates": len(cands), "levers": lv.label(), "origin": winner.origin,
                    "analogies": [e.selector for e in shots][:4],
                }
                if lv.examples:
                    example = examples.make(slots, message, winner.value)
                    if example is not None:
                        prov[examples.KEY] = [example]
                return winner.source, winner.trial, prov
            last = cands[-1].exc
            if last.step == "trial" and kept is None and last.reason.startswith((
                    "an argument", "a keyword argument")):
                break
            feedback.append(last.reason)
            failed = next((c for c in cands if c.source), cands[-1])
            repairs.append((failed.source or failed.reply, failed.exc.reason))
            repairs = repairs[-2:]
        assert last is not None
        raise GenerationError(last.step, last.reason, selector=selector,
                              attempts=len(self.last_attempts))

    def _transfers(self, receiver, message, near, slots, methods, t) -> list:
        """The nearest analogies' methods (``near``, most similar last) mapped onto the
        receiver (:mod:`telos.kernel.transfer`), each checked and tried in the sandbox like a
        generated candidate."""
        selector = message.selector
        params = receiver_prompt.param_names(message.args, message.kwargs)
        data = _domain_data(self.image, receiver, slots)
        sources: list[tuple[str, str, frozenset | None]] = []
        if not params:                            # the conversions the names imply, first
            for src in units.conversions(selector, data, list(methods)):
                sources.append(("units", src, None))
        for ex in reversed(near):                 # most similar first
            for src in transfer.transfer(ex, selector, data, list(methods), params):
                if all(src != s for _, s, _w in sources):
                    sources.append((f"transfer: {ex.proto}.{ex.selector}", src,
                                    rerank.analogy_words(ex.selector, ex.tags)))
        out = []
        for origin, src, words in sources[:MAX_TRANSFERS]:
            c = candidates.Candidate(len(out) + 1, source=src, origin=origin, analogy_words=words)
            try:
                policy.check(src, selector)
                c.trial = self._try(receiver, message, src, slots, methods, t)
                c.value = c.trial.value
            except GenerationError as exc:
                c.exc, c.error = exc, f"{exc.step}: {exc.reason}"
            out.append(c)
        return out

    def _choose(self, cands, p, receiver, message, slots, methods, t):
        """The best-scored clean candidate (:mod:`telos.kernel.rerank`); when scoring fails,
        the vote over the model's own candidates (a transfer is never taken unscored)."""
        selector = message.selector
        own = [c for c in cands if c.origin == "model"]
        clean = [c for c in cands if c.clean and c.value is not None]
        if not clean:
            return None
        if len(clean) == 1 and clean[0].origin == "model":
            return clean[0]
        t0 = time.perf_counter()
        try:
            question = p.messages[:-1] if p.messages[-1]["role"] == "assistant" else p.messages
            names = {n: set() for n in _domain_data(self.image, receiver, slots)}
            names.update({n: candidates.self_reads(src) for n, (src, _trusted) in methods.items()})
            given = list(message.args) + list(message.kwargs.values())
            ranked = rerank.scored(self.orchestrator, self.orchestrator.code_persona(), question,
                                   p.signature, cands, selector, _label(receiver), names,
                                   _domain_data(self.image, receiver, slots), given)
        except LLMError as exc:          # scoring is an aid: without it, the vote
            log.info("kernel: reranking %s failed (%s); voting instead", selector, exc)
            ranked = []
        finally:
            t["rerank"] = t.get("rerank", 0.0) + time.perf_counter() - t0
        if not ranked:
            return candidates.vote(own)
        best = ranked[0][1]
        self._report.emit("rerank", "ok", seconds=time.perf_counter() - t0, code=best.source,
                          reason=f"chose {best.origin} of {len(ranked)} scored")
        return ranked[0][1]

    def _candidate(self, receiver, message, p, persona, index, slots, methods, t, more=False):
        """Generate one candidate, extract, check and try it; never raises GenerationError
        from steps 3–5 (the candidate carries it), only from generation."""
        selector = message.selector
        lv = self.levers
        c = candidates.Candidate(index)
        rep = self._report
        rep.attempt = len(self.last_attempts) + 1
        prefix = p.messages[-1]["content"] if p.messages[-1]["role"] == "assistant" else ""
        t0 = time.perf_counter()
        try:
            turn = self.orchestrator.chat(
                persona, p.messages,
                options=candidates.options(lv.constrained, index, lv.temperature, more=more))
            for _token in turn:
                rep.streaming(prefix + turn.text, t0)
            reply = turn.text
        except LLMError as exc:
            rep.emit("generation", "failed", seconds=time.perf_counter() - t0, reason=str(exc))
            raise GenerationError("generation", str(exc), selector=selector,
                                  attempts=len(self.last_attempts) + 1) from exc
        finally:
            t["generation"] += time.perf_counter() - t0
        if p.messages[-1]["role"] == "assistant":
            reply = candidates.assemble(p.signature, reply)
        rep.emit("generation", "ok", seconds=time.perf_counter() - t0, code=reply)
        c.reply = reply
        record = {"attempt": len(self.last_attempts) + 1, "reply": reply}
        self.last_attempts.append(record)
        try:
            t0 = time.perf_counter()
            try:
                with rep.step("extract", reply):
                    c.source = extract.extract_function(reply, selector)
                with rep.step("policy", c.source):
                    policy.check(c.source, selector)
            finally:
                t["checks"] += time.perf_counter() - t0
            with rep.step("trial", c.source):
                c.trial = self._try(receiver, message, c.source, slots, methods, t)
                c.value = c.trial.value
                if lv.receiver_prompt and candidates.copies_inputs(
                        c.source, list(slots.values()) + list(message.args)
                        + list(message.kwargs.values())):
                    raise GenerationError("trial", "the method reads neither self nor its "
                                          "arguments: compute the value from the object's slots "
                                          "instead of writing their values into the method",
                                          selector=selector)
        except GenerationError as exc:
            exc.attempts = record["attempt"]
            c.exc = exc
            c.error = record["error"] = f"{exc.step}: {exc.reason}"
            log.info("kernel: %s candidate %d rejected at %s: %s", selector,
                     record["attempt"], exc.step, exc.reason)
        return c

    def _try(self, receiver, message, source, slots, methods, t):
        t0 = time.perf_counter()
        try:
            installed_here = choose_holder(self.image, receiver, source) is receiver
            return run_trial(source, message.selector, slots=slots, methods=methods,
                             args=message.args, kwargs=message.kwargs, name=receiver._name,
                             limits=self.limits, receiver_repr=object_repr(
                                 receiver, (message.selector,) if installed_here else ()))
        finally:
            t["trial"] += time.perf_counter() - t0

    def _reuse(self, receiver, message, slots, methods, t):
        """A method of the same name on a sibling or another prototype, if it passes what a
        generated one must (the static policy, the sandbox trial on the receiver) and computes
        its value from its inputs (a constant such as ``return "woof"`` is not the receiver's
        answer): (source, trial, provenance), else None. At most ``REUSE_TRIALS`` are tried."""
        for name, source in analogy.reusable(self.image, receiver, message.selector)[:REUSE_TRIALS]:
            if not candidates.reads_inputs(source):
                continue
            try:
                policy.check(source, message.selector)
                trial = self._try(receiver, message, source, slots, methods, t)
            except GenerationError as exc:
                log.info("kernel: %s.%s does not fit %s: %s", name, message.selector,
                         _label(receiver), exc.reason)
                continue
            if trial.value is None:
                continue
            prov = {"author": "kernel", "copied_from": name, "attempts": 0,
                    "trial": json.dumps({"args": _jsonable(message.args),
                                         "value": trial.value})[:500],
                    "message": repr(message)[:200], "levers": self.levers.label()}
            if self.levers.examples:
                example = examples.make(slots, message, trial.value)
                if example is not None:
                    prov[examples.KEY] = [example]
            return source, trial, prov
        return None

    def close(self) -> None:
        """Nothing of our own to release (the backend belongs to the store)."""


def _domain_data(image, receiver: UvmObject, slots: dict) -> dict:
    """The receiver's data slots (``slots``) but those it inherits from the root ``Object``
    (its ``description``): the values a method of its own computes from."""
    root = image.prototypes.get("Object")
    return {n: v for n, v in slots.items()
            if root is None or (found := lookup(receiver, n)) is None or found[1] is not root}


def _jsonable(value):
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError):
        return repr(value)


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
    needed = candidates.self_reads(source) - {extract_name(source)}
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
