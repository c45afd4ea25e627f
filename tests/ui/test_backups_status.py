"""The backups panel and the status page against the real service (and its real image and backup
destination), driven through the widgets."""

from __future__ import annotations

import re

from telos.bridge import protocol as P
from tests.ui.conftest import assert_stacked, image_stats
from ui.backups import size_text
from ui.status import MORE
from tests.ui.stack import click


def _open_backups(ui):
    panel = ui.root.ids.backups
    before = panel.replies
    click(ui, ui.root.ids.tab_backups)
    ui.until(lambda: panel.replies > before, "the list of backup sets arrived", timeout=120)
    return panel


def _row(ui, ident):
    rows = [w for w in ui.widgets("BackupSetRow") if w.ident == ident]
    return rows[0] if rows else None


def test_the_panel_lists_a_set_made_by_the_backup_command(ui, stack):
    out = stack.cli("backup", "--full")
    assert out.returncode == 0, out.stdout + out.stderr
    ident = re.search(r"full backup #\d+ (\S+) \(full\)", out.stdout).group(1)
    panel = _open_backups(ui)
    listed = {s.ident: s for s in panel.listing.sets}
    assert ident in listed, (ident, list(listed))
    s = listed[ident]
    assert (s.kind, s.state, s.encrypted) == ("full", "ok", False)
    row = next(r for r in panel.ids.backup_sets.data if r["ident"] == ident)
    assert row["kind"] == "full" and row["size_text"] == size_text(s.size) and s.size > 0
    assert row["encrypted"] == "plain"
    assert row["verified"].startswith("restore drill ok")     # the policy drills a full backup
    assert panel.ids.backup_sets.data[0]["ident"] == ident      # newest first
    assert_stacked(ui.widgets("BackupSetRow"))
    # the newest set is chosen: its restore command is shown, and Copy puts it on the clipboard
    assert panel.selected == ident and panel.command == s.restore_command
    assert f"TELOS_HOME={stack.home}" in panel.command and " restore --at " in panel.command
    assert panel.ids.restore_command.text == panel.command
    click(ui, panel.ids.copy_command)
    from kivy.core.clipboard import Clipboard
    assert Clipboard.paste() == panel.command and panel.copied.startswith("copied")
    # choosing another set shows that set's command
    older = next(x for x in panel.listing.sets if x.ident != ident and x.state == "ok")
    click(ui, _row(ui, older.ident))
    assert panel.selected == older.ident and panel.command == older.restore_command


def test_a_backup_run_from_the_panel_shows_progress_and_adds_a_set(ui, stack):
    change = stack.shell(                                           # something to back up
        "with image.thought('ui tests: a change to back up', user='tests'):\n"
        "    image.root['ui_tests_backup_probe'] = 1\n")      # out of every view's sight
    assert change.returncode == 0, change.stdout + change.stderr
    panel = _open_backups(ui)
    before = {s.ident for s in panel.listing.sets}
    seen = {"busy": [], "fractions": [0.0], "buttons_disabled": []}

    def watch(*_args):              # every change, even several within one frame
        if panel.busy:
            seen["busy"].append(panel.busy)
            seen["fractions"].append(panel.fraction)
            seen["buttons_disabled"].append(panel.ids.backup_now.disabled)
    panel.bind(busy=watch, fraction=watch)
    click(ui, panel.ids.backup_now)
    assert seen["busy"][0] == "backup: asking the service…"        # at once, before any answer
    ui.until(lambda: panel.runs == 1, "the backup run finished", timeout=300)
    ui.until(lambda: panel._asking is None and panel.selected in {s.ident for s in panel.listing.sets},
             "the list shows the new set", timeout=120)
    assert panel.outcome_ok, panel.outcome
    assert re.match(r"(incremental|full) backup #\d+ \S+ .*bytes in", panel.outcome), panel.outcome
    assert panel.progress_reports >= 1                              # REQUEST_PROGRESS reached it
    assert any(b.startswith("backup") and "%" in b for b in seen["busy"]), seen["busy"]
    assert max(seen["fractions"]) > 0 and all(seen["buttons_disabled"])
    assert panel.busy == "" and not panel.ids.backup_now.disabled
    after = {s.ident for s in panel.listing.sets}
    new = after - before
    assert new == {panel.selected}                                  # the run's set, chosen
    assert panel.ids.backup_sets.data[0]["ident"] == panel.selected
    chosen = next(s for s in panel.listing.sets if s.ident == panel.selected)
    assert panel.command == chosen.restore_command and " restore --at " in panel.command
    # a verify drill from the panel marks the newest set verified by a restore drill
    click(ui, panel.ids.backup_verify)
    ui.until(lambda: panel.runs == 2, "the verify drill finished", timeout=300)
    ui.until(lambda: panel._asking is None, "the list was asked again", timeout=120)
    assert panel.outcome_ok and panel.outcome.startswith("verify: OK"), panel.outcome
    newest = next(r for r in panel.ids.backup_sets.data if r["ident"] == panel.selected)
    assert newest["verified"].startswith("restore drill ok"), newest
    shot = ui.screenshot("backups")
    stats = image_stats(shot)
    assert stats["std"] > 10 and stats["colours"] > 30


def test_status_bar_fields_are_never_cut_inside_a_word(ui):
    status = ui.root.ids.status
    ui.until(lambda: status.ids.status_memory.full.startswith("memory "), "memory counts in the bar")
    fields = [status.ids[i] for i in ("status_connection", "status_backend", "status_memory",
                                      "status_index", "status_backup")]
    ui.frames(3)
    for f in fields:
        assert f.text == f.full or (f.text.endswith(MORE) and f.full.startswith(f.text[: -len(MORE)])
                                    and f.full[len(f.text) - len(MORE)] == " "), (f.full, f.text)
        assert f.texture_size[0] <= f.width + 1, (f.text, f.texture_size, f.width)   # drawn whole


def test_a_click_on_the_status_bar_opens_the_status_page(ui, stack):
    page = ui.root.ids.status_page
    ui.root.show_view("memory")
    click(ui, ui.root.ids.status)
    assert ui.root.view == "status" and ui.root.ids.screens.current == "status"
    ui.until(lambda: page.renders > 0 and ui.link.last_status is not None, "the status page drew")
    st = ui.link.last_status
    rows = {r["label"]: r["value"] for r in page.ids.status_rows.data if r["kind"] == "row"}
    headings = [r["label"] for r in page.ids.status_rows.data if r["kind"] == "header"]
    assert headings == ["Health", "Service", "Language model", "Memory", "Backups", "Areas"]
    assert rows["overall"] == "healthy" and rows["database"] == "ok"
    assert rows["process"] == f"pid {stack.service.pid}"
    assert rows["image storage"] == st.connection and "zeo" in st.connection
    assert rows["backend"] == st.backend and "ollama" in st.backend
    assert int(rows["bridge connections"].split()[0]) >= 1           # this UI, at least
    for tier, n in st.memory.items():
        assert f"{n:,}" in "".join(v for k, v in rows.items() if k.lower().startswith(tier.lower()))
    assert rows["index"] == st.index.state
    assert set(st.areas) <= set(rows)                                 # every area has its row
    assert rows["newest good backup"] != "never"                      # the stack's first backup
    assert ui.link.endpoint in rows["this client"]
    shot = ui.screenshot("status")
    stats = image_stats(shot)
    assert stats["std"] > 10 and stats["colours"] > 30
    click(ui, page.ids.status_back)                                  # back where it was opened
    assert ui.root.view == "memory"


def test_a_read_of_the_sets_matches_what_the_service_lists(ui, stack):
    """The panel shows the service's own list, set for set (no second source of truth)."""
    from telos.bridge.client import BridgeClient
    panel = _open_backups(ui)
    with BridgeClient(stack.endpoint, timeout=60) as c:
        listing = c.list_backups()
    assert isinstance(listing, P.BackupList)
    assert [r["ident"] for r in panel.ids.backup_sets.data] == [s.ident for s in reversed(listing.sets)]
