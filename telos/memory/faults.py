"""Fault-injection points for crash tests.

Library code calls ``fault("name")`` at interesting moments (inside each two-phase-commit step,
between the writes of a checkpoint, ...). Normally this is one dictionary lookup. When the
environment variable ``TELOS_MEMORY_FAULT`` is ``name:n`` the process sends itself ``SIGKILL``
the n-th time that point is reached (n defaults to 1) -- a real, unclean death, used only by the
crash tests' child processes.
"""

from __future__ import annotations

import os
import signal

from telos import config

ENV = config.setting("memory_fault").env

_spec = config.get("memory_fault") or ""
_target, _, _count = _spec.partition(":")
_remaining = int(_count or 1) if _target else 0
_hits: dict[str, int] = {}

#: every point that library code declares; the crash tests iterate over these
POINTS = (
    "dm.tpc_begin", "dm.commit", "dm.tpc_vote.before", "dm.tpc_vote.torn",
    "dm.tpc_vote.after_fsync", "dm.tpc_finish.before", "dm.tpc_finish.after",
    "ckpt.serialized", "ckpt.file_written", "ckpt.meta_replaced", "ckpt.log_rotated",
    "l2.exported", "l2.built", "l2.swapped",
    "lx.tpc_begin", "lx.commit", "lx.tpc_vote.before", "lx.tpc_vote.after",
    "lx.tpc_finish.before", "lx.tpc_finish.after", "lx.flushed", "lx.stamped",
)


def fault(point: str) -> None:
    """Die here (SIGKILL) if the environment asks for this point; otherwise do nothing."""
    global _remaining
    if not _target or point != _target:
        return
    _remaining -= 1
    if _remaining <= 0:
        os.kill(os.getpid(), signal.SIGKILL)
