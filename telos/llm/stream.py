"""Token streams that cannot wedge a service.

A backend's ``chat()`` returns a :class:`TokenStream`: the consumer iterates text pieces, while
the tokens are produced by *another* thread (the embedded model's one generation worker, or a
reader thread per Ollama request) and handed over through a queue. So no lock is ever held
across a ``yield`` of the consumer, and a consumer that goes away costs at most one token:

- ``stream.close()`` cancels; so does dropping the last reference to the stream (a finalizer),
  and so does the cancellation of the request scope it was created in
  (:mod:`telos.scope`: the client left, or the service is stopping);
- the producer checks :meth:`Channel.cancelled` before every token and stops;
- while no token comes, the consumer wakes up every :data:`POLL_S` to notice a cancellation,
  and ``stream.progress()`` says what the stream is waiting for (its place in the queue, the
  model loading, generating) — the bridge reports that to the client.

Iteration raises the producer's error (an :class:`~telos.errors.LLMError`) where it happened,
and :class:`~telos.errors.GenerationCancelled` when the request was cancelled before the end.
"""

from __future__ import annotations

import logging
import queue
import threading
import weakref
from typing import Callable, Iterable, Iterator

from telos import scope as scopes
from telos.errors import GenerationCancelled
from telos.scope import Progress

log = logging.getLogger(__name__)

POLL_S = 0.2


class _End:
    __slots__ = ("error",)

    def __init__(self, error: BaseException | None) -> None:
        self.error = error


class Channel:
    """The producer's side of one stream (the generation worker holds this, never the stream)."""

    def __init__(self, name: str, scope: scopes.RequestScope | None) -> None:
        self.name = name
        self.scope = scope
        self._q: queue.SimpleQueue = queue.SimpleQueue()
        self._cancel = threading.Event()
        self._progress: Progress | Callable[[], Progress] = Progress("queued", "waiting to start")
        self.finished = False
        self.tokens = 0

    # -- producer ------------------------------------------------------------------------------
    def cancelled(self) -> bool:
        return self._cancel.is_set() or (self.scope is not None and self.scope.cancelled.is_set())

    def put(self, token: str) -> None:
        self.tokens += 1
        self._q.put(token)

    def set_progress(self, progress: Progress | Callable[[], Progress]) -> None:
        self._progress = progress

    def finish(self, error: BaseException | None = None) -> None:
        if not self.finished:
            self.finished = True
            self._q.put(_End(error))

    # -- shared --------------------------------------------------------------------------------
    def cancel(self) -> None:
        self._cancel.set()

    def progress(self) -> Progress:
        p = self._progress
        return p() if callable(p) else p


class TokenStream:
    """The consumer's side: an iterator of text pieces (see the module docstring)."""

    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self._done = False
        self._finalizer = weakref.finalize(self, channel.cancel)
        if channel.scope is not None:
            channel.scope.watch(self)

    def __iter__(self) -> "TokenStream":
        return self

    def __next__(self) -> str:
        ch = self.channel
        while not self._done:
            try:
                item = ch._q.get(timeout=POLL_S)
            except queue.Empty:
                if ch.cancelled():
                    self._end()
                    raise GenerationCancelled(f"{ch.name}: cancelled before the answer was "
                                              "complete") from None
                continue
            if isinstance(item, _End):
                self._end()
                if item.error is not None:
                    raise item.error
                break
            return item
        raise StopIteration

    def progress(self) -> Progress:
        return self.channel.progress()

    def close(self) -> None:
        """Stop generating (at the next token) and release the stream; idempotent."""
        self.channel.cancel()
        self._end()

    def _end(self) -> None:
        if not self._done:
            self._done = True
            if self.channel.scope is not None:
                self.channel.scope.unwatch(self)

    def __enter__(self) -> "TokenStream":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def text(self) -> str:
        """Consume the rest of the stream; the whole text."""
        return "".join(self)


def new_stream(name: str) -> tuple[Channel, TokenStream]:
    """A producer channel and its consumer stream, bound to the current request scope."""
    channel = Channel(name, scopes.current())
    return channel, TokenStream(channel)


def stream_from_thread(name: str, produce: Callable[[], Iterable[str]],
                       first: Progress) -> TokenStream:
    """Run the blocking iterator ``produce()`` in its own daemon thread, feeding a stream.

    For clients that block on a socket (Ollama): the thread checks for cancellation between
    pieces and closes the iterator (its HTTP response) when cancelled."""
    channel, stream = new_stream(name)
    channel.set_progress(first)

    def run() -> None:
        it: Iterator[str] | None = None
        error: BaseException | None = None
        try:
            it = iter(produce())
            for piece in it:
                if channel.cancelled():
                    log.info("%s: cancelled after %d piece(s)", name, channel.tokens)
                    break
                if channel.tokens == 0:
                    channel.set_progress(Progress("generating", f"{name}: generating"))
                channel.put(piece)
        except Exception as exc:  # noqa: BLE001 - handed to the consumer, which re-raises it
            error = exc
        finally:
            close = getattr(it, "close", None)
            if callable(close):
                try:
                    close()
                except Exception:  # noqa: BLE001 - closing a dead HTTP response
                    log.debug("%s: closing the source failed", name, exc_info=True)
            channel.finish(error)

    threading.Thread(target=run, name=f"stream-{name}", daemon=True).start()
    return stream


class StreamFilter:
    """A token stream seen through ``_pieces()`` (a subclass's generator over ``self._tokens``);
    anything else (``close``, ``progress``, ...) is the wrapped stream's own."""

    def __init__(self, tokens) -> None:
        self._tokens = tokens
        self._gen = self._pieces()

    def _pieces(self) -> Iterator[str]:
        raise NotImplementedError

    def __iter__(self):
        return self

    def __next__(self) -> str:
        return next(self._gen)

    def __getattr__(self, name: str):
        return getattr(self._tokens, name)
