"""The generative kernel (issue 4): ``doesNotUnderstand_`` → a method, safely, in one thought.

``image.kernel`` is the :class:`~telos.kernel.cycle.Kernel` facade of an image session
(``attach(image)``); the object model calls ``image.kernel.handle(receiver, message)`` when the
image's ``Config.kernel_enabled`` is true.
"""

from telos.kernel.cycle import Kernel
from telos.kernel.sandbox import Limits, run_trial

__all__ = ["Kernel", "Limits", "attach", "run_trial"]


def attach(image) -> Kernel:
    return Kernel(image)
