"""The kernel at work: a message nobody understood, as the generative kernel handles it — the
request, the persona and model writing, the code as it streams, each step (extract, policy,
trial, install, commit) with its outcome and time, and on refusal the reason in one sentence;
beside it the recent cycles, each linked to its method in the inspector.

Fed by ``KERNEL_EVENT`` pushes (every client gets them, whoever sent the message) and, on each
(re)connection, one ``KERNEL_EVENTS`` catch-up; the texts come from :mod:`ui.kernelsteps`.
"""

from __future__ import annotations

import logging

from kivy.clock import Clock
from kivy.properties import (BooleanProperty, ColorProperty, NumericProperty, ObjectProperty,
                             StringProperty)
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.recycleview.views import RecycleDataViewBehavior

from telos.bridge import protocol as P
from ui import kernelsteps as K

log = logging.getLogger(__name__)


class KernelCycleRow(RecycleDataViewBehavior, ButtonBehavior, BoxLayout):
    cycle = StringProperty("")
    text = StringProperty("")
    state = StringProperty("")
    linkable = BooleanProperty(False)
    state_color = ColorProperty((1, 1, 1, 1))
    row_color = ColorProperty((0.15, 0.17, 0.2, 1))
    view = ObjectProperty(None, allownone=True)

    def on_release(self):
        if self.view is not None:
            self.view.select(self.cycle)


class KernelStepRow(RecycleDataViewBehavior, BoxLayout):
    label = StringProperty("")
    outcome = StringProperty("")
    seconds = StringProperty("")
    outcome_color = ColorProperty((1, 1, 1, 1))


class KernelScreenBody(BoxLayout):
    link = ObjectProperty(None, allownone=True, rebind=True)
    prototypes = ObjectProperty(None, allownone=True)
    shown = BooleanProperty(False)
    title = StringProperty("No message has woken the kernel yet.")
    writer = StringProperty("Send an object a message it does not understand (the inspector's "
                            "Evaluate, or any client): its cycle appears here step by step.")
    state = StringProperty("")
    state_kind = StringProperty("")          # working | installed | refused
    code = StringProperty("")
    current = StringProperty("")             # the cycle shown ("" follows the newest)
    events_seen = NumericProperty(0)
    catch_ups = NumericProperty(0)           # KERNEL_EVENT_LIST replies received

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.log = K.KernelLog()
        self._follow = True
        self._render = Clock.create_trigger(self._show, -1)

    def on_link(self, _instance, link) -> None:
        if link is not None:
            link.on_found(self.catch_up)

    def on_shown(self, _instance, shown: bool) -> None:
        if shown and not self.catch_ups:
            self.catch_up()

    # --- events ------------------------------------------------------------------------------
    def catch_up(self) -> str | None:
        if self.link is None or not self.link.connected:
            return None
        msg = P.KernelEvents()
        self.link.request(msg, self._on_list)
        return msg.request_id

    def _on_list(self, reply) -> None:
        self.catch_ups += 1
        if isinstance(reply, P.Error):
            log.info("kernel events unavailable: [%s] %s", reply.code, reply.message)
            return
        for e in reply.events:
            self.on_event(e)

    def on_event(self, e: P.KernelEvent) -> None:
        if self.log.add(e) is not None:
            self.events_seen += 1
            self._render()

    # --- showing -----------------------------------------------------------------------------
    def select(self, cycle: str) -> None:
        newest = self.log.newest()
        self._follow = newest is not None and newest.cycle == cycle
        self.current = cycle
        self._show()

    def _show(self, *_a) -> None:
        if self._follow or self.current not in self.log.cycles:
            newest = self.log.newest()
            self.current = newest.cycle if newest else ""
        c = self.log.cycles.get(self.current)
        self._list(c)
        if c is None:
            return
        self.title = c.request or c.selector
        self.writer = K.writer_text(c)
        self.state, self.state_kind = K.state_text(c), c.state
        self.code = c.code
        theme = self.prototypes.theme
        colours = {"ok": theme.ok, "failed": theme.error, "started": theme.accent}
        self.ids.kernel_steps.data = [
            dict(zip(("label", "outcome", "seconds"), K.step_text(s)),
                 outcome_color=colours.get(s.outcome, theme.text)) for s in c.steps]

    def _list(self, shown: K.Cycle | None) -> None:
        theme = self.prototypes.theme
        colours = {"installed": theme.ok, "refused": theme.error, "working": theme.warn}
        self.ids.kernel_cycles.data = [
            dict(cycle=c.cycle, text=K.summary_line(c), state=c.state, view=self,
                 linkable=K.method_link(c) is not None, state_color=colours[c.state],
                 row_color=theme.surface_high if shown is not None and c.cycle == shown.cycle
                 else theme.surface)
            for c in self.log.recent()]

    def open_method(self, cycle: str | None = None) -> bool:
        """Open the cycle's method in the inspector (the receiver, then the method's source)."""
        c = self.log.cycles.get(cycle or self.current)
        target = K.method_link(c) if c is not None else None
        root = self._root()
        if target is None or root is None:
            return False
        receiver, selector = target
        inspector = root.ids.inspector

        def opened(_w, view) -> None:
            if view is not None and view.name == receiver:
                inspector.unbind(current=opened)
                if any(m.selector == selector for m in view.methods):
                    # after show() has finished with the new object (it resets the editor)
                    Clock.schedule_once(lambda _dt: inspector.edit_method(selector), 0)
        inspector.bind(current=opened)
        inspector.auto_open = receiver          # what the registry opens, if it arrives first
        root.show_view("inspector")
        inspector.open(name=receiver, remember=inspector.current is not None)
        return True

    def _root(self):
        w = self.parent
        while w is not None and not hasattr(w, "show_view"):
            w = w.parent
        return w
