"""Several processes on one image through a real ZEO server; the shell; the forge's CLI."""

from __future__ import annotations

import subprocess
import sys

import pytest

from telos import UvmObject, open_image
from telos.errors import ImageUnavailableError


def test_zeo_commit_in_shell_process_seen_by_another_process(zeo_server, cli):
    env = {"TELOS_ZEO": zeo_server}
    r = cli("shell", "-c", "prototypes['Note'] = UvmObject(text='from the shell'); commit('note')",
            env=env)
    assert r.returncode == 0, r.stderr
    image = open_image(zeo=zeo_server)          # this test process is the "other" process
    try:
        assert image.prototypes["Note"].text == "from the shell"
        # and the other way round: a commit here is seen by a new shell process
        with image.thought("reply"):
            image.prototypes["Note"].text = "answered"
        r = cli("shell", "-c", "print(json.dumps(Note.text))".replace("json.dumps", "repr"), env=env)
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == repr("answered")
    finally:
        image.close()


def test_zeo_invalidation_reaches_an_open_session(zeo_server):
    a = open_image(zeo=zeo_server)
    b = open_image(zeo=zeo_server)
    try:
        with a.thought("create"):
            a.register("Flag", UvmObject(up=False))
        b.refresh(wait_for=a.last_thought)
        flag_b = b.prototypes["Flag"]
        with a.thought("raise"):
            a.prototypes["Flag"].up = True
        b.refresh(wait_for=a.last_thought)       # invalidations arrive asynchronously
        assert flag_b.up is True
    finally:
        a.close()
        b.close()


def test_zeo_unreachable_is_a_clear_error(tmp_path):
    with pytest.raises(ImageUnavailableError) as err:
        open_image(zeo=str(tmp_path / "nobody.sock"), zeo_timeout=1)
    assert "no ZEO server" in str(err.value)


def test_shell_c_error_exits_1_with_traceback_and_commits_nothing(cli, telos_home):
    r = cli("shell", "-c", "Config.x = 1\n1/0")
    assert r.returncode == 1 and "ZeroDivisionError" in r.stderr
    r = cli("shell", "-c", "print(mirror(Config).responds_to('x'))")
    assert r.stdout.strip() == "False"


def test_shell_warns_about_uncommitted_changes(cli):
    r = cli("shell", "-c", "Config.x = 1")
    assert r.returncode == 0 and "uncommitted changes were discarded" in r.stderr


def test_interactive_shell_banner_and_exit_prompt(telos_home):
    """Drive the interactive console through a pipe: banner, a change, Ctrl-D, the prompt."""
    from tests.conftest import REPO
    import os
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run(
        [sys.executable, "-m", "telos.cli", "shell", "-i"], cwd=REPO, env=env, text=True,
        input="Config.color = 'blue'\n", capture_output=True, timeout=120)
    assert "TelOS shell" in proc.stderr and "prototypes:" in proc.stderr
    assert "uncommitted changes" in proc.stderr
    assert proc.returncode == 0


def test_every_command_has_help(cli):
    r = cli("--help")
    assert r.returncode == 0
    commands = [c for c in ("awaken", "shell", "bench") if c in r.stdout]
    assert commands == ["awaken", "shell", "bench"]
    for c in commands:
        sub = cli(c, "--help")
        assert sub.returncode == 0 and "usage" in sub.stdout


def test_forge_help_runs_with_the_system_python():
    from tests.conftest import REPO
    r = subprocess.run(["python3", str(REPO / "master_forge.py"), "install", "--help"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "--force" in r.stdout


def test_exported_members():
    import telos
    assert sorted(telos.__all__) == sorted([
        "AmbiguousSlotError", "GenerationError", "Image", "Message", "MessageNotUnderstood",
        "MethodDef", "Mirror", "ReadOnlyImageError", "SlotError", "SlotNotFound", "TelosError",
        "UndoError", "UvmObject", "image_of", "mirror", "open_image"])
    for name in telos.__all__:
        assert hasattr(telos, name)


def test_retry_after_a_conflict_waits_for_the_winning_commit(zeo_server):
    """Over ZEO the invalidation may arrive after the conflict: a retry must not start stale."""
    a = open_image(zeo=zeo_server)
    b = open_image(zeo=zeo_server)
    try:
        with a.thought("create"):
            a.register("Hot", UvmObject(n=0))
        b.refresh(wait_for=a.last_thought)
        hot_b = b.prototypes["Hot"]
        assert hot_b.n == 0
        attempts = []

        def increment():
            attempts.append(1)
            if len(attempts) == 1:                # another process wins the race meanwhile
                with a.thought("a wins"):
                    a.prototypes["Hot"].n += 10
            b.prototypes["Hot"].n += 1

        b.run(increment, "b increments", retries=3)
        assert len(attempts) == 2                  # one conflict, then one clean retry
        a.refresh(wait_for=b.last_thought)
        assert a.prototypes["Hot"].n == 11
    finally:
        a.close()
        b.close()


def test_writers_of_one_hot_object_all_win_within_the_deadline(zeo_server):
    """A user's single write does not fail because others write the same object too."""
    import threading
    images = [open_image(zeo=zeo_server) for _ in range(4)]
    try:
        with images[0].thought("create"):
            images[0].register("Counter", UvmObject(n=0))
        errors: list[BaseException] = []

        def writer(im):
            try:
                im.refresh()
                for _ in range(15):
                    def bump():
                        im.prototypes["Counter"].n += 1
                    im.run(bump, "bump")
            except BaseException as exc:   # noqa: BLE001 - reported below
                errors.append(exc)
        threads = [threading.Thread(target=writer, args=(im,)) for im in images]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not errors, errors
        # each image is its own ZEO client: wait until images[0] has heard of every last commit
        for im in images[1:]:
            images[0].refresh(wait_for=im.last_thought)
        assert images[0].prototypes["Counter"].n == 60
    finally:
        for im in images:
            im.close()


def test_a_conflict_is_reported_only_when_the_deadline_passes(image):
    from ZODB.POSException import ConflictError as ZODBConflict

    from telos.errors import ConflictError, ImageError
    attempts = []

    def always_conflicts():
        attempts.append(1)
        raise ZODBConflict("simulated")
    with pytest.raises(ConflictError) as info:
        image.run(always_conflicts, "doomed", deadline=0.3)
    assert len(attempts) > 3                      # it kept trying, with back-off, until the end
    assert isinstance(info.value, ImageError)     # ZODB's own error stays inside the image
    assert not isinstance(info.value, ZODBConflict)
    assert "retry" in str(info.value)


def test_the_bridge_classifies_a_conflict_without_zodb(image):
    """What Image.run gives up with is TelOS's own error, and the bridge names it `conflict`."""
    from ZODB.POSException import ConflictError as ZODBConflict

    from telos.bridge import protocol as P
    from telos.bridge.server import classify

    def always_conflicts():
        raise ZODBConflict("simulated")
    with pytest.raises(Exception) as info:
        image.run(always_conflicts, "doomed", retries=0)
    assert classify(info.value)[0] == P.CONFLICT
