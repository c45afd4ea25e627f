"""telos/shell.py in-process on a real image: the bound names, ``shell -c`` (commit kept, errors
and uncommitted changes discarded), the banner, the service link without a service, and the
completer (the shell as a process, through ZEO: test_zeo_and_shell.py)."""

from __future__ import annotations

import pytest

from telos import shell
from telos.errors import BridgeUnavailable
from telos.uvm import UvmObject


def test_the_namespace_binds_the_session_and_every_identifier_prototype(image):
    with image.thought("prototypes"):
        image.register("Point", UvmObject(x=1))
        image.register("not an identifier", UvmObject())
    ns = shell.namespace(image)
    assert ns["image"] is image and ns["prototypes"] is image.prototypes
    assert ns["transaction"] is image.transaction_manager
    assert ns["Point"] is image.prototypes["Point"] and "not an identifier" not in ns
    assert isinstance(ns["service"], shell.ServiceLink)


def test_a_prototype_never_shadows_a_bound_name(image):
    with image.thought("a prototype named like a binding"):
        image.register("mirror", UvmObject())
    from telos.reflect import mirror
    assert shell.namespace(image)["mirror"] is mirror


def test_commit_and_abort_in_the_namespace(image, capsys):
    ns = shell.namespace(image)
    image.prototypes["Config"].note = "kept"
    ns["commit"]("from the shell")
    assert "committed (from the shell)" in capsys.readouterr().out
    assert image.thoughts(1)[0].note == "from the shell"
    image.prototypes["Config"].note = "dropped"
    ns["abort"]()
    assert image.prototypes["Config"].note == "kept"


def test_run_code_keeps_what_it_commits(image):
    assert shell.run_code(image, "Config.answer = 42\ncommit('set the answer')") == 0
    assert image.prototypes["Config"].answer == 42


def test_run_code_discards_uncommitted_changes_with_a_warning(image, capsys):
    assert shell.run_code(image, "Config.loose = 1") == 0
    assert "uncommitted changes were discarded" in capsys.readouterr().err
    assert not image.has_changes()
    assert "loose" not in image.prototypes["Config"].__dict__


def test_run_code_error_is_1_with_the_traceback_and_nothing_kept(image, capsys):
    assert shell.run_code(image, "Config.half = 1\n1/0") == 1
    assert "ZeroDivisionError" in capsys.readouterr().err
    assert not image.has_changes()


@pytest.mark.parametrize("source, status", [("raise SystemExit(3)", 3), ("raise SystemExit", 0),
                                            ("raise SystemExit('bye')", 1)])
def test_run_code_exit_status(image, source, status):
    assert shell.run_code(image, source) == status


def test_the_banner_names_the_image_and_its_prototypes(image):
    with image.thought("prototype"):
        image.register("Point", UvmObject())
    text = shell.banner(image, shell.namespace(image))
    assert text.startswith(f"TelOS shell — attached to {image.store.path}")
    assert "Point" in text.split("prototypes: ")[1].splitlines()[0]


def test_the_service_link_without_a_service_says_how_to_start_it(telos_home, monkeypatch):
    asked = []
    monkeypatch.setattr("telos.bridge.client.running_service",
                        lambda timeout: asked.append(timeout))     # nobody answers
    link = shell.ServiceLink()
    with pytest.raises(BridgeUnavailable, match="master_forge.py start"):
        link.status()
    assert asked == [2.0]
    link.close()
    assert "send(name, selector" in repr(link)


def test_the_completer_sees_slots(image):
    with image.thought("prototype"):
        image.register("Point", UvmObject(xcoord=1))
    complete = shell._completer(shell.namespace(image))
    found = []
    state = 0
    while (match := complete("Point.xc", state)) is not None:
        found.append(match)
        state += 1
    assert found == ["Point.xcoord"]
