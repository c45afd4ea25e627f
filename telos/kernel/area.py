"""The kernel area (:mod:`telos.area` protocol): ``image.kernel``, the personas and the
kernel's settings. Everything it keeps is in the image: nothing to maintain or snapshot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from telos.area import Area, AreaStats
from telos.progress import StatusCallback


class KernelArea(Area):
    name = "kernel"
    maintain_every = None

    def awaken(self, image: Any) -> None:
        from telos.kernel import genesis
        genesis.awaken(image)

    def attach(self, image: Any) -> Any:
        from telos.kernel.cycle import Kernel
        return Kernel(image)

    def maintain(self, image: Any, status: StatusCallback) -> None:
        """Nothing periodic: the kernel works when a message is not understood."""

    def stats(self, image: Any) -> AreaStats:
        on = image.kernel_enabled
        return AreaStats(state="idle", detail="doesNotUnderstand_ asks the language model" if on
                         else "off (Config.kernel_enabled is false)")

    def snapshot(self, image: Any, dest: Path) -> dict | None:
        return None            # methods and personas live in the database itself

    def close(self, facade: Any) -> None:
        """Nothing held per session."""


AREA = KernelArea()
