"""The generative kernel (issue 4): ``doesNotUnderstand_`` → a method, safely, in one thought.

``image.kernel`` is the :class:`~telos.kernel.cycle.Kernel` facade of an image session
(attached by ``AREA``, :mod:`telos.kernel.area`); an unknown message reaches
``image.kernel.handle(receiver, message)`` when the image's ``Config.kernel_enabled`` is true.
"""

from telos.kernel import examples
from telos.kernel.area import AREA
from telos.kernel.cycle import Kernel
from telos.kernel.sandbox import Limits, run_trial

# Stored examples guard every later definition of a method, in every process that has the
# kernel's area registered (each image open imports this package), not only once some session
# has used ``image.kernel``.
examples.install()

__all__ = ["AREA", "Kernel", "Limits", "run_trial"]
