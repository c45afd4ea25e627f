"""Prototypal widgets: styled prototypes that are cloned for every bubble, row and field.

A :class:`WidgetPrototype` is a name, the widget class it makes (a Kivy ``Factory`` name, so kv
rules apply) and its own style slots. ``derive`` makes a new prototype that *delegates* to this
one (Self-style: a slot not set locally is looked up in the parent), ``clone`` makes a widget
from the merged slots, and ``record`` makes a RecycleView data row — RecycleView recycles a few
widgets for thousands of rows, so there the prototype is cloned into the row's data instead.

Changing a prototype's slot (``proto.set(color=...)``) changes every later clone and every
derived prototype that does not override it — the point of styling by prototypes.
"""

from __future__ import annotations

from typing import Any, Iterator

from ui.theme import Theme


class WidgetPrototype:
    __slots__ = ("name", "widget", "parent", "_slots")

    def __init__(self, name: str, widget: str | None = None, parent: "WidgetPrototype | None" = None,
                 **slots: Any):
        if widget is None and parent is None:
            raise ValueError(f"prototype {name!r} needs a widget class or a parent")
        self.name = name
        self.widget = widget
        self.parent = parent
        self._slots = dict(slots)

    # --- slots -----------------------------------------------------------------------------
    def lineage(self) -> Iterator["WidgetPrototype"]:
        seen: set[int] = set()
        proto: WidgetPrototype | None = self
        while proto is not None and id(proto) not in seen:
            seen.add(id(proto))
            yield proto
            proto = proto.parent

    def widget_class_name(self) -> str:
        for proto in self.lineage():
            if proto.widget:
                return proto.widget
        raise ValueError(f"prototype {self.name!r} has no widget class")  # unreachable by __init__

    def slots(self) -> dict[str, Any]:
        """Merged slots: the farthest ancestor first, so nearer prototypes win."""
        merged: dict[str, Any] = {}
        for proto in reversed(list(self.lineage())):
            merged.update(proto._slots)
        return merged

    def local_slots(self) -> dict[str, Any]:
        return dict(self._slots)

    def __getitem__(self, key: str) -> Any:
        for proto in self.lineage():
            if key in proto._slots:
                return proto._slots[key]
        raise KeyError(f"prototype {self.name!r} has no slot {key!r}")

    def set(self, **slots: Any) -> None:
        self._slots.update(slots)

    # --- making things ---------------------------------------------------------------------
    def derive(self, name: str, widget: str | None = None, **slots: Any) -> "WidgetPrototype":
        return WidgetPrototype(name, widget, self, **slots)

    def record(self, **overrides: Any) -> dict[str, Any]:
        """A RecycleView data row: the prototype's slots, the overrides, and its viewclass."""
        row = self.slots()
        row.update(overrides)
        row.setdefault("viewclass", self.widget_class_name())
        return row

    def clone(self, **overrides: Any):
        """A new widget of the prototype's class with its slots applied (needs Kivy)."""
        from kivy.factory import Factory

        cls = Factory.get(self.widget_class_name())
        slots = self.slots()
        slots.update(overrides)
        return cls(**slots)

    def __repr__(self) -> str:
        return f"<WidgetPrototype {self.name} ({self.widget_class_name()}) {self._slots}>"


class PrototypeRegistry:
    """The named prototypes of one running UI (owned by the App; nothing global)."""

    def __init__(self, theme: Theme) -> None:
        self.theme = theme
        self._by_name: dict[str, WidgetPrototype] = {}

    def add(self, proto: WidgetPrototype) -> WidgetPrototype:
        self._by_name[proto.name] = proto
        return proto

    def __getitem__(self, name: str) -> WidgetPrototype:
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"no widget prototype {name!r}; known: {sorted(self._by_name)}") from None

    def __contains__(self, name: str) -> bool:
        return name in self._by_name

    def names(self) -> list[str]:
        return sorted(self._by_name)


def build_prototypes(theme: Theme) -> PrototypeRegistry:
    """The styled prototypes every view clones from."""
    reg = PrototypeRegistry(theme)
    bubble = reg.add(WidgetPrototype(
        "Bubble", "ChatBubble", text="", persona="", status="",
        persona_color=theme.text_muted, bubble_color=theme.persona_bubble,
        text_color=theme.text, align="left", streaming=False))
    reg.add(bubble.derive("UserBubble", persona="YOU", align="right",
                          bubble_color=theme.user_bubble, persona_color=theme.persona_colour("YOU")))
    reg.add(bubble.derive("PersonaBubble"))
    reg.add(bubble.derive("SystemBubble", persona="SYSTEM", persona_color=theme.persona_colour("SYSTEM"),
                          text_color=theme.text_muted))
    reg.add(bubble.derive("ErrorBubble", persona="ERROR", bubble_color=theme.error_bubble,
                          persona_color=theme.error))
    row = reg.add(WidgetPrototype("Row", "InspectorRow", key="", value="", kind="data", ref="",
                                  key_color=theme.accent, value_color=theme.text,
                                  row_color=theme.surface))
    reg.add(row.derive("SlotRow", kind="data"))
    reg.add(row.derive("ParentRow", kind="parent", key_color=theme.warn))
    reg.add(row.derive("MethodRow", kind="method", key_color=theme.persona_colour("KERNEL")))
    reg.add(row.derive("RegistryRow", kind="registry", key_color=theme.text,
                       value_color=theme.text_muted))
    reg.add(row.derive("HeaderRow", kind="header", key_color=theme.text_muted,
                       value_color=theme.text_muted, row_color=theme.background))
    reg.add(WidgetPrototype("MemoryRow", "MemoryHitRow", text="", source="", when="", distance="", text_height=0,
                            tier="", tiers="", tier_color=theme.accent, row_color=theme.surface))
    reg.add(WidgetPrototype("BackupRow", "BackupSetRow", ident="", when="", kind="", size_text="",
                            encrypted="", verified="", selected=False, panel=None,
                            verified_color=theme.text_muted, row_color=theme.surface))
    reg.add(WidgetPrototype("ThoughtRow", "ThoughtRow", thought_id="", when="", author="",
                            author_kind="person", note="", author_color=theme.text, panel=None))
    reg.add(WidgetPrototype("RevisionRow", "RevisionRow", thought_id="", when="", author="", note="",
                            summary="", panel=None))
    reg.add(WidgetPrototype("ChangeRow", "ChangeRow", head="", body="", thought="", thought_id="",
                            provenance="", kind="data", change="changed", head_color=theme.warn,
                            body_height=0, provenance_height=0, panel=None))
    status_row = reg.add(WidgetPrototype("StatusRow", "StatusRow", label="", value="", kind="row",
                                         label_color=theme.text_muted, value_color=theme.text,
                                         row_color=theme.surface, value_height=0))
    reg.add(status_row.derive("StatusHeading", kind="header", label_color=theme.accent,
                              row_color=theme.background, value=""))
    return reg
