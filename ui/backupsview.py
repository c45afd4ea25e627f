"""The backups panel: the sets (time, kind, size, encryption, when and how each was verified), a
backup or a verify drill run from here with its progress, and the restore command of the chosen
set to copy for an operator (restores stay an operator's action: they need the service stopped).

Everything arrives as bridge events on the Kivy clock (:class:`ui.link.Link`): the list is asked
for when the panel is shown, when the connection comes back, after a run, and when a status
update says a newer backup exists (the service's own schedule made one) — never polled.
"""

from __future__ import annotations

import logging
import time

from kivy.core.clipboard import Clipboard
from kivy.properties import (BooleanProperty, ColorProperty, NumericProperty, ObjectProperty,
                             StringProperty)
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.recycleview.views import RecycleDataViewBehavior

from telos.bridge import protocol as P
from ui.backups import outcome_text, progress_text, set_texts, summary_text

log = logging.getLogger(__name__)


class BackupSetRow(RecycleDataViewBehavior, ButtonBehavior, BoxLayout):
    ident = StringProperty("")
    when = StringProperty("")
    kind = StringProperty("")
    size_text = StringProperty("")
    encrypted = StringProperty("")
    verified = StringProperty("")
    selected = BooleanProperty(False)
    verified_color = ColorProperty((1, 1, 1, 1))
    row_color = ColorProperty((0.15, 0.17, 0.2, 1))
    panel = ObjectProperty(None, allownone=True)

    def on_release(self):
        if self.panel is not None:
            self.panel.select(self.ident)


class BackupsPanel(BoxLayout):
    link = ObjectProperty(None, allownone=True, rebind=True)
    prototypes = ObjectProperty(None, allownone=True)
    shown = BooleanProperty(False)
    summary = StringProperty("The image's backup sets: each a repozo run with a signed manifest.")
    busy = StringProperty("")              # the run in progress, and how far it is
    fraction = NumericProperty(0.0)        # of the run in progress (0 when unknown)
    outcome = StringProperty("")           # how the last run ended
    outcome_ok = BooleanProperty(True)
    selected = StringProperty("")          # ident of the set whose restore command is shown
    command = StringProperty("")
    restore_help = StringProperty("")
    copied = StringProperty("")
    replies = NumericProperty(0)           # BACKUP_LIST replies received
    runs = NumericProperty(0)              # runs finished (BACKUP_DONE or ERROR)
    progress_reports = NumericProperty(0)  # REQUEST_PROGRESS received for runs

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.listing: P.BackupList | None = None
        self._asking: str | None = None
        self._running: str | None = None
        self._newest_seen: float | None = None

    # --- events ------------------------------------------------------------------------------
    def on_link(self, _instance, link) -> None:
        if link is not None:
            link.bind(last_status=self._on_status)
            link.on_found(lambda: self.shown and self.refresh())

    def on_shown(self, _instance, shown: bool) -> None:
        if shown:
            self.refresh()

    def _on_status(self, _link, msg) -> None:
        """A newer backup than the list shows (the service's schedule): ask for the list again."""
        newest = getattr(msg, "last_backup", None)
        if newest is not None and newest != self._newest_seen:
            self._newest_seen = newest
            if self.shown and self.listing is not None:
                self.refresh()

    # --- requests ----------------------------------------------------------------------------
    def _connected(self) -> bool:
        return self.link is not None and self.link.connected

    def refresh(self) -> str | None:
        if not self._connected() or self._asking is not None:
            return None
        msg = P.ListBackups()
        self._asking = msg.request_id
        self.link.request(msg, self._on_list)
        return msg.request_id

    def run_backup(self, full: bool | None = None) -> str | None:
        return self._run(P.RunBackup(full=full), "full backup" if full else "backup")

    def verify(self, drill: str = "newest") -> str | None:
        return self._run(P.VerifyBackup(drill=drill), "verification with a restore drill")

    def _run(self, msg, what: str) -> str | None:
        if not self._connected():
            self.outcome, self.outcome_ok = "the service is not connected; nothing was started", False
            return None
        if self._running is not None:
            self.outcome, self.outcome_ok = "a run is already in progress; wait for it to finish", False
            return None
        self._running = msg.request_id
        self.busy, self.fraction, self.outcome = f"{what}: asking the service…", 0.0, ""
        self.link.request(msg, self._on_done, on_progress=self._on_progress)
        return msg.request_id

    def _on_progress(self, msg: P.RequestProgress) -> None:
        self.progress_reports += 1
        self.busy = progress_text(msg)
        if msg.fraction is not None:
            self.fraction = msg.fraction

    def _on_done(self, reply) -> None:
        self._running = None
        self.runs += 1
        self.busy, self.fraction = "", 0.0
        self.outcome, self.outcome_ok = outcome_text(reply)
        made = getattr(reply, "set", None)
        if made:
            self.selected = made        # the new set's restore command, once the list has it
        self.refresh()

    def _on_list(self, reply) -> None:
        self._asking = None
        self.replies += 1
        if isinstance(reply, P.Error):
            self.summary = f"could not list the backups [{reply.code}]: {reply.message}"
            return
        if not isinstance(reply, P.BackupList):
            self.summary = f"unexpected reply {reply.command}"
            return
        self.listing = reply
        self.summary = summary_text(reply)
        self.restore_help = reply.restore_help
        idents = [s.ident for s in reply.sets if s.restore_command]
        if self.selected not in idents:
            self.selected = idents[-1] if idents else ""
        self._show()

    # --- the list and the restore command ----------------------------------------------------
    def select(self, ident: str) -> None:
        self.selected = ident
        self._show()

    def _show(self) -> None:
        sets = self.listing.sets if self.listing is not None else []
        theme, now = self.prototypes.theme, time.time()
        rows = []
        for s in reversed(sets):                   # newest first
            texts = set_texts(s, now)
            bad = s.state != "ok" or s.verified_ok is False
            colour = theme.error if bad else (theme.ok if s.verified_ok else theme.text_muted)
            rows.append(self.prototypes["BackupRow"].record(
                ident=s.ident, selected=s.ident == self.selected, verified_color=colour,
                row_color=theme.surface_high if s.ident == self.selected else theme.surface,
                panel=self, **texts))
        self.ids.backup_sets.data = rows
        chosen = next((s for s in sets if s.ident == self.selected), None)
        self.command = chosen.restore_command if chosen is not None else ""
        self.copied = ""

    def copy_command(self) -> None:
        if not self.command:
            self.copied = "no set chosen"
            return
        Clipboard.copy(self.command)
        self.copied = "copied — paste it in a terminal on the service's machine"
