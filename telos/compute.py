"""One thread per process for heavy torch work (the embedded model, the sentence embedder).

Measured on the project's 2-core machine: torch's OpenMP keeps one team of worker threads per
*calling* thread, and only the first thread that ran torch in a process gets a team that keeps
up — SmolLM2 decodes ~31 tokens/s there and ~19 in any other thread, whatever
``torch.set_num_threads`` or ``OMP_WAIT_POLICY`` say. So every heavy torch call of a process runs
on a single compute thread:

- :func:`call` runs ``fn(*args)`` on the compute thread and waits for its result (or error); a
  call made *on* the compute thread runs at once;
- long work on the compute thread (a generation) calls :func:`run_pending` between steps, so
  short calls (embedding a query) are served within one step instead of waiting for the end;
- :func:`start_loop` hands the compute thread a long-running loop (the embedded model's
  generation loop), which must call :func:`run_pending` whenever it would otherwise wait.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from concurrent.futures import Future
from typing import Any, Callable

log = logging.getLogger(__name__)

_tasks: queue.SimpleQueue = queue.SimpleQueue()
_thread: threading.Thread | None = None
_loop: Callable[[], None] | None = None
_lock = threading.Lock()


def on_compute_thread() -> bool:
    return threading.current_thread() is _thread


def threads() -> int:
    """How many threads torch gets in this process: the ``torch_threads`` setting, else the CPUs
    the process may use less one, at least 1. torch's OpenMP team waits for its slowest thread
    at every step, so a thread that shares its core with other work slows every token: on the
    2-core machine, with the other core busy, 2 threads decoded ~1 token/s and 1 thread ~12."""
    from telos import config
    from telos.errors import ConfigError
    try:
        n = config.get("torch_threads")
    except ConfigError as exc:
        log.error("%s; using the default", exc)
        n = None
    return n if n is not None else max(1, len(os.sched_getaffinity(0)) - 1)


def _use_threads() -> None:
    try:
        import torch
    except ImportError:
        return
    n = threads()
    torch.set_num_threads(n)
    log.info("compute thread: torch uses %d thread(s)", n)


def _main() -> None:
    _use_threads()
    while True:
        loop = _loop
        if loop is not None:
            try:
                loop()          # returns only if it has nothing to do for a while
            except Exception:  # noqa: BLE001 - the loop's own errors are its requests' business
                log.exception("compute loop failed; serving plain calls")
        wait(0.5 if _loop is not None else None)


def _ensure() -> None:
    global _thread
    with _lock:
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_main, name="telos-compute", daemon=True)
            _thread.start()


def start_loop(loop: Callable[[], None]) -> None:
    """Run ``loop()`` on the compute thread (again whenever it returns); one loop per process."""
    global _loop
    with _lock:
        if _loop is not None and _loop is not loop:
            raise RuntimeError("the compute thread already runs a loop")
        _loop = loop
    _ensure()
    wake()


def wake() -> None:
    """Make the compute thread look at its loop's work again (new work was queued for it)."""
    _tasks.put(None)


def call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` on the compute thread; its result, or its exception re-raised."""
    if on_compute_thread():
        return fn(*args, **kwargs)
    _ensure()
    fut: Future = Future()
    _tasks.put((fut, fn, args, kwargs))
    return fut.result()


def _run(item) -> None:
    if item is None:
        return
    fut, fn, args, kwargs = item
    if not fut.set_running_or_notify_cancel():
        return
    try:
        fut.set_result(fn(*args, **kwargs))
    except BaseException as exc:  # noqa: BLE001 - handed to the caller, who re-raises it
        fut.set_exception(exc)


def run_pending() -> None:
    """Serve the calls waiting for the compute thread (call it between steps of long work)."""
    while True:
        try:
            item = _tasks.get_nowait()
        except queue.Empty:
            return
        _run(item)


def wait(timeout: float | None) -> None:
    """On the compute thread: block until a call arrives (serving it) or ``timeout`` passes."""
    try:
        item = _tasks.get(timeout=timeout)
    except queue.Empty:
        return
    _run(item)
    run_pending()
