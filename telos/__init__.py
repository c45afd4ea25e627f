"""TelOS: a prototype-based living image on an object database.

The public names are re-exported here; everything else is internal.
"""

from telos.errors import (
    AmbiguousSlotError,
    GenerationError,
    MessageNotUnderstood,
    ReadOnlyImageError,
    SlotError,
    SlotNotFound,
    TelosError,
    UndoError,
)
from telos.image import Image, image_of, open_image
from telos.reflect import Mirror, mirror
from telos.uvm import Message, MethodDef, UvmObject

__all__ = [
    "AmbiguousSlotError",
    "GenerationError",
    "Image",
    "Message",
    "MessageNotUnderstood",
    "MethodDef",
    "Mirror",
    "ReadOnlyImageError",
    "SlotError",
    "SlotNotFound",
    "TelosError",
    "UndoError",
    "UvmObject",
    "image_of",
    "mirror",
    "open_image",
]
