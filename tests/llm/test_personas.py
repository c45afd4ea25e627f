"""telos.llm.personas: who answers — keyword routing and snapshots of persona prototypes."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from telos.llm.personas import CODE_PERSONA, DEFAULT_PERSONA, PERSONA_TABLE, PersonaSpec, route, spec_from_object
from telos.uvm import UvmObject


@pytest.mark.parametrize("text, who", [
    ("Please write a Python function to debug this", "BRICK"),
    ("I feel sad and worried today", "ROBIN"),
    ("What is the capital of Peru?", "BABS"),
    ("Good evening", "ALFRED"),                           # nothing matches: the default
    ("", "ALFRED"),
])
def test_route_picks_the_persona_with_most_keyword_hits(text, who):
    assert route(text, PERSONA_TABLE).name == who


def test_route_counts_hits_so_more_matches_win():
    # one factual keyword ("what is") against three emotional ones
    assert route("what is it, I feel so lonely and afraid", PERSONA_TABLE).name == "ROBIN"


def test_route_ignores_case_and_runs_of_whitespace():
    assert route("WHO   wrote\tthis?", PERSONA_TABLE).name == "BABS"


def test_without_the_default_persona_the_first_one_answers():
    others = [p for p in PERSONA_TABLE if p.name != DEFAULT_PERSONA]
    assert route("hello", others).name == others[0].name


def test_the_table_is_consistent():
    names = [p.name for p in PERSONA_TABLE]
    assert len(set(names)) == len(names) and DEFAULT_PERSONA in names
    assert [p.name for p in PERSONA_TABLE if p.writes_code] == [CODE_PERSONA]


def test_vram_bytes():
    spec = PersonaSpec("X", "r", "s", "m:1b", "5m", 2.5)
    assert spec.vram_bytes == 2_500_000_000


def test_spec_from_object_reads_slots_and_defaults_the_missing_ones():
    obj = UvmObject(name="ZED", model="phi3:3.8b", vram_gb=1.5, keywords=["zz", "zed"], keep_alive=0)
    spec = spec_from_object(obj)
    assert spec == PersonaSpec("ZED", "", "", "phi3:3.8b", 0, 1.5, False, ("zz", "zed"))
    bare = spec_from_object(SimpleNamespace(name="B", vram_gb=None))
    assert (bare.name, bare.vram_gb, bare.keywords, bare.keep_alive) == ("B", 0.0, (), None)
