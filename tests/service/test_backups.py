"""telos/service/backups.py: LIST_BACKUPS, RUN_BACKUP and VERIFY_BACKUP handlers on a real image
session (tmp home) over a stand-in service; progress as REQUEST_PROGRESS; the restore command
each set shows is one the CLI really runs."""

from __future__ import annotations

import shlex
import subprocess
import sys

import pytest

from telos.bridge import protocol as P
from telos.errors import RequestRefused
from telos.service import backups
from tests.service.test_handlers import Server, StandInService, call


@pytest.fixture
def service():
    return StandInService()


@pytest.fixture
def registry(service):
    from telos.service import handlers
    return handlers.build_registry(service)


@pytest.fixture
def drilled(image):
    with image.thought("policy: drill every full backup"):
        image.backups.manager.drill = "full"
    return image


def test_listing_an_empty_destination_says_so(registry, image):
    answer, _ = call(registry, image, P.ListBackups(request_id="l0"))
    assert answer.command == "BACKUP_LIST" and answer.request_id == "l0"
    assert answer.sets == [] and answer.warning == "no backup has been made yet"
    assert answer.last_verify == "never verified"
    assert str(image.store.home) in answer.destination and "stop the service" in answer.restore_help


def test_run_backup_streams_progress_and_the_list_shows_the_set(registry, drilled, service):
    server = Server()
    done, _ = call(registry, drilled, P.RunBackup(request_id="b1", full=True), server)
    assert done.command == "BACKUP_DONE" and done.of == "RUN_BACKUP" and done.ok
    assert done.set and done.summary.startswith("full backup #1")
    progress = [m for m in server.pushed if isinstance(m, P.RequestProgress)]
    assert progress and all(m.request_id == "b1" for m in progress)
    assert progress[0].detail == "backup: starting"
    assert any(m.fraction == 1.0 and m.detail.startswith("backup full") for m in progress)
    assert any(m.detail.startswith("verify files") for m in progress)   # the policy's drill
    assert service.activity == ""                          # the status text is clear again

    listed, _ = call(registry, drilled, P.ListBackups())
    assert [s.ident for s in listed.sets] == [done.set]
    s = listed.sets[0]
    assert (s.kind, s.state, s.encrypted, s.seq) == ("full", "ok", False, 1)
    assert s.size > 0 and s.objects and s.time
    assert s.verified_how == "restore drill" and s.verified_ok is True and s.verified >= s.time
    assert listed.warning == "" and listed.last_verify.startswith("last verify ok")


def test_the_restore_command_restores_exactly_that_set(registry, drilled, tmp_path):
    import time
    first, _ = call(registry, drilled, P.RunBackup(full=True))
    time.sleep(1.1)                                        # repozo: one backup per second
    with drilled.thought("a change"):
        drilled.root["changed"] = 1
    second, _ = call(registry, drilled, P.RunBackup())
    assert second.set and second.set != first.set
    listed, _ = call(registry, drilled, P.ListBackups())
    older = next(s for s in listed.sets if s.ident == first.set)
    argv = shlex.split(older.restore_command)
    env_home, forge_at = argv[0], argv.index("restore")
    assert env_home == f"TELOS_HOME={drilled.store.home}"
    assert argv[1:3] == ["python3", str(backups.config.REPO_ROOT / "master_forge.py")]
    assert argv[forge_at:forge_at + 2] == ["restore", "--at"] and "--from" in argv
    # what the forge runs in its venv, into a directory beside the live image
    cli = [sys.executable, "-m", "telos.cli", *argv[forge_at:], "--to", str(tmp_path / "r")]
    out = subprocess.run(cli, env={**_env(), "TELOS_HOME": str(drilled.store.home)},
                         capture_output=True, text=True, timeout=300, cwd=backups.config.REPO_ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"restored #1 {first.set} (full)" in out.stdout      # the older set, not the newest
    assert (tmp_path / "r" / "telos.fs").exists()


def test_verify_reports_its_lines_and_marks_the_sets(registry, drilled):
    made, _ = call(registry, drilled, P.RunBackup(full=True))
    server = Server()
    done, _ = call(registry, drilled, P.VerifyBackup(drill="none"), server)
    assert done.of == "VERIFY_BACKUP" and done.ok and done.summary.startswith("verify: OK")
    assert done.lines[-1] == "verify: OK"
    assert any(isinstance(m, P.RequestProgress) and m.stage == "verify" for m in server.pushed)
    listed, _ = call(registry, drilled, P.ListBackups())
    assert listed.sets[0].verified_how == "checksums"      # this run did not drill it
    (drilled.backups.destination() / "HEAD.json").unlink()  # now the newest sets could be gone
    done, _ = call(registry, drilled, P.VerifyBackup(drill="none"))
    assert not done.ok and done.summary.startswith("verify: FAILED")
    assert any("HEAD.json is missing" in line for line in done.lines)


def test_a_backup_already_running_is_refused_in_one_sentence(registry, image):
    from telos.backup.engine import dest_lock
    with dest_lock(image.backups.destination()):
        with pytest.raises(RequestRefused, match="another backup is running") as err:
            call(registry, image, P.RunBackup())
    assert err.value.code == P.UNAVAILABLE


def _env() -> dict:
    import os
    return {k: v for k, v in os.environ.items() if k not in ("TELOS_ZEO", "TELOS_STORAGE")}
