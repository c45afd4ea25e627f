"""The UI's end of the bridge: one client object owning the protocol, pumped on the Kivy clock.

The bridge client (:mod:`telos.bridge.client`) runs its DEALER socket in a background thread and
hands received messages over a thread-safe queue. :class:`Link` drains that queue **on the main
thread, once per frame** (``Clock.schedule_interval(..., 0)``), so widgets are only ever touched
by the UI thread and the UI never waits on the network:

* consecutive ``PERSONA_RESPONSE_PARTIAL`` frames of one request are grouped and handed over as
  one list of tokens (hundreds of tokens in a frame → one append → one row update);
* a final reply goes to the callback registered for its ``request_id`` (``request(msg, cb)``);
* ``REQUEST_PROGRESS`` (the service is still working on a request: queued, loading the model,
  a backup placing its files) updates :attr:`Link.progress_text`, goes to the request's
  ``on_progress`` listener when it has one, and keeps the request's callback waiting;
* ``SYSTEM_STATUS_UPDATE`` and everything else without a callback goes to ``on_message``;
* after the batch, every ``on_frame`` listener runs once (views sync their rows there).

Liveness: every ``status_every`` seconds the link asks for ``STATUS_REQUEST``; a service that has
said nothing for ``dead_after`` seconds is *disconnected* (the status bar says so, pending chat
replies are marked interrupted). The DEALER keeps reconnecting by itself; the first message that
arrives again makes the link *connected* — nothing for the user to do.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable

from kivy.clock import Clock
from kivy.event import EventDispatcher
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty

from telos.bridge import protocol as P
from ui.client import Connection

log = logging.getLogger(__name__)

ReplyCallback = Callable[[Any], None]


class Link(EventDispatcher):
    connected = BooleanProperty(False)
    endpoint = StringProperty("")
    state_text = StringProperty("connecting…")
    last_status = ObjectProperty(None, allownone=True)     # the newest SystemStatusUpdate
    reconnects = NumericProperty(0)                       # how many times it came back
    frames_with_messages = NumericProperty(0)
    messages_seen = NumericProperty(0)
    progress_text = StringProperty("")                   # what the newest waiting request waits for

    def __init__(self, client, *, endpoint: str = "", status_every: float = 2.0,
                 dead_after: float = 30.0, max_per_frame: int = 20_000, **kwargs):
        super().__init__(**kwargs)
        self.client = client
        self.endpoint = endpoint
        self.status_every = status_every
        self.dead_after = dead_after
        self.max_per_frame = max_per_frame
        self._callbacks: dict[str, ReplyCallback] = {}
        self._progress_listeners: dict[str, ReplyCallback] = {}
        self._partials: list[Callable[[str, str, list[str]], None]] = []
        self._messages: list[Callable[[Any], None]] = []
        self._frame_listeners: list[Callable[[], None]] = []
        self._disconnect_listeners: list[Callable[[str], None]] = []
        self._connect_listeners: list[Callable[[], None]] = []
        self._heartbeats: dict[str, float] = {}    # request ids of our STATUS_REQUESTs
        self._progress: dict[str, str] = {}        # request id → its newest progress text
        self._abandoned: set[str] = set()          # requests already answered with "lost"
        self._last_heard = 0.0
        self._ever_connected = False
        self._events: list = []
        self.token_arrival: Callable[[P.PersonaResponsePartial], None] | None = None  # bench hook

    # --- wiring ----------------------------------------------------------------------------
    def on_partials(self, fn: Callable[[str, str, list[str]], None]) -> None:
        self._partials.append(fn)

    def on_message(self, fn: Callable[[Any], None]) -> None:
        self._messages.append(fn)

    def on_frame(self, fn: Callable[[], None]) -> None:
        self._frame_listeners.append(fn)

    def on_lost(self, fn: Callable[[str], None]) -> None:
        self._disconnect_listeners.append(fn)

    def on_found(self, fn: Callable[[], None]) -> None:
        self._connect_listeners.append(fn)

    def start(self) -> None:
        if self._events:
            return                      # already started
        self.client.start()
        self._events = [Clock.schedule_interval(self.pump, 0),
                        Clock.schedule_interval(self._heartbeat, self.status_every)]
        self._heartbeat(0)

    def stop(self) -> None:
        for ev in self._events:
            ev.cancel()
        self._events = []
        self.client.close()

    # --- sending ---------------------------------------------------------------------------
    def send(self, message) -> str:
        """Queue a request for the client thread (never blocks the UI)."""
        self.client.send(message)
        return message.request_id

    def request(self, message, callback: ReplyCallback,
                on_progress: ReplyCallback | None = None) -> str:
        """Send; ``callback(final reply)`` on the main thread, ``on_progress(REQUEST_PROGRESS)``
        for each progress report before it."""
        self._callbacks[message.request_id] = callback
        if on_progress is not None:
            self._progress_listeners[message.request_id] = on_progress
        return self.send(message)

    def _heartbeat(self, _dt) -> None:
        now = time.monotonic()
        if self.connected and now - self._last_heard > self.dead_after:
            self._lost(f"no answer for {now - self._last_heard:.0f} s")
        if not self.connected:
            self.state_text = (f"disconnected — reconnecting to {self.endpoint}…" if self._ever_connected
                               else f"connecting to {self.endpoint}…")
            return          # requests would only pile up in the socket; the DEALER reconnects
        message = P.StatusRequest()
        self._heartbeats[message.request_id] = now
        for rid in [r for r, t in self._heartbeats.items() if now - t > 4 * self.dead_after]:
            del self._heartbeats[rid]
        self.send(message)

    def _lost(self, reason: str) -> None:
        self.connected = False
        self.state_text = f"disconnected ({reason}) — reconnecting…"
        log.warning("bridge: service lost: %s", reason)
        # requests in flight will not be answered by a restarted service; their callbacks hear
        # it now, and whatever still arrives for them later (the client's own "lost" errors, a
        # late reply from a hung service) is dropped instead of surfacing twice
        callbacks, self._callbacks = self._callbacks, {}
        self._progress_listeners.clear()
        self._abandoned.update(callbacks)
        self._progress.clear()
        self.progress_text = ""
        for rid, cb in callbacks.items():
            cb(P.Error(request_id=rid, code="unavailable", message=f"the service went away ({reason})",
                       hint="it reconnects by itself; send again once the status bar says connected"))
        for fn in self._disconnect_listeners:
            fn(reason)

    def _found(self) -> None:
        self.connected = True
        if self._ever_connected:
            self.reconnects += 1
            log.info("bridge: service is back (reconnect #%d)", self.reconnects)
        self._ever_connected = True
        self.state_text = f"connected · {self.endpoint}"
        for fn in self._connect_listeners:
            fn()

    # --- the frame pump (main thread) ------------------------------------------------------
    def pump(self, _dt=None) -> int:
        """Drain the client's queue once; returns how many messages were handled."""
        batch = self.client.drain(self.max_per_frame)
        if not batch:
            return 0
        self.frames_with_messages += 1
        self.messages_seen += len(batch)
        run: list[P.PersonaResponsePartial] = []
        for msg in batch:
            if isinstance(msg, Connection):
                if run:
                    self._flush_partials(run)
                    run = []
                if msg.connected and not self.connected:
                    self._last_heard = time.monotonic()
                    self._found()
                    self._heartbeat(0)          # ask for the status at once
                elif not msg.connected and self.connected:
                    self._lost(msg.detail or "disconnected")
                continue
            self._last_heard = time.monotonic()
            if not self.connected:
                self._found()
            if isinstance(msg, P.PersonaResponsePartial):
                if run and run[-1].request_id != msg.request_id:
                    self._flush_partials(run)
                    run = []
                run.append(msg)
                continue
            if run:
                self._flush_partials(run)
                run = []
            self._dispatch(msg)
        if run:
            self._flush_partials(run)
        for fn in self._frame_listeners:
            fn()
        return len(batch)

    def _flush_partials(self, run: list[P.PersonaResponsePartial]) -> None:
        self._settled(run[0].request_id)
        if self.token_arrival is not None:
            for msg in run:
                self.token_arrival(msg)
        first = run[0]
        tokens = [m.token for m in sorted(run, key=lambda m: m.seq)]
        for fn in self._partials:
            fn(first.request_id, first.persona_id, tokens)

    def _note_progress(self, msg: P.RequestProgress) -> None:
        text = msg.detail or msg.stage
        if msg.fraction is not None:
            text += f": {msg.fraction * 100:.0f} %"
        self._progress[msg.request_id] = f"{text} ({msg.elapsed:.0f} s)"
        self.progress_text = self._progress[msg.request_id]

    def _settled(self, rid: str | None) -> None:
        """A request got its final reply (or first token): it no longer waits."""
        if rid is not None and self._progress.pop(rid, None) is not None:
            self.progress_text = next(reversed(self._progress.values()), "")

    def _dispatch(self, msg) -> None:
        if isinstance(msg, P.RequestProgress):
            if msg.request_id not in self._abandoned:
                self._note_progress(msg)
                listener = self._progress_listeners.get(msg.request_id)
                if listener is not None:
                    try:
                        listener(msg)
                    except Exception:   # one view's bug must not stop the pump
                        log.exception("UI progress listener for %s failed", msg.request_id)
            return
        self._settled(getattr(msg, "request_id", None))
        self._progress_listeners.pop(getattr(msg, "request_id", None), None)
        if isinstance(msg, P.SystemStatusUpdate):
            self.last_status = msg
        rid = getattr(msg, "request_id", None)
        if rid is not None and self._heartbeats.pop(rid, None) is not None:
            if isinstance(msg, P.Error):
                log.info("status request refused: [%s] %s", msg.code, msg.message)
                return
        if rid is not None and rid in self._abandoned:
            self._abandoned.discard(rid)
            log.info("dropped %s for request %s, already reported lost", msg.command, rid)
            return
        callback = self._callbacks.pop(rid, None) if rid else None
        if callback is not None:
            try:
                callback(msg)
            except Exception:   # one view's bug must not stop the pump; logged with traceback
                log.exception("UI callback for %s failed", msg.command)
            return
        for fn in self._messages:
            fn(msg)
