"""Third-party noise stays off the terminal: transformers' progress bars and warnings.

TelOS shows its own progress (stderr, the UI status) and keeps library messages in the log.
:func:`quiet_transformers` turns off transformers' own stderr handler (its records propagate to
our logging instead), disables its tqdm bars and the Hugging Face Hub's; it is idempotent and
cheap, and is called by every loader of a transformers model. A bar that TelOS wants to turn
into progress goes through ``transformers.utils.logging.set_tqdm_hook`` (see
:mod:`telos.llm.embedded`), which still sees every bar after this.
"""

from __future__ import annotations

import os

_done = False


def quiet_transformers() -> None:
    global _done
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    if _done:
        return
    from transformers.utils import logging as tlog
    tlog.disable_default_handler()
    tlog.enable_propagation()
    tlog.disable_progress_bar()
    _done = True
