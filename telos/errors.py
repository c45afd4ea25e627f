"""The TelOS error tree: one root, one branch per area.

::

    TelosError
    ├── DiskFullError                     the disk filled up (names the path; nothing half-written kept)
    ├── SlotLookupError (AttributeError)
    │   ├── SlotNotFound
    │   │   └── MessageNotUnderstood      an unknown message reached doesNotUnderstand_
    │   └── AmbiguousSlotError            two different holders found through two parents
    ├── SlotError (ValueError)            bad slot name / value / kind
    ├── ImageError
    │   ├── ReadOnlyImageError            writing through a historical or read-only view
    │   ├── UndoError                     a thought that cannot be undone, and why
    │   ├── ConflictError                 another thought wrote the same objects first (retry)
    │   └── ImageUnavailableError         the storage cannot be opened (locked, no ZEO, ...)
    ├── StorageError                      past one machine (issue 13)
    │   ├── PostgresError                 a PostgreSQL tool failed (its output in the message)
    │   └── MigrationError                zodbconvert failed, or the copy differs from its source
    ├── ConfigError (ValueError)          a setting with a bad value (names the setting)
    ├── VectorIndexError (ValueError)     telos.index: unknown metric, wrong dimension, bad ids
    │   └── ReadOnlyIndexError            add/remove on an index built once (DiskANN)
    ├── MemoryStoreError                  fractal memory (issue 3)
    │   ├── IndexCorruptError             an index file that does not match the image
    │   └── EmbeddingError
    ├── LLMError                          language-model backends (issue 4)
    │   ├── LLMUnavailable                no server / backend cannot load
    │   ├── ModelNotFound                 the model is not pulled / not shipped
    │   ├── LLMTimeout
    │   └── GenerationCancelled           the request was cancelled (client left, service stopping)
    ├── GenerationError                   the generative kernel (names the step and reason)
    ├── ExecutionError                    running a restricted method of the image (issue 12)
    │   ├── MethodBudgetExceeded          steps, time, recursion depth or size ran out
    │   └── RestrictedAccess (AttributeError)  a private attribute, a module, a refused call
    ├── BridgeError                       ZeroMQ bridge (issue 5)
    │   ├── ProtocolError                 a frame that is not a valid message (code, request_id)
    │   ├── BridgeUnavailable             the service did not answer in time / connection lost
    │   ├── RemoteError                   the service answered ERROR (code, hint, request_id)
    │   ├── RequestRefused                a handler refuses a valid request (code, hint)
    │   ├── AccessRefused                 the service refused this client's CURVE key
    │   └── ServiceError                  the service process or supervisord failed
    ├── BackupError                       backups (issue 7)
    │   ├── BackupCorruptError
    │   ├── BackupKeyError
    │   ├── BackupDiskFullError (DiskFullError)   no partial set is left behind
    │   └── RestoreError
    └── VSAError                          hypervectors (issue 8)
        ├── DimensionMismatchError
        ├── UnknownSymbolError (KeyError)  a name not in the codebook
        ├── QueryError (ValueError)        unparsable query / no answer above threshold
        └── CurationError                 a curation run failed (nothing committed)

Foreign errors (ZODB, faiss, zmq, ollama, diskannpy, repozo) are translated at the boundary
with ``raise OurError(...) from exc``.
"""

from __future__ import annotations


class TelosError(Exception):
    """Root of every error TelOS raises on purpose."""


class DiskFullError(TelosError):
    """The disk (or a quota) filled up while writing ``path``. The message is the one sentence an
    operator needs; what was half-written has been removed."""

    def __init__(self, path, *, intact: str = "the image is intact"):
        super().__init__(f"disk full writing {path}; {intact}; free space and retry")
        self.path = path


def is_disk_full(exc: BaseException) -> bool:
    """True for ENOSPC / EDQUOT, also when a child process (repozo) reported it in its output."""
    import errno
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    output = getattr(exc, "output", None)
    return isinstance(output, str) and ("No space left on device" in output
                                        or "Disk quota exceeded" in output)


# --- object model -----------------------------------------------------------------------

class SlotLookupError(TelosError, AttributeError):
    """A slot lookup failed. Subclasses AttributeError so getattr/hasattr keep working."""

    def __init__(self, message: str, *, receiver=None, selector: str | None = None):
        super().__init__(message)
        self.receiver = receiver
        self.selector = selector
        # AttributeError's own fields (used by Python's "did you mean" hints)
        self.name = selector
        self.obj = receiver


class SlotNotFound(SlotLookupError):
    """No slot of that name on the object or any of its parents."""


class MessageNotUnderstood(SlotNotFound):
    """An unknown message reached ``doesNotUnderstand_`` and nothing could answer it."""

    def __init__(self, message: str, *, receiver=None, selector=None, send=None):
        super().__init__(message, receiver=receiver, selector=selector)
        self.send = send


class AmbiguousSlotError(SlotLookupError):
    """The same name was found in two different objects through two different parents."""

    def __init__(self, message: str, *, receiver=None, selector=None, holders=()):
        super().__init__(message, receiver=receiver, selector=selector)
        self.holders = tuple(holders)


class SlotError(TelosError, ValueError):
    """A slot cannot be defined that way (bad name, bad value, wrong kind)."""


# --- image ------------------------------------------------------------------------------

class ImageError(TelosError):
    """Opening, reading or writing the image failed."""


class ReadOnlyImageError(ImageError):
    """A write through a historical (``image.at``) or otherwise read-only view."""


class UndoError(ImageError):
    """A thought cannot be undone; the message says why."""

    def __init__(self, message: str, *, thought_id: str | None = None):
        super().__init__(message)
        self.thought_id = thought_id


class ConflictError(ImageError):
    """Another thought committed changes to the same objects first, and retrying did not get
    past it in time (``Image.run`` retries until its deadline). ZODB's own conflict errors never
    leave the image: they arrive as this one, the ZODB error as ``__cause__``.

    ``committed`` is the tid (8 bytes) of the commit that won, when ZODB said which."""

    def __init__(self, message: str = "another thought changed the same objects at the same "
                                      "time; retry the request", *, committed: bytes | None = None):
        super().__init__(message)
        self.committed = committed


class ImageUnavailableError(ImageError):
    """The storage cannot be opened: locked by another process, ZEO unreachable, ..."""


class ConfigError(TelosError, ValueError):
    """A setting has a value that cannot be used; the message names the setting."""


# --- storage past one machine (issue 13) -------------------------------------------------

class StorageError(TelosError):
    """The local PostgreSQL cluster, its standby, or a migration between storages failed."""


class PostgresError(StorageError):
    """A PostgreSQL tool failed (its output is in the message)."""


class MigrationError(StorageError):
    """zodbconvert failed, or the copy differs from its source (the message says where)."""


# --- vector indexes (telos.index) -------------------------------------------------------

class VectorIndexError(TelosError, ValueError):
    """A bad argument to an index: unknown metric, wrong dimension, ids and vectors that differ."""


class ReadOnlyIndexError(VectorIndexError):
    """``add``/``remove`` on an index built once (``mutable`` is False)."""


# --- memory (issue 3) -------------------------------------------------------------------

class MemoryStoreError(TelosError):
    """Fractal memory failed."""


class IndexCorruptError(MemoryStoreError):
    """An index file is missing, truncated, garbage, or ahead of the image."""


class EmbeddingError(MemoryStoreError):
    """The embedding model could not be loaded or run."""


# --- LLM and kernel (issue 4) -----------------------------------------------------------

class LLMError(TelosError):
    """A language-model backend failed."""


class LLMUnavailable(LLMError):
    """The backend cannot be reached or loaded; the message says what to do."""


class ModelNotFound(LLMError):
    """The model is not available on the backend; the message says how to get it."""


class LLMTimeout(LLMError):
    """The backend did not answer in time."""


class GenerationCancelled(LLMError):
    """Generation stopped because its request was cancelled (the client left, or the service
    is stopping); nothing that depended on it is committed."""


class GenerationError(TelosError):
    """The generative kernel could not produce a method. ``step`` names where it failed."""

    def __init__(self, step: str, reason: str, *, selector: str | None = None, attempts: int = 1):
        super().__init__(f"generation failed at {step}: {reason}")
        self.step = step
        self.reason = reason
        self.selector = selector
        self.attempts = attempts


# --- execution of methods (issue 12) ---------------------------------------------------

class ExecutionError(TelosError):
    """A restricted method of the image was stopped or refused (see :mod:`telos.execution`)."""


class MethodBudgetExceeded(ExecutionError):
    """A restricted method ran past its budget; ``method`` names it, ``budget`` says which
    (``steps``, ``seconds``, ``depth``, ``size`` or ``memory``) and ``limit`` its value."""

    def __init__(self, method: str, budget: str, limit, detail: str = ""):
        super().__init__(f"method {method!r} exceeded its {budget} budget ({limit})"
                         + (f": {detail}" if detail else ""))
        self.method = method
        self.budget = budget
        self.limit = limit


class RestrictedAccess(ExecutionError, AttributeError):
    """A restricted method reached for something it may not have (a name starting with ``_``,
    a module object, a refused builtin). Subclasses AttributeError so ``getattr(x, n, default)``
    keeps its meaning."""


# --- bridge (issue 5) -------------------------------------------------------------------

class BridgeError(TelosError):
    """The ZeroMQ bridge failed."""


class ProtocolError(BridgeError):
    """A frame that is not a valid bridge message. ``code`` is the ERROR code to answer with;
    ``request_id`` names the request when it could be recovered from the frame."""

    def __init__(self, message: str, *, code: str = "invalid_message",
                 request_id: str | None = None, hint: str = ""):
        super().__init__(message)
        self.code = code
        self.request_id = request_id
        self.hint = hint


class BridgeUnavailable(BridgeError):
    """The service did not answer in time (not running, restarting, or unreachable)."""


class RemoteError(BridgeError):
    """The service answered a request with ERROR; ``code``, ``hint`` and ``request_id`` as sent."""

    def __init__(self, message: str, *, code: str, request_id: str | None = None, hint: str = ""):
        super().__init__(f"[{code}] {message}" + (f" — {hint}" if hint else ""))
        self.code = code
        self.request_id = request_id
        self.hint = hint
        self.remote_message = message


class AccessRefused(BridgeError):
    """The service refused this client at the CURVE handshake (its key is not on the allow-list,
    or it has no key for an endpoint that needs one); the message says how to fix it."""


class ServiceError(BridgeError):
    """The service process or its supervisor (supervisord) failed; the message says how."""


class RequestRefused(BridgeError):
    """A bridge handler refuses a valid request; becomes an ERROR reply with ``code`` and ``hint``."""

    def __init__(self, message: str, *, code: str = "bad_request", hint: str = ""):
        super().__init__(message)
        self.code = code
        self.hint = hint


# --- backups (issue 7) ------------------------------------------------------------------

class BackupError(TelosError):
    """A backup, verification or restore failed."""


class BackupCorruptError(BackupError):
    """A backup set is damaged; the message names the file and the check that failed."""


class BackupKeyError(BackupError):
    """The encryption or MAC key is missing or wrong."""


class BackupDiskFullError(BackupError, DiskFullError):
    """The backup destination (or the staging area) filled up; no partial set was left behind."""


class RestoreError(BackupError):
    """No backup set could be restored."""


# --- VSA (issue 8) ----------------------------------------------------------------------

class VSAError(TelosError):
    """Hypervector algebra failed."""


class DimensionMismatchError(VSAError, ValueError):
    """Two hypervectors of different dimensions were combined."""


class UnknownSymbolError(VSAError, KeyError):
    """A name that is not in the codebook was used where a known symbol is required."""

    def __init__(self, name: str):
        super().__init__(f"unknown symbol {name!r}")
        self.name = name

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


class QueryError(VSAError, ValueError):
    """A compositional query cannot be parsed or has no answer above the similarity threshold."""


class CurationError(VSAError):
    """Mnemonic curation failed; nothing of that run was committed."""
