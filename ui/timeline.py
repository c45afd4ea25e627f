"""The image's past as the client shows it, as plain data (no Kivy — tested directly).

* :class:`Timeline` keeps the thoughts shown, newest first and each once: a ``THOUGHT_LIST``
  replaces them, a ``THOUGHTS_COMMITTED`` push adds the new ones on top.
* :func:`thought_texts` — a timeline row: time, author with its kind, note, id.
* :func:`revision_summary` — what one revision changed against the one before it.
* :func:`change_texts` — one row of a per-slot diff: the change, before → after, a method's
  unified diff (coloured markup), the thought that made it and a method's provenance.
* :func:`provenance_text`, :func:`undo_text`, :func:`as_of_banner`, :func:`thought_label`.
"""

from __future__ import annotations

import json
import time
from typing import Iterable

from telos.bridge import protocol as P

KIND_LABELS = {"person": "person", "persona": "persona", "kernel": "kernel", "job": "job"}
CHANGE_WORDS = {"added": "added", "removed": "removed", "changed": "changed"}


def when_text(t: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t))


def one_line(text: str, limit: int = 90) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def thought_label(t: P.ThoughtView | None, thought_id: str = "") -> str:
    """``thought 03f1…9a2b (2025-01-02 10:11:12, "inspector: set size")``."""
    if t is None:
        return f"thought {thought_id}" if thought_id else "now"
    note = f', "{one_line(t.note, 60)}"' if t.note else ""
    return f"thought {t.thought_id} ({when_text(t.time)}{note})"


def author_text(t: P.ThoughtView) -> str:
    return f"{t.author or '?'} · {KIND_LABELS.get(t.author_kind, t.author_kind)}"


def thought_texts(t: P.ThoughtView) -> dict:
    """The strings of one timeline row."""
    return {"thought_id": t.thought_id, "when": when_text(t.time), "author": author_text(t),
            "author_kind": t.author_kind, "note": one_line(t.note or "(no note)", 140)}


def author_matches(t: P.ThoughtView, author: str | None) -> bool:
    """The service's author filter: the author contains the text, ignoring case."""
    return not author or author.lower() in t.author.lower()


class Timeline:
    """The thoughts shown, newest first, each once, at most ``limit``."""

    def __init__(self, limit: int = 10_000) -> None:
        self.limit = limit
        self.thoughts: list[P.ThoughtView] = []
        self._ids: set[str] = set()

    def replace(self, thoughts: Iterable[P.ThoughtView]) -> None:
        self.thoughts = sorted(thoughts, key=lambda t: int(t.thought_id, 16), reverse=True)[: self.limit]
        self._ids = {t.thought_id for t in self.thoughts}

    def add(self, pushed: Iterable[P.ThoughtView], author: str | None = None) -> list[P.ThoughtView]:
        """New thoughts (a push, any order) that pass the author filter; returns those added,
        newest first. Thoughts already shown are ignored."""
        new = sorted((t for t in pushed if t.thought_id not in self._ids and author_matches(t, author)),
                     key=lambda t: int(t.thought_id, 16), reverse=True)
        if not new:
            return []
        self.thoughts = (new + self.thoughts)
        self.thoughts.sort(key=lambda t: int(t.thought_id, 16), reverse=True)
        dropped = self.thoughts[self.limit:]
        del self.thoughts[self.limit:]
        self._ids.update(t.thought_id for t in new)
        self._ids.difference_update(t.thought_id for t in dropped)
        return new

    def get(self, thought_id: str) -> P.ThoughtView | None:
        if thought_id not in self._ids:
            return None
        return next((t for t in self.thoughts if t.thought_id == thought_id), None)

    def __len__(self) -> int:
        return len(self.thoughts)


# --- an object's revisions and their diff -------------------------------------------------------
# (ASCII arrows and minus signs: the UI's Roboto has no glyph for "→", "−" or "∅")

def _slots(view: P.ObjectView) -> dict[tuple[str, str], str]:
    out = {("parent", p.slot): p.object_id for p in view.parents}
    out.update({("data", s.name): s.value_repr for s in view.slots if s.kind == "data"})
    out.update({("method", m.selector): m.source for m in view.methods})
    return out


def revision_summary(newer: P.ObjectView, older: P.ObjectView | None) -> str:
    """``size 3 -> 42 · method area changed`` (``created`` for the first revision)."""
    if older is None:
        return "created" if newer.slots or newer.methods or newer.parents else "created (empty)"
    a, b = _slots(older), _slots(newer)
    parts = []
    for key in sorted(set(a) | set(b)):
        kind, name = key
        if a.get(key) == b.get(key):
            continue
        label = name if kind == "data" else f"{kind} {name}"
        if key not in a:
            parts.append(f"+{label}")
        elif key not in b:
            parts.append(f"-{label}")
        elif kind == "data":
            parts.append(f"{name} {one_line(a[key], 24)} -> {one_line(b[key], 24)}")
        else:
            parts.append(f"{label} changed")
    return " · ".join(parts) if parts else "no slot changed (its state was rewritten)"


def revision_texts(rev: P.RevisionView, older: P.RevisionView | None) -> dict:
    t = rev.thought
    return {"thought_id": t.thought_id, "when": when_text(t.time), "author": author_text(t),
            "note": one_line(t.note or "(no note)", 80),
            "summary": revision_summary(rev.object, older.object if older else None)}


def escape_markup(text: str) -> str:
    """Kivy markup escapes (``&``, ``[``, ``]``) — what ``kivy.utils.escape_markup`` does."""
    return text.replace("&", "&amp;").replace("[", "&bl;").replace("]", "&br;")


def diff_markup(diff: str, add: str = "8cc7a4", remove: str = "ef7b7b", hunk: str = "6fb1c9") -> str:
    """A unified diff as Kivy markup: added lines green, removed red, hunk headers blue."""
    lines = []
    for line in diff.splitlines():
        safe = escape_markup(line)
        if line.startswith(("+++", "---")):
            lines.append(f"[b]{safe}[/b]")
        elif line.startswith("@@"):
            lines.append(f"[color={hunk}]{safe}[/color]")
        elif line.startswith("+"):
            lines.append(f"[color={add}]{safe}[/color]")
        elif line.startswith("-"):
            lines.append(f"[color={remove}]{safe}[/color]")
        else:
            lines.append(safe)
    return "\n".join(lines)


def _short(value, limit: int = 80) -> str:
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return one_line(str(value), limit)


def provenance_text(prov: dict) -> str:
    """A method's provenance in a line or two: who (persona / author), which model and backend,
    the prompt's digest, the trial that passed, the stored examples, the message it answered."""
    if not prov:
        return ""
    parts = []
    who = prov.get("persona") or prov.get("author") or prov.get("user")
    if who:
        by = f"by {who}"
        if prov.get("author") and prov.get("persona") and prov["author"] != prov["persona"]:
            by += f" ({prov['author']})"
        parts.append(by)
    if prov.get("model"):
        parts.append(f"model {prov['model']}" + (f" via {prov['backend']}" if prov.get("backend") else ""))
    digest = prov.get("prompt_sha256") or prov.get("prompt_digest")
    if digest:
        parts.append(f"prompt sha256 {str(digest)[:12]}…")
    if prov.get("trial"):
        parts.append(f"trial {_short(prov['trial'], 70)}")
    examples = prov.get("examples")
    if examples:
        n = len(examples) if isinstance(examples, list) else 1
        parts.append(f"{n} stored example{'s' if n != 1 else ''}: {_short(examples, 60)}")
    if prov.get("message"):
        parts.append(f"for {_short(prov['message'], 60)}")
    known = {"persona", "author", "user", "model", "backend", "prompt_sha256", "prompt_digest",
             "trial", "examples", "message"}
    for key in sorted(k for k in prov if k not in known and prov[k] not in (None, "", [], {})):
        parts.append(f"{key} {_short(prov[key], 40)}")
    return "provenance: " + " · ".join(parts)


def change_texts(change: P.SlotChange) -> dict:
    """The strings of one diff row (``diff`` is markup, the rest plain text)."""
    label = {"data": "slot", "parent": "parent", "method": "method"}[change.kind]
    head = f"{label} {change.slot} — {CHANGE_WORDS[change.change]}"
    if change.kind == "method" and change.diff:
        plain = change.diff.rstrip("\n")
        body = diff_markup(plain)
    else:
        before = change.before if change.change != "added" else "(not there)"
        after = change.after if change.change != "removed" else "(gone)"
        plain = f"{before}  ->  {after}"
        body = escape_markup(plain)
    t = change.thought
    thought = (f"by {thought_label(t)} · {author_text(t)}" if t is not None
               else "by a thought outside the listed revisions")
    return {"head": head, "body": body, "plain": plain, "thought": thought,
            "thought_id": t.thought_id if t is not None else "",
            "provenance": provenance_text(change.provenance) if change.kind == "method" else "",
            "kind": change.kind, "change": change.change}


def diff_title(diff: P.ObjectDiff, before: P.ThoughtView | None, after: P.ThoughtView | None) -> str:
    n = len(diff.changes)
    what = f"{n} change{'s' if n != 1 else ''}" if n else "no change"
    return f"{what} from {thought_label(before, diff.before)} to {thought_label(after, diff.after or '')}"


# --- undo and the past ------------------------------------------------------------------------

def undo_text(reply, thought_id: str) -> tuple[str, bool]:
    """(what to show, ok) for the reply to an ``UNDO_THOUGHT``: the image's own refusal
    verbatim when it said no."""
    if isinstance(reply, P.Error):
        text = f"refused: {reply.message}"
        if reply.hint:
            text += f" ({reply.hint})"
        return text, False
    if isinstance(reply, P.Ack):
        new = f" — the undo is thought {reply.thought_id}" if reply.thought_id else ""
        return f"undid thought {thought_id}{new}", True
    return f"unexpected reply {getattr(reply, 'command', reply)!r}", False


def as_of_banner(t: P.ThoughtView | None, thought_id: str) -> str:
    return f"as of {thought_label(t, thought_id)} — read-only, back to now"


__all__ = ["Timeline", "thought_texts", "thought_label", "author_text", "author_matches",
           "revision_summary", "revision_texts", "diff_markup", "escape_markup", "change_texts",
           "provenance_text", "diff_title", "undo_text", "as_of_banner", "when_text", "one_line"]
