"""``thoughts``, ``history NAME`` and ``undo ID`` as real processes on a temporary home (no
service: the image opened by the command; through the service: tests/service/test_roundtrip.py)."""

from __future__ import annotations

import json

from tests.memory.test_cli import cli

SETUP = """
from telos import UvmObject
with image.thought('a rectangle'):
    image.register('Rectangle', UvmObject(width=3, height=4))
with image.thought('wider', user='kernel'):
    image.prototypes['Rectangle'].width = 5
with image.thought('area'):
    mirror(image.prototypes['Rectangle']).define('area', 'def area(self):\\n    return self.width * self.height\\n')
"""


def test_thoughts_history_and_undo_with_its_refusal(telos_home):
    assert cli("awaken", home=telos_home).returncode == 0
    r = cli("shell", "-c", SETUP, home=telos_home)
    assert r.returncode == 0, r.stderr
    r = cli("thoughts", "--object", "Rectangle", "--json", home=telos_home)
    assert r.returncode == 0, r.stderr
    mine = json.loads(r.stdout)
    assert [t["note"] for t in mine] == ["area", "wider", "a rectangle"]
    assert mine[1]["author"] == "kernel" and mine[1]["author_kind"] == "kernel"
    r = cli("thoughts", "--author", "kernel", home=telos_home)
    assert r.stdout.splitlines() == [line for line in r.stdout.splitlines() if "(kernel)" in line]
    assert "wider" in r.stdout

    r = cli("history", "Rectangle", home=telos_home)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[1] == "    area: method added" and lines[3] == "    width: 3 -> 5"
    assert "    width = 3" in lines[5:]

    r = cli("undo", mine[1]["thought_id"], home=telos_home)            # 'area' came after it
    assert r.returncode == 1 and "undo the later thoughts first" in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = cli("undo", mine[0]["thought_id"], home=telos_home)
    assert r.returncode == 0 and f"undid thought {mine[0]['thought_id']}" in r.stdout, r.stderr
    r = cli("history", "Rectangle", "-n", "1", home=telos_home)
    assert "undo " + mine[0]["thought_id"] in r.stdout and "area: method removed" in r.stdout
    r = cli("undo", "0123456789abcdef", home=telos_home)
    assert r.returncode == 1 and "not in the undo log" in r.stderr
