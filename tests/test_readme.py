"""The README's examples run, so the README cannot drift from the product.

Every ```python block runs, in README order, in one interpreter attached (through ZEO) to a
freshly started service; then every line of every ```sh block runs as written, through the
forge, in README order. ```text blocks are synopses and are not run; the README's two opening
commands (the system itself and this very suite) are the only lines skipped.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
FORGE = shutil.which("python3") or sys.executable
NOT_RUN = {"python3 master_forge.py", "python3 master_forge.py test"}


def blocks(lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```", README.read_text(), re.S | re.M)


def sh_lines() -> list[str]:
    lines = []
    for block in blocks("sh"):
        for line in block.splitlines():
            cmd = line.split("  #")[0].strip()
            if cmd and cmd not in NOT_RUN:
                lines.append(cmd)
    return lines


def test_the_readme_has_the_examples_it_promises():
    py = "\n".join(blocks("python"))
    assert "open_image" in py and "image.memory" in py and "BridgeClient" in py
    sh = sh_lines()
    assert any(" shell -c " in s for s in sh) and any(" search " in s for s in sh)
    assert all(s.startswith("python3 master_forge.py ") for s in sh), sh


@pytest.fixture
def running_home():
    home = Path(tempfile.mkdtemp(prefix="tr", dir="/tmp"))
    env = {k: v for k, v in os.environ.items()
           if k not in ("TELOS_RESPONDER", "TELOS_ZEO", "TELOS_STORAGE", "TELOS_BRIDGE", "OLLAMA_HOST",
                        "TELOS_LLM_BACKEND", "PYTHONPATH", "DISPLAY", "WAYLAND_DISPLAY")}
    env.update({"TELOS_HOME": str(home), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})
    started = subprocess.run([FORGE, "master_forge.py", "start"], cwd=REPO, env=env,
                             capture_output=True, text=True, timeout=300)
    assert started.returncode == 0, started.stdout + started.stderr
    yield home, env
    subprocess.run([FORGE, "master_forge.py", "stop"], cwd=REPO, env=env, capture_output=True,
                   timeout=120)
    shutil.rmtree(home, ignore_errors=True)


def test_every_readme_example_runs(running_home):
    home, env = running_home
    code = "\n\n".join(blocks("python")) + "\nimage.close()\n"
    py_env = dict(env, TELOS_ZEO=str(home / "run" / "zeo.sock"), PYTHONPATH=str(REPO))
    ran = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=py_env,
                         capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    assert ran.returncode == 0, f"the README's Python failed:\n{ran.stdout}\n{ran.stderr}"
    out = ran.stdout.splitlines()
    assert "12" in out and "smollm2:135m" in out, ran.stdout       # the kernel example's prints

    for line in sh_lines():
        p = subprocess.run(shlex.split(line), cwd=REPO, env=env, capture_output=True, text=True,
                           timeout=600, stdin=subprocess.DEVNULL)
        assert p.returncode == 0, f"README line failed: {line}\n{p.stdout}\n{p.stderr}"
        if "search" in line and "spare key" in line:
            assert "flowerpot" in p.stdout.splitlines()[0], p.stdout
        if "Rectangle.area()" in line:
            assert p.stdout.strip() == "12"
