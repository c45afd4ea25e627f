"""telos/backup/retention.py: whole chains dropped oldest first, never the newest; the last removed
manifest becomes the signed ANCHOR so the remaining chain still verifies."""

from __future__ import annotations

import json

import pytest

from telos.backup.catalog import chain_problems, load_sets, read_anchor
from telos.backup.engine import make_backup
from telos.backup.restore import restore
from telos.backup.retention import prune


def _three_chains(d):
    for day in (1, 2, 3):
        chain = f"2026-01-0{day}-00-00-00"
        d.add(chain, chain, "full")
        d.add(chain, f"2026-01-0{day}-06-00-00")


@pytest.mark.parametrize("keep, left", [(1, ["2026-01-03-00-00-00"]),
                                        (0, ["2026-01-03-00-00-00"]),
                                        (-5, ["2026-01-03-00-00-00"]),
                                        (2, ["2026-01-02-00-00-00", "2026-01-03-00-00-00"])])
def test_prune_keeps_the_newest_chains_and_never_the_last(handmade, keys, keep, left):
    _three_chains(handmade)
    removed = prune(handmade.path, keys, keep_chains=keep)
    chains = sorted(p.name for p in (handmade.path / "chains").iterdir())
    assert chains == left
    assert removed == [c for c in ("2026-01-01-00-00-00", "2026-01-02-00-00-00") if c not in left]


def test_nothing_to_prune_writes_no_anchor(handmade, keys):
    _three_chains(handmade)
    assert prune(handmade.path, keys, keep_chains=3) == []
    assert prune(handmade.path, keys, keep_chains=10) == []
    assert not (handmade.path / "ANCHOR.json").exists()


def test_the_anchor_is_the_last_removed_manifest_and_the_chain_stays_whole(handmade, keys):
    _three_chains(handmade)
    before = {s.ident: s for s in load_sets(handmade.path, keys)}
    prune(handmade.path, keys, keep_chains=1)
    anchor = read_anchor(handmade.path, keys)
    last_removed = before["2026-01-02-00-00-00/2026-01-02-06-00-00"]
    assert anchor["seq"] == last_removed.seq == 4
    assert anchor["sha256"] == last_removed.sha256
    assert anchor["set"] == last_removed.ident
    sets = load_sets(handmade.path, keys)
    assert [s.seq for s in sets] == [5, 6]
    assert chain_problems(handmade.path, sets, keys) == []


def test_broken_sets_do_not_count_as_chains(handmade, keys):
    _three_chains(handmade)
    newest = handmade.path / "chains" / "2026-01-03-00-00-00" / "sets"
    for d in newest.iterdir():
        (d / "manifest.json").write_text(json.dumps({"garbage": True}))
    # the newest chain cannot be authenticated: the two others are what is left to keep
    assert prune(handmade.path, keys, keep_chains=1) == ["2026-01-01-00-00-00"]
    assert (handmade.path / "chains" / "2026-01-03-00-00-00").exists()


# -- on real repozo sets (moved from test_status_retention_cli.py, now test_facade.py) ---------

def test_retention_keeps_remaining_chains_restorable(workload, dest, keys, tmp_path):
    tids = []
    for k in range(3):
        tids.append(workload.commit(2))
        make_backup(workload.path, dest, keys, full=True)
        tids.append(workload.commit(2))
        make_backup(workload.path, dest, keys)
    assert prune(dest, keys, keep_chains=2) and len({s.chain for s in load_sets(dest, keys)}) == 2
    sets = load_sets(dest, keys)
    assert [s.seq for s in sets] == [3, 4, 5, 6]
    assert chain_problems(dest, sets, keys) == []          # the anchor keeps the chain whole
    r = make_backup(workload.path, dest, keys) if workload.commit(1) else None
    assert r.set.manifest["prev"] == sets[-1].sha256
    res = restore(dest, keys, tmp_path / "o" / "telos.fs", at=sets[0].when())
    assert res.set.seq == 3
