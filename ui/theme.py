"""The look: one calm palette, legible sizes, a colour per persona.

Colours are RGBA tuples in 0..1 (what Kivy's canvas wants). Sizes are in ``sp``/``dp`` units and
converted by the kv files (``sp(theme.font_size)``), so the UI scales with the display density.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def hex_rgba(value: str, alpha: float = 1.0) -> tuple[float, float, float, float]:
    value = value.lstrip("#")
    if len(value) != 6:
        raise ValueError(f"colour {value!r} is not #rrggbb")
    r, g, b = (int(value[i:i + 2], 16) / 255 for i in (0, 2, 4))
    return (r, g, b, alpha)


PERSONA_COLOURS = {
    "ALFRED": "#8fb3d9",   # steady blue-grey: the butler, the system's voice
    "BRICK": "#e48a6a",    # brick: the logician
    "ROBIN": "#8cc7a4",    # green: the gardener of meaning
    "BABS": "#e9c77b",     # gold: the scout
    "KERNEL": "#c39be3",   # violet: the generative kernel at work
    "YOU": "#b8c4d6",
    "SYSTEM": "#9aa3ad",
    "ERROR": "#ef7b7b",
}


@dataclass(frozen=True)
class Theme:
    background: tuple = hex_rgba("#1c1f24")
    surface: tuple = hex_rgba("#242830")
    surface_high: tuple = hex_rgba("#2d323c")
    outline: tuple = hex_rgba("#3a404c")
    text: tuple = hex_rgba("#e3e6ea")
    text_muted: tuple = hex_rgba("#9aa3ad")
    accent: tuple = hex_rgba("#6fb1c9")
    ok: tuple = hex_rgba("#8cc7a4")
    warn: tuple = hex_rgba("#e9c77b")
    error: tuple = hex_rgba("#ef7b7b")
    user_bubble: tuple = hex_rgba("#2f3a4a")
    persona_bubble: tuple = hex_rgba("#272c35")
    error_bubble: tuple = hex_rgba("#3a2629")
    font_size: float = 15          # sp, body text
    font_small: float = 13         # sp, labels and status
    font_title: float = 17         # sp, headings
    mono_font: str = "RobotoMono-Regular"
    padding: float = 12            # dp
    radius: float = 10             # dp
    persona_colours: dict = field(default_factory=lambda: {k: hex_rgba(v) for k, v in PERSONA_COLOURS.items()})

    def persona_colour(self, persona: str | None) -> tuple:
        name = (persona or "SYSTEM").upper()
        if name in self.persona_colours:
            return self.persona_colours[name]
        # unknown personas get a stable colour from a small calm set
        calm = ("#8fb3d9", "#e48a6a", "#8cc7a4", "#e9c77b", "#c39be3", "#7fc8c8")
        return hex_rgba(calm[sum(map(ord, name)) % len(calm)])

    def markup_colour(self, persona: str | None) -> str:
        r, g, b, _ = self.persona_colour(persona)
        return "%02x%02x%02x" % (round(r * 255), round(g * 255), round(b * 255))


DEFAULT = Theme()
