"""The memory CLI commands, run as real processes on a temporary home."""

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def cli(*args, home):
    env = dict(os.environ, TELOS_HOME=str(home), HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "telos.cli", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)


def test_remember_search_reindex(telos_home, tmp_path):
    f = tmp_path / "notes.txt"
    f.write_text("the cat sat on the mat\nquarterly tax filing deadline\n\nhow to bake sourdough bread\n")
    r = cli("remember", "--file", str(f), home=telos_home)
    assert r.returncode == 0, r.stderr
    assert "remembered 3" in r.stdout
    assert "Loading weights" not in r.stderr and "it/s]" not in r.stderr, r.stderr  # bars → log
    r = cli("search", "bread recipe", "-k", "2", "--json", home=telos_home)
    assert r.returncode == 0, r.stderr
    hits = json.loads(r.stdout)
    assert hits[0]["text"] == "how to bake sourdough bread" and hits[0]["tier"] == "L1"
    r = cli("reindex", home=telos_home)
    assert r.returncode == 0 and "L1 3 vectors" in r.stdout, r.stderr
    assert cli("remember", home=telos_home).returncode == 2


def test_search_modes_filters_and_as_of_a_thought(telos_home):
    assert cli("remember", "the kettle is in the left cupboard", home=telos_home).returncode == 0
    r = cli("thoughts", "-n", "1", "--json", home=telos_home)
    assert r.returncode == 0, r.stderr
    then = json.loads(r.stdout)[0]["thought_id"]
    r = cli("shell", "-c", "image.memory.forget([h.id for h in image.memory.search('kettle', k=1)])",
            home=telos_home)
    assert r.returncode == 0, r.stderr
    assert cli("remember", "the spare key is under the blue flowerpot", home=telos_home).returncode == 0
    now = json.loads(cli("search", "kettle cupboard", "--json", home=telos_home).stdout)
    assert "kettle" not in " ".join(h["text"] for h in now)
    past = json.loads(cli("search", "kettle cupboard", "--as-of", then, "--json", home=telos_home).stdout)
    assert [h["text"] for h in past] == ["the kettle is in the left cupboard"]
    assert past[0]["tiers"] == ["forgotten", "lexical"]
    r = cli("search", "flowerpot", "--mode", "lexical", "--json", home=telos_home)
    assert [h["tiers"] for h in json.loads(r.stdout)] == [["lexical"]]
    r = cli("search", "flowerpot", "--since", "next tuesday", home=telos_home)
    assert r.returncode == 1 and "is not a time" in r.stderr and "Traceback" not in r.stderr
