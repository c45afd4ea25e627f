"""A chat answer that starts saying the same thing again is finished.

Small models decoded greedily fall into loops: SmolLM2-135M, asked "What is a prototype?" with
the glossary's note, said its two sentences, then the note again, then both sentences again,
until the token budget cut it off mid-citation (``... physical object.\\n\\n[d1] (``) — 256
tokens, 28 s on the 2-core machine, for three sentences of content. :class:`UntilRepeat` wraps an
answer's token stream and ends it where it repeats itself:

- the answer is read in *units* — sentences (ending in ``.``, ``!`` or ``?`` before a space) and
  lines; a unit is compared after :func:`normalize` (citation tags such as ``[d1]`` or
  ``[d1] (glossary slot)`` dropped, case and spacing folded), so ``[d2] Object: the root…`` repeats ``[p2] Object: the root…``;
- a unit of at least :data:`MIN_CHARS` that equals an earlier one ends the answer before it,
  and the backend's generation is stopped at once (``close``), freeing the model;
- a unit still being written is held back only while it could become such a repeat (it is the
  beginning of an earlier unit, or only a citation tag so far); an unfinished citation tag and
  trailing spacing go out with the text after them; everything else streams as before;
- at the end, a dangling citation opener the budget cut off (``[d1] (``) is dropped;
- inside a fenced code block nothing counts: lines of code may well repeat.

It works on the text, so it stops Ollama's loops the same way as the embedded model's.
"""

from __future__ import annotations

import logging
import re
from typing import Iterator

from telos.llm.stream import StreamFilter

log = logging.getLogger(__name__)

MIN_CHARS = 24                                   # "Yes." twice is not a loop
_TAG = re.compile(r"\[[a-z]\d+\](?:\s*\([^()\n]{0,60}\))?")      # "[d1]", "[d1] (glossary slot)"
_SPACE = re.compile(r"\s+")
_END = re.compile(r"[.!?](?=\s)|\n")
_DANGLING = re.compile(r"\s*(?:\[[a-z]?\d*|\[[a-z]\d+\]\s*\([^()\n]{0,40})$")
_TRAILING_TAG = re.compile(r"\s*\[[a-z]?\d*\]?(?:\s*\([^()\n]{0,40})?$")   # may go on with "("


def normalize(unit: str) -> str:
    """``unit`` as compared: citation tags dropped, spacing and case folded."""
    return _SPACE.sub(" ", _TAG.sub(" ", unit)).strip().lower()


_TAIL = 120                       # a citation tag is shorter: look only at the end


def _at_end(pattern: re.Pattern, text: str) -> int | None:
    base = max(0, len(text) - _TAIL)
    m = pattern.search(text, base)
    return None if m is None else m.start()


def dangling(text: str) -> int | None:
    """Where a citation cut off by the token budget starts at the end of ``text`` (``[d1] (``,
    ``[m``, ``[p2] (prototype Obj``), or None."""
    return _at_end(_DANGLING, text)


def _in_code(text: str, at: int) -> bool:
    """Whether ``at`` is inside a fenced code block (lines of code may well repeat)."""
    return text.count("```", 0, at) % 2 == 1


class UntilRepeat(StreamFilter):
    """``tokens`` (an answer's stream: iterable of text pieces, maybe with ``close`` and
    ``progress``) ending where it repeats itself (see the module docstring)."""

    def __init__(self, tokens) -> None:
        self._text = ""           # everything received
        self._sent = 0            # how much of it was yielded
        self._unit = 0            # where the unit being written starts
        self._seen: set[str] = set()
        self.cut = False          # True when the answer was ended at a repeat
        super().__init__(tokens)

    def _pieces(self) -> Iterator[str]:
        for piece in self._tokens:
            self._text += piece
            stop = self._scan()
            if stop is not None:
                out = self._text[self._sent:stop].rstrip()
                if out:
                    yield out
                self.cut = True
                log.info("answer ended where it began to repeat itself (%d characters kept)", stop)
                close = getattr(self._tokens, "close", None)
                if callable(close):
                    close()
                return
            upto = self._unit if self._could_repeat() else len(self._text)
            tag = _at_end(_TRAILING_TAG, self._text)   # a citation tag, maybe not finished
            if tag is not None:
                upto = min(upto, tag)
            upto = len(self._text[:upto].rstrip())     # spacing goes out with what follows it
            if upto > self._sent:
                yield self._text[self._sent:upto]
                self._sent = upto
        end = len(self._text)
        cut = dangling(self._text)
        if cut is not None and cut >= self._sent:
            end = cut
        if end > self._sent:
            yield self._text[self._sent:end]

    def _scan(self) -> int | None:
        """Close the units completed so far; where the first repeated one starts, or None."""
        while True:
            m = _END.search(self._text, self._unit)
            if m is None:
                return None
            start, self._unit = self._unit, m.end()
            if _in_code(self._text, start):
                continue
            unit = normalize(self._text[start:m.end()])
            if len(unit) >= MIN_CHARS and unit in self._seen:
                return start
            if unit:
                self._seen.add(unit)

    def _could_repeat(self) -> bool:
        """The unit being written is the beginning of an earlier one (or only a citation tag
        so far, which may lead into one)."""
        raw = self._text[self._unit:]
        if not raw.strip() or not any(len(seen) >= MIN_CHARS for seen in self._seen) \
                or _in_code(self._text, self._unit):
            return False
        if dangling(raw) == 0:
            return True
        partial = normalize(raw)
        return any(seen.startswith(partial) for seen in self._seen if len(seen) >= MIN_CHARS)
