"""The conversation as data: bubbles, streamed replies, errors — no Kivy here.

The chat view renders :attr:`ChatLog.entries`; the frame pump feeds it whole *batches* of bridge
messages and then asks which rows changed (:meth:`ChatLog.take_dirty`), so a burst of hundreds of
streamed tokens turns into one update of one row per frame.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Iterable

USER, PERSONA, SYSTEM, ERROR = "user", "persona", "system", "error"


@dataclass
class ChatEntry:
    kind: str
    text: str
    persona: str = ""
    request_id: str | None = None
    streaming: bool = False
    status: str = ""                 # small grey line under the text (thought id, hint, time)
    created: float = field(default_factory=time.time)
    tokens: int = 0                  # streamed tokens received for this entry


class ChatLog:
    def __init__(self) -> None:
        self.entries: list[ChatEntry] = []
        self._dirty: set[int] = set()
        self._appended = False
        self._reply_index: dict[str, int] = {}     # request_id -> index of its reply bubble
        self.pending: dict[str, float] = {}        # request_id -> time sent (working indicator)

    # --- changes ---------------------------------------------------------------------------
    def _touch(self, index: int) -> None:
        self._dirty.add(index)

    def _append(self, entry: ChatEntry) -> int:
        self.entries.append(entry)
        self._appended = True
        index = len(self.entries) - 1
        self._dirty.add(index)
        return index

    def take_dirty(self) -> tuple[list[int], bool]:
        """The indices changed since the last call, and whether rows were appended."""
        dirty, appended = sorted(self._dirty), self._appended
        self._dirty, self._appended = set(), False
        return dirty, appended

    # --- events ----------------------------------------------------------------------------
    def user(self, text: str, request_id: str) -> int:
        self.pending[request_id] = time.monotonic()
        return self._append(ChatEntry(USER, text, persona="YOU", request_id=request_id))

    def system(self, text: str) -> int:
        return self._append(ChatEntry(SYSTEM, text, persona="SYSTEM"))

    def _reply(self, request_id: str, persona: str) -> ChatEntry:
        index = self._reply_index.get(request_id)
        if index is None:
            index = self._append(ChatEntry(PERSONA, "", persona=persona, request_id=request_id,
                                           streaming=True))
            self._reply_index[request_id] = index
        entry = self.entries[index]
        if persona and entry.persona != persona:
            entry.persona = persona
        self._touch(index)
        return entry

    def tokens(self, request_id: str, persona: str, pieces: Iterable[str]) -> None:
        """Streamed tokens (already in order) for one reply: one string join, one dirty row."""
        pieces = list(pieces)
        entry = self._reply(request_id, persona)
        entry.text += "".join(pieces)
        entry.tokens += len(pieces)
        entry.streaming = True

    def complete(self, request_id: str, persona: str, full_text: str, thought_id: str | None) -> None:
        entry = self._reply(request_id, persona)
        entry.text = full_text          # the authoritative text (also fills in lost partials)
        entry.streaming = False
        started = self.pending.pop(request_id, None)
        parts = []
        if started is not None:
            parts.append(f"{time.monotonic() - started:.1f} s")
        if thought_id:
            parts.append(f"thought {thought_id[:12]}")
        entry.status = " · ".join(parts)

    def error(self, request_id: str | None, code: str, message: str, hint: str = "") -> int:
        if request_id is not None:
            self.pending.pop(request_id, None)
            index = self._reply_index.get(request_id)
            if index is not None and self.entries[index].streaming:
                self.entries[index].streaming = False
                self.entries[index].status = "interrupted"
                self._touch(index)
        text = message if not hint else f"{message}\nWhat to do: {hint}"
        return self._append(ChatEntry(ERROR, text, persona="ERROR", request_id=request_id,
                                      status=code))

    def abandon_pending(self, reason: str) -> None:
        """The service went away: every reply still streaming is marked as interrupted."""
        for request_id in list(self.pending):
            self.pending.pop(request_id)
            index = self._reply_index.get(request_id)
            if index is not None:
                entry = self.entries[index]
                entry.streaming = False
                entry.status = f"interrupted: {reason}"
                self._touch(index)

    @property
    def working(self) -> bool:
        return bool(self.pending)


# --- long replies as several rows ----------------------------------------------------------------

CHUNK = 320        # characters per row before a break is looked for (short rows render fast)
WINDOW = 160       # a newline within this many more characters is preferred as the break


def split_chunks(text: str, size: int = CHUNK, window: int = WINDOW) -> list[tuple[int, str]]:
    """Cut ``text`` into ``(offset, piece)`` rows whose concatenation is ``text``.

    A long streamed reply is shown as several recycled rows so that each frame re-renders only
    the last, short piece instead of the whole answer. Breaks are *stable while text is
    appended*: a break is placed at the first newline in ``[pos+size, pos+size+window)``, else
    at the first whitespace after that window — and only once the text reaches that far, so an
    earlier row never changes as more tokens arrive.
    """
    out: list[tuple[int, str]] = []
    pos, n = 0, len(text)
    while n - pos > size:
        lo, hi = pos + size, pos + size + window
        nl = text.find("\n", lo, hi)
        if nl != -1:
            cut = nl + 1
        else:
            if n <= hi:
                break                      # not decidable yet: the rest stays one open row
            m = _WS.search(text, hi)
            if m is None:
                break
            cut = m.start()
        out.append((pos, text[pos:cut]))
        pos = cut
    out.append((pos, text[pos:]))
    return out


import re as _re  # noqa: E402  (kept next to its only use)

_WS = _re.compile(r"\s")
