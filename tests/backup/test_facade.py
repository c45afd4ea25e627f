"""telos/backup/facade.py (``image.backups``): status age and warning, the progress callback,
BackupManager history, run_due; and the backup commands end to end (retention:
test_retention.py)."""

from __future__ import annotations


def test_status_age_warning_history_and_progress(image, key_env):
    with image.thought("policy"):
        image.backups.manager.drill = "full"
    st = image.backups.status()
    assert st["warning"] == "no backup has been made yet"
    seen = []
    r = image.backups.backup(status=lambda desc, n, total: seen.append((desc, n, total)))
    assert r.kind == "full"
    assert seen and seen[-1][1] == seen[-1][2] and any(d.startswith("backup full") for d, _, _ in seen)
    mgr = image.backups.manager
    assert mgr.history[-1]["set"] == r.set.ident and mgr.last_full is not None
    assert mgr.last_verify["ok"] is True and mgr.last_verify["set"] == r.set.ident
    st = image.backups.status()
    assert st["warning"] is None and st["age_seconds"] >= 0 and st["newest"] == r.set.ident
    with image.thought("strict policy"):
        mgr.max_age = 0
    assert "old (policy allows" in image.backups.status()["warning"]
    assert image.backups.due() == "incremental" or image.backups.due() is None


def test_cli_backup_list_verify_restore(cli, telos_home, key_env, tmp_path):
    env = {"TELOS_HOME": str(telos_home), "TELOS_BACKUP_KEY": key_env}
    p = cli("backup", env=env)
    assert p.returncode == 0, p.stderr
    assert "full backup #1" in p.stdout
    p = cli("backups", env=env)
    assert p.returncode == 0 and "#1" in p.stdout and "newest:" in p.stdout, p.stdout + p.stderr
    p = cli("verify", env=env)
    assert p.returncode == 0 and "verify: OK" in p.stdout, p.stdout + p.stderr
    p = cli("restore", "--to", str(tmp_path / "r"), env=env)
    assert p.returncode == 0 and (tmp_path / "r" / "telos.fs").exists(), p.stderr
    p = cli("restore", "--at", "yesterday", env=env)
    assert p.returncode == 1 and "--at 'yesterday'" in p.stderr
    p = cli("restore", "--to", str(tmp_path / "x"), env=dict(env, TELOS_BACKUP_KEY="ab" * 32))
    assert p.returncode == 1 and "wrong key" in p.stderr


def test_run_due_follows_the_schedule(image, key_env):
    """What the service calls every minute: a full first, nothing while none is due."""
    with image.thought("policy"):
        image.backups.manager.drill = "never"
    first = image.backups.run_due()
    assert first is not None and first.kind == "full"
    assert image.backups.run_due() is None                  # nothing due right after
    with image.thought("shorter interval"):
        image.backups.manager.incremental_interval = 0
    import time
    time.sleep(1.1)                                          # repozo: one backup per second
    second = image.backups.run_due()
    assert second is not None and second.kind == "incremental"


def test_each_set_remembers_when_and_how_it_was_last_verified(image, key_env):
    """``BackupManager.verified``: the drilled set says "restore drill", the others "checksums";
    a damaged file marks its own set failed and leaves the other set's record ok."""
    import time
    with image.thought("policy"):
        image.backups.manager.drill = "full"
    first = image.backups.backup(full=True)                     # drilled right after (policy)
    rec = dict(image.backups.manager.verified[first.set.ident])
    assert rec["how"] == "restore drill" and rec["ok"] is True and rec["time"]
    time.sleep(1.1)                                              # repozo: one backup per second
    with image.thought("a change"):
        image.root["changed"] = 1
    second = image.backups.backup(full=False)
    assert second.kind == "incremental"
    assert second.set.ident not in image.backups.manager.verified     # not drilled (policy: full)
    report = image.backups.verify(drill="none")
    assert report.ok
    verified = {k: dict(v) for k, v in image.backups.manager.verified.items()}
    assert {k: v["how"] for k, v in verified.items()} == {first.set.ident: "checksums",
                                                          second.set.ident: "checksums"}
    config_file = second.set.path / "config.json"
    config_file.write_text(config_file.read_text() + " ")       # damage one file of the newest set
    assert not image.backups.verify(drill="none").ok
    verified = {k: dict(v) for k, v in image.backups.manager.verified.items()}
    assert verified[second.set.ident]["ok"] is False and "config.json" in verified[second.set.ident]["message"]
    assert verified[first.set.ident]["ok"] is True
