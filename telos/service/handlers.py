"""The service's bridge handlers: one function per request command, each on its own image session.

Writes (SET_SLOT, DEFINE_METHOD, SEND_MESSAGE, REMEMBER) are thoughts: committed when the handler
succeeds, aborted otherwise, so a failed request leaves the image exactly as it was. The ACK is
sent only after the commit returned, so an acknowledged write is durable.
"""

from __future__ import annotations

import ast
import logging
from typing import TYPE_CHECKING, Any

from telos import config
from telos.bridge import authz
from telos.bridge import protocol as P
from telos.bridge.server import HandlerRegistry, RequestContext
from telos.errors import GenerationCancelled, RequestRefused, TelosError
from telos.reflect import mirror
from telos.service import backups, kernelfeed, limits, memorymap, views
from telos.service import history_handlers as history
from telos.service.sessions import commit_thought

if TYPE_CHECKING:
    from telos.service.process import Service
    from telos.memory.hits import Hit

log = logging.getLogger(__name__)


def build_registry(service: "Service") -> HandlerRegistry:
    reg = HandlerRegistry()
    max_slot_bytes = config.get_int("bridge_max_slot_bytes")
    # KERNEL_EVENT pushes to every client, and the recent ones for KERNEL_EVENTS
    feed = kernelfeed.KernelFeed(lambda m: getattr(service, "bridge", None) is not None
                                 and service.bridge.broadcast(m))

    def thought(ctx: RequestContext, fn, note: str):
        s = ctx.session
        result = commit_thought(s, fn, note, user=ctx.peer.author,   # who changed the image
                                on_commit=service.metrics.commit,
                                on_conflict=service.metrics.conflict)
        return result, s.last_thought

    @reg.handler("PING", inline=True)
    def ping(ctx):
        return P.Pong(request_id=ctx.request_id)

    @reg.handler("STATUS_REQUEST", inline=True)     # a snapshot the maintenance loop refreshes
    def status(ctx):
        return service.status.snapshot(request_id=ctx.request_id)

    @reg.handler("SHUTDOWN_REQUEST")
    def shutdown(ctx):
        log.warning("shutdown requested over the bridge (%s)", ctx.request.reason or "no reason given")
        authz.record(ctx.peer, "SHUTDOWN_REQUEST", "service", ctx.request.reason)
        service.request_stop(f"SHUTDOWN_REQUEST {ctx.request_id}")
        return P.Ack(request_id=ctx.request_id, of="SHUTDOWN_REQUEST", detail="stopping")

    @reg.handler("LIST_PROTOTYPES")
    def list_prototypes(ctx):
        protos = ctx.session.prototypes
        items = [views.summary(name, obj) for name, obj in list(protos.items())[: P.MAX_ITEMS]]
        return P.PrototypeList(request_id=ctx.request_id, prototypes=items)

    @reg.handler("INSPECT_OBJECT")
    def inspect(ctx):
        r = ctx.request
        if r.as_of is not None:                  # read-only, as the image was then
            with ctx.session.viewing(history.past_tid(r.as_of)) as view:
                obj = history.past_object(view, r.name, r.object_id)
                return P.ObjectDescription(request_id=ctx.request_id, object=views.object_view(obj))
        obj = views.resolve(ctx.session, r.name, r.object_id)
        return P.ObjectDescription(request_id=ctx.request_id, object=views.object_view(obj))

    @reg.handler("SET_SLOT")
    def set_slot(ctx):
        r = ctx.request
        limits.check_slot_value(r.slot, r.value, max_slot_bytes)

        def change():
            obj = views.resolve(ctx.session, r.name, r.object_id)
            if r.slot in dict(mirror(obj).parents()):
                raise RequestRefused(f"{r.slot!r} is a parent slot; SET_SLOT sets data slots",
                                     code=P.BAD_REQUEST)
            value = r.value
            if obj is ctx.session.config:        # an image setting: checked by its converter
                value = config.check_image_slot(r.slot, value)
            setattr(obj, r.slot, value)
            return obj
        obj, tid = thought(ctx, change, r.note or f"bridge: set {r.slot}")
        authz.record(ctx.peer, "SET_SLOT", f"{_target(r)}.{r.slot}", f"thought {tid}")
        return P.Ack(request_id=ctx.request_id, of="SET_SLOT", thought_id=tid,
                     object=views.object_view(obj))

    @reg.handler("DEFINE_METHOD")
    def define_method(ctx):
        r = ctx.request
        selector = r.selector or _def_name(r.source)

        def change():
            obj = views.resolve(ctx.session, r.name, r.object_id)
            mirror(obj).define(selector, r.source, {"author": ctx.peer.author, "via": "DEFINE_METHOD",
                                                    "note": r.note or None})
            return obj
        obj, tid = thought(ctx, change, r.note or f"bridge: define {selector}")
        authz.record(ctx.peer, "DEFINE_METHOD", f"{_target(r)}.{selector}", f"thought {tid}")
        return P.Ack(request_id=ctx.request_id, of="DEFINE_METHOD", thought_id=tid,
                     object=views.object_view(obj))

    @reg.handler("SEND_MESSAGE")
    def send_message(ctx):
        r = ctx.request
        state: dict[str, Any] = {}

        def run():
            obj = views.resolve(ctx.session, r.name, r.object_id)
            state["had"] = mirror(obj).responds_to(r.selector)
            try:
                target = getattr(obj, r.selector)
                value = target(*r.args, **r.kwargs) if callable(target) else target
            except TelosError:
                raise
            except Exception as exc:   # the receiver's own code raised: report it, commit nothing
                raise RequestRefused(f"{r.selector} raised {type(exc).__name__}: {exc}",
                                     code=P.EVALUATION_FAILED,
                                     hint="the image is unchanged") from exc
            state["generated"] = not state["had"] and mirror(obj).responds_to(r.selector)
            return value
        with feed.watching(ctx.request_id):          # the kernel's steps, if it wakes
            value, tid = thought(ctx, run, f"bridge: send {r.selector}")
        authz.record(ctx.peer, "SEND_MESSAGE", f"{_target(r)}.{r.selector}",
                     f"thought {tid}" + (", method generated" if state.get("generated") else ""))
        return P.SendResult(request_id=ctx.request_id, generated=state.get("generated", False),
                            thought_id=tid, **views.describe_value(value))

    @reg.handler("SEARCH_MEMORY")
    def search(ctx):
        r = ctx.request
        memory = _memory(ctx.session)
        hits = memory.search(r.query, k=r.k, mode=r.mode, source=r.source, since=r.since,
                             until=r.until,
                             as_of=None if r.as_of is None else history.past_tid(r.as_of))
        return P.SearchResults(request_id=ctx.request_id, hits=[_hit(h) for h in list(hits)[: r.k]])

    history.register(reg, thought)

    @reg.handler("VSA_QUERY")
    def vsa_query(ctx):
        answer = ctx.session.vsa.ask(ctx.request.query)
        steps = [P.VsaStep(op=st.op[: P.MAX_NAME], detail=st.detail[: P.MAX_SHORT],
                           score=None if st.score is None else float(st.score))
                 for st in answer.steps[:64]]
        return P.VsaAnswer(request_id=ctx.request_id, value=str(answer.value)[: P.MAX_SHORT],
                           kind=str(answer.kind)[: P.MAX_NAME], score=float(answer.score),
                           steps=steps)

    @reg.handler("REMEMBER")
    def remember(ctx):
        r = ctx.request
        memory = _memory(ctx.session)
        record, tid = thought(ctx, lambda: memory.remember(r.text, source=r.source),
                              f"bridge: remember ({r.source})")
        authz.record(ctx.peer, "REMEMBER", f"memory ({r.source})", f"thought {tid}")
        return P.Ack(request_id=ctx.request_id, of="REMEMBER", thought_id=tid,
                     record_id=str(record)[: P.MAX_ID * 2])

    @reg.handler("USER_QUERY_REQUEST")
    def user_query(ctx):
        r = ctx.request
        log.info("query %s received (persona %s)", ctx.request_id, r.persona or "default")
        responder = service.responder()
        options = {"num_predict": r.max_tokens} if r.max_tokens else None
        persona_id, tokens = responder.respond(ctx.session, r.query_text, r.persona,
                                               ctx.cancelled, options=options)
        parts: list[str] = []
        try:
            for token in tokens:
                if not token:
                    continue
                if ctx.cancelled.is_set() or not ctx.partial(persona_id, token):
                    raise GenerationCancelled("the client left")
                parts.append(token)
        except GenerationCancelled:
            log.info("query %s cancelled after %d tokens", ctx.request_id, len(parts))
            return None
        finally:
            close = getattr(tokens, "close", None)
            if callable(close):
                close()        # stops the model within one token when we leave early
        text = "".join(parts)
        tid = None
        if getattr(responder, "remember_turns", False) and parts:
            tid = _remember_turn(ctx, thought, r.query_text, persona_id, text)
        return P.PersonaResponseComplete(request_id=ctx.request_id, persona_id=persona_id,
                                         full_text=text[: P.MAX_LONG_TEXT], thought_id=tid)

    backups.register(reg, service)          # LIST_BACKUPS, RUN_BACKUP, VERIFY_BACKUP
    memorymap.register(reg, _memory)        # MEMORY_MAP
    feed.register(reg)                      # KERNEL_EVENTS
    return reg


def _remember_turn(ctx, thought, query: str, persona_id: str, text: str) -> str | None:
    """Remember the exchange in fractal memory (one thought); the answer stands if this fails."""
    try:
        memory = _memory(ctx.session)
    except RequestRefused:
        return None
    try:
        _, tid = thought(ctx, lambda: memory.remember(f"Q: {query}\n{persona_id}: {text}",
                                                      source=f"persona:{persona_id}"),
                         f"remember turn of {persona_id}")
        return tid
    except Exception:
        log.exception("remembering the turn of %s failed; the answer stands", persona_id)
        return None


def _target(r: Any) -> str:
    return r.name if r.name is not None else f"oid:{r.object_id}"


def _def_name(source: str) -> str:
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise RequestRefused(f"method source: syntax error on line {exc.lineno}: {exc.msg}",
                             code=P.BAD_REQUEST) from exc
    defs = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    if not defs:
        raise RequestRefused("method source must be one `def name(self, ...)`", code=P.BAD_REQUEST)
    return defs[0].name


def _memory(session: Any) -> Any:
    """The session's memory facade (``telos.memory.facade.Memory``), or UNAVAILABLE when no
    memory area is registered in this process."""
    try:
        return session.area("memory")
    except (ImportError, AttributeError) as exc:
        raise RequestRefused(f"fractal memory is not available in this service: {exc}",
                             code=P.UNAVAILABLE) from exc


def _hit(h: "Hit") -> P.MemoryHit:
    """One ``telos.memory.facade.Hit`` (its record a ``ContextFractal``) on the wire."""
    record = h.record
    created = getattr(record, "created", None)
    source = getattr(record, "source", None)
    return P.MemoryHit(
        record_id=str(h.id)[:128], text=h.text[: P.MAX_TEXT], score=float(h.distance),
        tier=h.tier[: P.MAX_SHORT], source="" if source is None else str(source)[: P.MAX_SHORT],
        created=float(created) if isinstance(created, (int, float)) else None,
        tiers=[t[: P.MAX_SHORT] for t in (getattr(h, "tiers", ()) or (h.tier,))][:8])
