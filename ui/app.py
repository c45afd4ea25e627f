"""The thin App: loads the kv layouts, builds the root, wires the link to the views.

It owns nothing clever: the protocol belongs to the :class:`ui.link.Link` (and the bridge
client under it), behaviour to the screen widgets, the look to the theme and the prototypes.
"""

from __future__ import annotations

import logging
from pathlib import Path

from kivy.app import App
from kivy.lang import Builder

from telos.bridge import protocol as P
from ui.prototypes import build_prototypes
from ui.theme import DEFAULT, Theme

log = logging.getLogger(__name__)

KV_DIR = Path(__file__).resolve().parent / "kv"
KV_FILES = ("base.kv", "chat.kv", "inspector.kv", "memory.kv", "backups.kv", "status.kv",
            "timeline.kv", "history.kv", "map.kv", "kernel.kv", "root.kv")


def load_layouts() -> None:
    # widget classes must be registered with the Factory before their rules are read
    import ui.backupsview  # noqa: F401
    import ui.chat  # noqa: F401
    import ui.historyview  # noqa: F401
    import ui.inspector  # noqa: F401
    import ui.kernelview  # noqa: F401
    import ui.mapview  # noqa: F401
    import ui.memoryview  # noqa: F401
    import ui.root  # noqa: F401
    import ui.statuspage  # noqa: F401
    import ui.timelineview  # noqa: F401

    for name in KV_FILES:
        path = str(KV_DIR / name)
        Builder.unload_file(path)          # loading twice would apply every rule twice
        Builder.load_file(path)


class TelosApp(App):
    title = "TelOS — the living image"

    def __init__(self, link, *, view: str = "chat", theme: Theme = DEFAULT, **kwargs):
        self.theme = theme
        self.link = link
        self.prototypes = build_prototypes(theme)
        self.initial_view = view
        super().__init__(**kwargs)

    def build(self):
        from kivy.clock import Clock

        # a changed bubble settles through a chain of layout triggers (label texture → card →
        # bubble → recycle layout → scroll) that all run before the frame is drawn; Kivy's default
        # of 10 chained iterations is too few for that and leaves overlapping rows
        Clock.max_iteration = max(Clock.max_iteration, 40)
        load_layouts()
        from ui.root import RootView

        root = RootView(link=self.link, prototypes=self.prototypes)
        chat, inspector, status = root.ids.chat, root.ids.inspector, root.ids.status
        self.link.on_partials(chat.on_partials)
        self.link.on_frame(chat.refresh)
        self.link.on_lost(chat.on_disconnected)
        self.link.on_lost(lambda _reason: chat.refresh())
        self.link.on_found(lambda: root.view == "inspector" and inspector.load_registry())

        def on_message(msg) -> None:
            if isinstance(msg, P.PersonaResponseComplete):
                chat.on_complete(msg)
            elif isinstance(msg, P.SystemStatusUpdate):
                status.show(msg)
            elif isinstance(msg, P.KernelEvent):
                root.ids.kernel.on_event(msg)     # pushed: any client's send woke the kernel
            elif isinstance(msg, P.ThoughtsCommitted):
                root.on_thoughts(msg)
            elif isinstance(msg, P.Error):
                chat.on_error(msg)          # errors nobody asked for are shown, never swallowed
            else:
                log.debug("unrouted %s", msg.command)

        self.link.on_message(on_message)
        root.show_view(self.initial_view)
        return root

    def on_start(self):
        self.link.start()

    def on_stop(self):
        self.link.stop()
