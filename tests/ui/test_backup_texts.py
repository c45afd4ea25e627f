"""ui/backups.py: what the backups panel says for each set, the summary, progress and outcomes."""

from __future__ import annotations

from telos.bridge import protocol as P
from ui.backups import outcome_text, progress_text, set_texts, size_text, summary_text

NOW = 1_000_000.0


def test_a_set_row_says_time_kind_size_encryption_and_verification():
    s = P.BackupSetView(ident="c/s", seq=3, time=NOW - 600, kind="incremental", size=92_355,
                        encrypted=True, verified=NOW - 300, verified_how="restore drill",
                        verified_ok=True)
    t = set_texts(s, NOW)
    assert t["when"].startswith("#3 · ") and t["kind"] == "incremental"
    assert t["size_text"] == "90.2 KiB" and t["encrypted"] == "encrypted"
    assert t["verified"] == "restore drill ok · 5 min ago"
    never = set_texts(s.model_copy(update={"verified": None, "encrypted": False}), NOW)
    assert never["verified"] == "never verified" and never["encrypted"] == "plain"
    failed = set_texts(s.model_copy(update={"verified_ok": False, "verified_how": "checksums"}), NOW)
    assert failed["verified"].startswith("checksums FAILED")
    other = set_texts(s.model_copy(update={"state": "other_key", "error": "key id k9"}), NOW)
    assert other["verified"] == "OTHER KEY: key id k9"
    broken = set_texts(P.BackupSetView(ident="c/x", state="broken", error="manifest missing"), NOW)
    assert broken["kind"] == "BROKEN" and broken["verified"] == "manifest missing"


def test_sizes_and_summary():
    assert size_text(512) == "512 bytes" and size_text(3 * 2**20) == "3.0 MiB"
    assert size_text(5 * 2**40) == "5,120.0 GiB"
    listing = P.BackupList(request_id="r", destination="/b", key_id="k1",
                           sets=[P.BackupSetView(ident="a"), P.BackupSetView(ident="b", state="broken")],
                           last_verify="never verified", warning="the newest backup is 5.0 h old")
    assert summary_text(listing) == ("1 set(s) in /b · backup key k1 · never verified · "
                                     "warning: the newest backup is 5.0 h old")


def test_progress_and_outcomes():
    p = P.RequestProgress(request_id="r", stage="backup", detail="backup full", fraction=0.4,
                          elapsed=2.2)
    assert progress_text(p) == "backup full 40 % (2 s)"
    done = P.BackupDone(request_id="r", of="RUN_BACKUP", ok=True, summary="full backup #2 …")
    assert outcome_text(done) == ("full backup #2 …", True)
    bad = P.BackupDone(request_id="r", of="VERIFY_BACKUP", ok=False, summary="verify: FAILED",
                       lines=["1 sets authenticated", "PROBLEM: HEAD.json is missing", "verify: FAILED"])
    assert outcome_text(bad) == ("verify: FAILED: PROBLEM: HEAD.json is missing", False)
    err = P.Error(request_id="r", code="unavailable", message="another backup is running", hint="wait")
    assert outcome_text(err) == ("failed [unavailable]: another backup is running — wait", False)
