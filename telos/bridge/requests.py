"""One typed method per bridge request (:class:`Requests`, mixed into
:class:`telos.bridge.client.BridgeClient`): each builds the request and waits for its final reply
(``request``) or hands back the streaming :class:`~telos.bridge.call.Call` (``submit``)."""

from __future__ import annotations

from typing import Any, Callable

from telos.bridge import protocol as P
from telos.bridge.call import Call


class Requests:
    """Built on the client's own ``request(msg, timeout)`` and
    ``submit(msg, timeout, on_progress=...)``."""

    def ping(self, timeout: float | None = None) -> P.Pong:
        return self.request(P.Ping(), timeout)

    def status(self, timeout: float | None = None) -> P.SystemStatusUpdate:
        return self.request(P.StatusRequest(), timeout)

    def ask(self, text: str, persona: str | None = None, timeout: float | None = None,
            on_progress: Callable[[P.RequestProgress], None] | None = None,
            max_tokens: int | None = None) -> Call:
        return self.submit(P.UserQueryRequest(query_text=text, persona=persona,
                                              max_tokens=max_tokens), timeout,
                           on_progress=on_progress)

    def list_prototypes(self) -> P.PrototypeList:
        return self.request(P.ListPrototypes())

    def inspect(self, name: str | None = None, object_id: str | None = None, *,
                as_of: str | float | None = None) -> P.ObjectView:
        """An object's view; ``as_of`` (a thought id or unix time): as it was then."""
        return self.request(P.InspectObject(name=name, object_id=object_id, as_of=as_of)).object

    def set_slot(self, slot: str, value: Any, *, name: str | None = None,
                 object_id: str | None = None, note: str = "") -> P.Ack:
        return self.request(P.SetSlot(name=name, object_id=object_id, slot=slot, value=value, note=note))

    def define_method(self, source: str, *, name: str | None = None, object_id: str | None = None,
                      selector: str | None = None, note: str = "") -> P.Ack:
        return self.request(P.DefineMethod(name=name, object_id=object_id, source=source,
                                           selector=selector, note=note))

    def send_message(self, selector: str, *args: Any, name: str | None = None,
                     object_id: str | None = None, timeout: float | None = None,
                     on_progress: Callable[[P.RequestProgress], None] | None = None,
                     **kwargs: Any) -> Call:
        return self.submit(P.SendMessage(name=name, object_id=object_id, selector=selector,
                                         args=list(args), kwargs=kwargs), timeout,
                           on_progress=on_progress)

    def search(self, query: str, k: int = 5, *, mode: str | None = None, source: str | None = None,
               since: float | None = None, until: float | None = None,
               as_of: str | float | None = None) -> P.SearchResults:
        return self.request(P.SearchMemory(query=query, k=k, mode=mode, source=source, since=since,
                                           until=until, as_of=as_of))

    # --- the image's past ----------------------------------------------------------------------
    def thoughts(self, limit: int = 50, *, name: str | None = None, object_id: str | None = None,
                 author: str | None = None, before: str | None = None) -> list[P.ThoughtView]:
        return self.request(P.ListThoughts(limit=limit, name=name, object_id=object_id,
                                           author=author, before=before)).thoughts

    def history(self, name: str | None = None, object_id: str | None = None,
                limit: int = 50) -> list[P.RevisionView]:
        return self.request(P.ObjectHistory(name=name, object_id=object_id, limit=limit)).revisions

    def diff(self, before: str, after: str | None = None, *, name: str | None = None,
             object_id: str | None = None) -> P.ObjectDiff:
        return self.request(P.DiffObject(name=name, object_id=object_id, before=before, after=after))

    def undo(self, thought_id: str, note: str = "") -> P.Ack:
        return self.request(P.UndoThought(thought_id=thought_id, note=note))

    def vsa_query(self, query: str) -> P.VsaAnswer:
        return self.request(P.VsaQuery(query=query))

    def memory_map(self, offset: int = 0, limit: int = P.MAP_PAGE_MAX,
                   after_id: int = 0) -> P.MemoryPoints:
        """One page of the memory map (``next_offset`` names the next; None: the last)."""
        return self.request(P.MemoryMap(offset=offset, limit=limit, after_id=after_id))

    def kernel_events(self, limit: int = 200) -> list[P.KernelEvent]:
        """The kernel's recent steps, oldest first (new ones arrive pushed as KERNEL_EVENT)."""
        return self.request(P.KernelEvents(limit=limit)).events

    def remember(self, text: str, source: str = "bridge") -> P.Ack:
        return self.request(P.Remember(text=text, source=source))

    def shutdown(self, reason: str = "") -> P.Ack:
        return self.request(P.ShutdownRequest(reason=reason))

    # --- backups -------------------------------------------------------------------------------
    def list_backups(self) -> P.BackupList:
        return self.request(P.ListBackups())

    def run_backup(self, full: bool | None = None, *, timeout: float | None = None,
                   on_progress: Callable[[P.RequestProgress], None] | None = None) -> Call:
        """A backup set now; ``.result()`` is the BACKUP_DONE (progress: ``on_progress``)."""
        return self.submit(P.RunBackup(full=full), timeout, on_progress=on_progress)

    def verify_backups(self, drill: str = "newest", *, timeout: float | None = None,
                       on_progress: Callable[[P.RequestProgress], None] | None = None) -> Call:
        return self.submit(P.VerifyBackup(drill=drill), timeout, on_progress=on_progress)
