"""``master_forge.py ui --screenshot``: a separate process renders a view and exits."""

from __future__ import annotations

import subprocess

import pytest

from tests.ui.conftest import image_stats
from tests.ui.stack import PY, REPO, _env


def _ui(stack_home, *args, timeout=240):
    env = _env(stack_home)
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    return subprocess.run([PY, "-m", "telos.cli", "ui", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_screenshot_of_the_inspector_against_the_running_service(stack, kivy_window, tmp_path):
    out_path = tmp_path / "inspector.png"
    out = _ui(stack.home, "--screenshot", str(out_path), "--view", "inspector", "--inspect", "Gadget",
              "--after", "0.5")
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.strip().endswith(str(out_path))
    assert "configuration" not in out.stderr, out.stderr     # no config.ini, so no upgrade talk
    stats = image_stats(out_path)
    assert (stats["width"], stats["height"]) == (1180, 760)
    assert stats["std"] > 10 and stats["colours"] > 50
    log = (stack.home / "log" / "ui.log").read_text()
    assert "screenshot saved" in log
    assert "Kivy: v2.3.1" in log                       # Kivy's own records went into our log


def test_screenshot_without_a_service_still_saves_and_says_not_ready(kivy_window, tmp_path):
    home = tmp_path / "h"
    out_path = tmp_path / "nothing.png"
    out = _ui(home, "--screenshot", str(out_path), "--after", "0.2", "--patience", "1.5")
    assert out.returncode == 3, out.stdout + out.stderr
    assert out_path.exists() and image_stats(out_path)["std"] > 5
    assert "not ready" in out.stderr


def test_without_a_display_the_ui_says_what_to_do(tmp_path):
    out = _ui(tmp_path / "h", timeout=60)
    assert out.returncode == 2
    assert "no display" in out.stderr and "--screenshot" in out.stderr


@pytest.mark.parametrize("view", ["backups", "status", "map", "kernel"])
def test_screenshot_of_the_new_views(stack, kivy_window, tmp_path, view):
    """``ui --screenshot FILE --view backups|status|map|kernel`` renders the view once its
    content arrived (the list of sets; the first status; every page of the map; the recent
    kernel events) and exits 0."""
    out_path = tmp_path / f"{view}.png"
    out = _ui(stack.home, "--screenshot", str(out_path), "--view", view, "--after", "0.5")
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.strip().endswith(str(out_path))
    stats = image_stats(out_path)
    assert (stats["width"], stats["height"]) == (1180, 760)
    assert stats["std"] > 10 and stats["colours"] > 50


@pytest.mark.parametrize("view", ["timeline", "history"])
def test_screenshot_of_the_timeline_and_a_history(stack, kivy_window, tmp_path, view):
    """``ui --screenshot FILE --view timeline`` once the thoughts are listed; ``--view history
    --inspect Gadget`` once its revisions and the diff of the newest two arrived."""
    out_path = tmp_path / f"{view}.png"
    out = _ui(stack.home, "--screenshot", str(out_path), "--view", view, "--inspect", "Gadget",
              "--after", "0.5")
    assert out.returncode == 0, out.stdout + out.stderr
    stats = image_stats(out_path)
    assert (stats["width"], stats["height"]) == (1180, 760)
    assert stats["std"] > 10 and stats["colours"] > 50
