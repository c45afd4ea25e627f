"""The inspector: registry, an object's parents / slots / methods, an editor and an evaluator.

Everything it changes goes through the bridge as one request (``SET_SLOT`` / ``DEFINE_METHOD`` /
``SEND_MESSAGE``), which the service runs as one thought: the reply is either the committed
object, shown again, or an ``ERROR`` shown under the editor — and then nothing changed.

*As of a thought* (``as_of``, a thought id) the inspector shows the object as it was then
(``INSPECT_OBJECT.as_of``), read-only: a banner says so and offers *back to now*; the editor,
commit, new slot/method and the evaluator are disabled, and following a parent stays in the past.
*History* opens the object's revisions and their diffs (:mod:`ui.historyview`).
"""

from __future__ import annotations

import logging

from kivy.properties import (BooleanProperty, ColorProperty, NumericProperty, ObjectProperty,
                             StringProperty)
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.recycleview.views import RecycleDataViewBehavior

from telos.bridge import protocol as P
from ui.inspection import (EditRejected, describe_provenance, examples_text, object_rows,
                           parse_send, parse_value, result_text, value_text)
from ui.timeline import as_of_banner

log = logging.getLogger(__name__)


class InspectorRow(RecycleDataViewBehavior, ButtonBehavior, BoxLayout):
    """A clickable row (registry entry, parent, slot, method), cloned from a row prototype."""

    key = StringProperty("")
    value = StringProperty("")
    kind = StringProperty("data")
    ref = StringProperty("")
    key_color = ColorProperty((1, 1, 1, 1))
    value_color = ColorProperty((1, 1, 1, 1))
    row_color = ColorProperty((0.15, 0.17, 0.2, 1))
    selected = BooleanProperty(False)
    owner = ObjectProperty(None, allownone=True)

    def on_release(self):
        if self.owner is not None:
            self.owner.row_clicked(self.kind, self.key, self.ref)


class InspectorScreenBody(BoxLayout):
    link = ObjectProperty(None, allownone=True, rebind=True)
    prototypes = ObjectProperty(None, allownone=True)
    current = ObjectProperty(None, allownone=True)      # the ObjectView shown
    title = StringProperty("Choose a prototype on the left")
    subtitle = StringProperty("")
    edit_label = StringProperty("Select a slot or a method to edit it")
    provenance = StringProperty("")
    examples = StringProperty("")                       # a method's stored examples, one per line
    edit_message = StringProperty("")
    edit_ok = BooleanProperty(True)
    eval_result = StringProperty("")
    editing = ObjectProperty(None, allownone=True)      # ("data"|"method", name) or None
    auto_open = StringProperty("")                      # open this prototype once the registry arrives
    busy = BooleanProperty(False)                       # an evaluator send or commit is in flight
    navigator = ObjectProperty(None, allownone=True)    # the RootView (history, other views)
    as_of = StringProperty("")                          # a thought id: read-only, as it was then
    as_of_text = StringProperty("")                     # the banner
    objects_shown = NumericProperty(0)                  # object replies shown (tests)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.history: list[str] = []                    # object ids, for "back"
        self._registry: list[P.PrototypeSummary] = []

    # --- requests --------------------------------------------------------------------------
    def _send(self, message, callback) -> str | None:
        if self.link is None or not self.link.connected:
            self.edit_ok, self.edit_message = False, "the service is not connected; nothing was sent"
            return None
        self.link.request(message, callback)
        return message.request_id

    def load_registry(self) -> str | None:
        return self._send(P.ListPrototypes(), self._on_registry) if self.link and self.link.connected else None

    def open(self, name: str | None = None, object_id: str | None = None, *, remember=True) -> str | None:
        if remember and self.current is not None:
            self.history.append(self.current.object_id)
        as_of = self.as_of or None
        msg = (P.InspectObject(name=name, as_of=as_of) if name
               else P.InspectObject(object_id=object_id, as_of=as_of))
        return self._send(msg, self._on_object)

    def open_as_of(self, thought_id: str, thought=None, *, name: str | None = None,
                   object_id: str | None = None) -> str | None:
        """Show an object (``name``/``object_id``, else the one shown) as of a thought, read-only."""
        if not name and not object_id:
            object_id = self.current.object_id if self.current is not None else None
            name = None if object_id else "Config"
        self.as_of, self.as_of_text = thought_id, as_of_banner(thought, thought_id)
        self._leave_editing()
        return self.open(name=name, object_id=object_id, remember=False)

    def back_to_now(self) -> str | None:
        self.as_of, self.as_of_text = "", ""
        self._leave_editing()
        if self.current is not None:
            return self.open(object_id=self.current.object_id, remember=False)
        return None

    def _leave_editing(self) -> None:
        self.editing = None
        self.edit_label, self.provenance, self.edit_message = \
            "Select a slot or a method to edit it", "", ""
        self.examples = ""
        self.ids.editor.text = ""

    def _read_only(self) -> bool:
        if self.as_of:
            self.edit_ok = False
            self.edit_message = "read-only: this is the object as it was; press back to now to edit"
        return bool(self.as_of)

    def show_history(self) -> None:
        if self.current is not None and self.navigator is not None:
            self.navigator.show_history(self.current.object_id, self.current.name)

    def back(self) -> None:
        if self.history:
            self.open(object_id=self.history.pop(), remember=False)

    def refresh(self) -> None:
        if self.current is not None:
            self.open(object_id=self.current.object_id, remember=False)

    # --- replies (main thread) ---------------------------------------------------------------
    def _on_registry(self, reply) -> None:
        if isinstance(reply, P.Error):
            self.title = f"registry unavailable: {reply.message}"
            return
        self._registry = sorted(reply.prototypes, key=lambda p: p.name.lower())
        self.filter_registry(self.ids.registry_filter.text)
        if self.current is None and self._registry:
            wanted = self.auto_open or max(self._registry, key=lambda p: (p.n_methods, p.n_slots)).name
            self.open(name=wanted, remember=False)

    def filter_registry(self, text: str) -> None:
        needle = text.strip().lower()
        proto = self.prototypes["RegistryRow"]
        self.ids.registry.data = [
            proto.record(key=p.name, value=f"{p.n_slots} slots" + (f" · {p.n_methods} m" if p.n_methods else ""),
                         ref=p.object_id, owner=self)
            for p in self._registry if needle in p.name.lower()]

    def _on_object(self, reply) -> None:
        if isinstance(reply, P.Error):
            self.edit_ok, self.edit_message = False, f"[{reply.code}] {reply.message}"
            return
        self.objects_shown += 1
        self.show(reply.object)

    def show(self, view: P.ObjectView) -> None:
        same = self.current is not None and self.current.object_id == view.object_id
        self.current = view
        self.title = view.name or f"{view.type} {view.object_id[:12]}"
        self.subtitle = f"{view.type} · id {view.object_id}"
        self.ids.object_rows.data = [
            self.prototypes[row.pop("proto")].record(owner=self, **row) for row in object_rows(view)]
        if not same:
            self.editing = None
            self.edit_label, self.provenance = "Select a slot or a method to edit it", ""
            self.examples = ""
            self.ids.editor.text = ""
            self.eval_result = ""

    # --- clicks ----------------------------------------------------------------------------
    def row_clicked(self, kind: str, key: str, ref: str) -> None:
        if kind == "registry":
            self.history.clear()
            self.open(object_id=ref, remember=False)
        elif kind == "parent" or (kind == "data" and ref):
            if kind == "data":
                self.edit_slot(key)
            if kind == "parent":
                self.open(object_id=ref)
        elif kind == "data":
            self.edit_slot(key)
        elif kind == "method":
            self.edit_method(key)

    def edit_slot(self, name: str) -> None:
        slot = next((s for s in self.current.slots if s.name == name), None) if self.current else None
        self.editing = ("data", name)
        self.edit_label = f"slot  {name}   " + ("(as it was: read-only)" if self.as_of else "(a JSON literal)")
        self.provenance = f"{slot.value_type}" if slot else "new slot"
        self.examples = ""
        self.ids.editor.text = value_text(slot) if slot else "null"
        self.edit_message = ""

    def edit_method(self, selector: str) -> None:
        method = next((m for m in self.current.methods if m.selector == selector), None) if self.current else None
        self.editing = ("method", selector)
        self.edit_label = f"method  {selector}" + ("   (as it was: read-only)" if self.as_of else "")
        self.provenance = describe_provenance(method.provenance) if method else "new method"
        self.examples = self._examples(method)
        self.ids.editor.text = method.source if method else f"def {selector}(self):\n    return None\n"
        self.edit_message = ""

    def _examples(self, method: P.MethodView | None) -> str:
        if method is None or self.current is None:
            return ""
        view = self.current
        label = view.name or f"{view.type}#{view.object_id[:8]}"
        return examples_text(label, method.selector, method.provenance)

    def new_slot(self, name: str) -> None:
        if self._read_only():
            return
        name = name.strip()
        if not name.isidentifier() or name.startswith("_"):
            self.edit_ok, self.edit_message = False, "a slot name is a public Python identifier"
            return
        self.edit_slot(name)

    def new_method(self, selector: str) -> None:
        if self._read_only():
            return
        selector = selector.strip()
        if not selector.isidentifier() or selector.startswith("_"):
            self.edit_ok, self.edit_message = False, "a selector is a public Python identifier"
            return
        self.edit_method(selector)

    # --- commit ----------------------------------------------------------------------------
    def commit(self) -> str | None:
        """Send the editor's text as SET_SLOT or DEFINE_METHOD; returns the request id."""
        if self._read_only():
            return None
        if self.current is None or self.editing is None:
            self.edit_ok, self.edit_message = False, "select a slot or a method first"
            return None
        kind, name = self.editing
        text = self.ids.editor.text
        try:
            if kind == "data":
                msg = P.SetSlot(object_id=self.current.object_id, slot=name, value=parse_value(text),
                                note=f"inspector: set {name}")
            else:
                if not text.strip():
                    raise EditRejected("the method source is empty")
                msg = P.DefineMethod(object_id=self.current.object_id, source=text, selector=name,
                                     note=f"inspector: define {name}")
        except EditRejected as exc:
            self.edit_ok, self.edit_message = False, f"not sent: {exc}"
            return None
        except ValueError as exc:          # pydantic bounds (too long, bad name)
            self.edit_ok, self.edit_message = False, f"not sent: {exc}"
            return None
        self.edit_ok, self.edit_message = True, "committing…"
        rid = self._send(msg, self._on_committed)
        self.busy = rid is not None
        return rid

    def _on_committed(self, reply) -> None:
        self.busy = False
        if isinstance(reply, P.Error):
            self.edit_ok = False
            self.edit_message = (f"not committed [{reply.code}]: {reply.message}"
                                 + (f"\n{reply.hint}" if reply.hint else "") + "\nnothing changed")
            return
        self.edit_ok = True
        self.edit_message = "committed" + (f" · thought {reply.thought_id}" if reply.thought_id else "")
        if reply.object is not None:
            editing = self.editing
            self.show(reply.object)
            self.editing = editing
            if editing and editing[0] == "method":
                m = next((m for m in reply.object.methods if m.selector == editing[1]), None)
                if m is not None:
                    self.provenance = describe_provenance(m.provenance)
                    self.examples = self._examples(m)
        else:
            self.refresh()

    # --- evaluator -------------------------------------------------------------------------
    def evaluate(self, text: str | None = None) -> str | None:
        if self.current is None:
            self.eval_result = "open an object first"
            return None
        if self.as_of:
            self.eval_result = "not sent: the object is shown as it was (read-only); back to now first"
            return None
        text = self.ids.evaluator.text if text is None else text
        try:
            send = parse_send(text)
            msg = P.SendMessage(object_id=self.current.object_id, selector=send.selector,
                                args=send.args, kwargs=send.kwargs)
        except (EditRejected, ValueError) as exc:
            self.eval_result = f"not sent: {exc}"
            return None
        self.eval_result = f"sending {send.selector}… (an unknown message may run the generative kernel)"
        rid = self._send(msg, self._on_result)
        self.busy = rid is not None
        return rid

    def _on_result(self, reply) -> None:
        self.busy = False
        if isinstance(reply, P.Error):
            self.eval_result = f"failed [{reply.code}] {reply.message}" + (f"\n  {reply.hint}" if reply.hint else "")
            return
        self.eval_result = result_text(reply)
        if reply.generated:
            self.refresh()
