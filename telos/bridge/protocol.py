"""The bridge contract: every message that crosses the ZeroMQ bridge, as Pydantic v2 models.

Wire format
-----------
One message = one ZeroMQ frame = one UTF-8 JSON object (never pickle). A client DEALER sends
exactly one frame per request; the service ROUTER sees ``[identity, frame]`` and answers on the
same identity only. Every message carries ``protocol`` (:data:`PROTOCOL_VERSION`) and
``command`` (the discriminator). Unknown keys are refused (``extra="forbid"``), types are strict
(``"1"`` is not an int), every string and list is bounded, and a frame may not exceed
:data:`MAX_FRAME_BYTES`.

Requests carry a client-chosen ``request_id``; every reply to it names the same ``request_id``.
A request gets exactly one *final* reply (see :data:`FINAL_REPLIES`); a ``USER_QUERY_REQUEST``
(and a ``SEND_MESSAGE`` that runs the generative kernel) may be preceded by any number of
``PERSONA_RESPONSE_PARTIAL`` frames numbered by ``seq``. ``RUN_BACKUP`` and ``VERIFY_BACKUP``
send ``REQUEST_PROGRESS`` as each step of the backup advances (``stage`` ``backup``/``verify``,
``fraction`` when known), not only while silent.

While a request is in flight and silent, the service sends ``REQUEST_PROGRESS`` for it about
once a second (:data:`PROGRESS_INTERVAL_S`): what it is waiting for (``queued`` with its place,
``converting``/``loading`` the model, ``generating``, ``working``). A client's timeout therefore
measures *silence*: a service that is alive and busy with the request never lets it expire, and a
dead or hung one is noticed within a few seconds. ``REQUEST_PROGRESS`` is never final.

===========================  =====================================  ============================
request (client → service)   final reply                            what it does
===========================  =====================================  ============================
USER_QUERY_REQUEST           PERSONA_RESPONSE_COMPLETE              ask a persona (streamed)
STATUS_REQUEST               SYSTEM_STATUS_UPDATE                   service / image state
LIST_PROTOTYPES              PROTOTYPE_LIST                         the name registry
INSPECT_OBJECT               OBJECT_DESCRIPTION                     slots, parents, methods
                                                                    (``as_of``: as it was then)
SET_SLOT                     ACK (with the new OBJECT view)         set a data slot (a thought)
DEFINE_METHOD                ACK (with the new OBJECT view)         define/edit a method (a thought)
SEND_MESSAGE                 SEND_RESULT                            evaluate ``obj.selector(*args)``
SEARCH_MEMORY                SEARCH_RESULTS                         memory search (mode, filters,
                                                                    ``as_of`` a past thought)
REMEMBER                     ACK (``record_id``)                    store an episodic memory
LIST_THOUGHTS                THOUGHT_LIST                           recent thoughts (by object,
                                                                    by author)
OBJECT_HISTORY               HISTORY_LIST                           an object's past states
DIFF_OBJECT                  OBJECT_DIFF                            per-slot changes between two
                                                                    thoughts, each with its thought
UNDO_THOUGHT                 ACK (the undo's ``thought_id``)        revert one thought (a thought;
                                                                    ``conflict`` when a later one
                                                                    depends on it)
PING                         PONG                                   application-level liveness
SHUTDOWN_REQUEST             ACK                                    ask the service to stop
LIST_BACKUPS                 BACKUP_LIST                            the backup sets (a read)
RUN_BACKUP                   BACKUP_DONE                            make a backup set now
VERIFY_BACKUP                BACKUP_DONE                            checksums + restore drill
MEMORY_MAP                   MEMORY_POINTS                          the memories as 2-D points
                                                                    (PCA; tier, concept; paged)
KERNEL_EVENTS                KERNEL_EVENT_LIST                      the kernel's recent steps
===========================  =====================================  ============================

Any request may instead be answered by ``ERROR`` (``code`` from :data:`ERROR_CODES`, a
``message`` and a ``hint`` for the human). A client whose key is read-only may send only
:data:`READ_COMMANDS`; anything else is answered ``forbidden``. An ``ERROR`` answering a frame the service could not
read names the ``request_id`` when it could still be recovered from the frame, else ``null``.
The service may also push ``SYSTEM_STATUS_UPDATE``, ``THOUGHTS_COMMITTED`` (the thoughts just
committed, by anyone) and ``KERNEL_EVENT`` (a step of a cognitive cycle: request, generation with
the code so far, extract, policy, trial, install, commit, and the one-sentence reason of a
refusal; :mod:`telos.bridge.view_messages`) with ``request_id = null``.

Use :func:`encode` / :func:`decode`; both raise :class:`telos.errors.ProtocolError` with a
``code`` suitable for an ``ERROR`` reply.

Layout: :mod:`telos.bridge.messages` holds the constants and the models, :mod:`telos.bridge.codec`
turns frames into messages and back; this module re-exports both, so ``from telos.bridge import
protocol as P`` stays the one import point.
"""

from __future__ import annotations

from telos.bridge.codec import decode, decode_request, encode, error_reply  # noqa: F401
from telos.bridge.messages import (  # noqa: F401
    PROTOCOL_VERSION, PROGRESS_INTERVAL_S, MAX_FRAME_BYTES, SOCKET_MAX_MSG_BYTES, MAX_ID,
    MAX_NAME, MAX_SHORT, MAX_TEXT, MAX_SOURCE, MAX_LONG_TEXT, MAX_ITEMS, BAD_FRAME, BAD_JSON,
    INVALID_MESSAGE, UNKNOWN_COMMAND, UNSUPPORTED_PROTOCOL, TOO_LARGE, NOT_A_REQUEST, NOT_FOUND,
    BAD_REQUEST, CONFLICT, GENERATION_FAILED, EVALUATION_FAILED, UNAVAILABLE, BUSY, SHUTTING_DOWN,
    TIMEOUT, INTERNAL, FORBIDDEN, ERROR_CODES, ErrorCode, READ_COMMANDS, _REQUEST_ID_RE,
    RequestId, Name, Short, Text, Source, new_request_id, _Message, _Request, _Targeted,
    UserQueryRequest, StatusRequest, ListPrototypes, InspectObject, SetSlot, DefineMethod,
    SendMessage, SearchMemory, VsaQuery, Remember, Ping, ShutdownRequest, ListBackups, RunBackup,
    VerifyBackup, BackupSetView, BackupList, BackupDone, PersonaResponsePartial,
    PersonaResponseComplete, RequestProgress, ModelInfo, IndexState, AreaStatus, SystemStatusUpdate,
    PrototypeSummary, PrototypeList, SlotView, ParentView, MethodView, ObjectView,
    ObjectDescription, SendResult, VsaStep, VsaAnswer, MemoryHit, SearchResults, Ack, Pong, Error,
    Request, Reply, Message, REQUEST_TYPES, REPLY_TYPES, COMMANDS, REQUEST_COMMANDS,
    FINAL_REPLIES, ThoughtId, When, AuthorKind, ListThoughts, ObjectHistory, DiffObject, UndoThought,
    ThoughtView, ThoughtList, ThoughtsCommitted, RevisionView, HistoryList, SlotChange, ObjectDiff,
    MAP_PAGE_MAX, MemoryMap, MemoryPoint, ConceptLabel, MemoryPoints, KernelEvent, KernelEvents, KernelEventList,
)
