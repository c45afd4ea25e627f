"""ui/statusinfo.py: the status page shows every field of SYSTEM_STATUS_UPDATE, in sections,
with what is wrong said in words and coloured."""

from __future__ import annotations

from telos.bridge import protocol as P
from ui.statusinfo import ClientInfo, duration, problems, status_sections

NOW = 1_000_000.0


def _full_status(**changes) -> P.SystemStatusUpdate:
    st = P.SystemStatusUpdate(
        request_id="s1", status_text="ready", vram_usage=2048.0, connection="zeo:/h/run/zeo.sock",
        backend="orchestrator/ollama", model_stage="ready", model_state="Ollama at http://x",
        models=[P.ModelInfo(name="phi3:3.8b", persona="BRICK", backend="ollama", loaded=True,
                            vram_mb=2048.0)],
        memory={"L1": 1200, "L2": 5, "lexical": 1205, "l1_capacity": 50000},
        index=P.IndexState(state="rebuilding", detail="L2 archive: 40 %", last_rebuild=NOW - 3600),
        last_backup=NOW - 120,
        areas={"memory": P.AreaStatus(state="busy", detail="rebuilding L2", counts={"L1": 1200}),
               "backups": P.AreaStatus(state="idle", detail="newest backup 2 min ago",
                                       counts={"runs": 3}, last=NOW - 120)},
        uptime=7325.0, in_flight=2, pid=4242, clients=3, database="ok")
    return st.model_copy(update=changes)


def _rows(sections):
    return [r for s in sections for r in s.rows]


def test_every_field_of_the_status_has_a_row():
    sections = status_sections(_full_status(), ClientInfo(endpoint="ipc:///b", state="connected",
                                                          connected=True, received=NOW), now=NOW)
    fields = set(P.SystemStatusUpdate.model_fields) - {"protocol", "command"}
    assert fields <= {r.field for r in _rows(sections)}
    assert [s.title for s in sections] == ["Health", "Service", "Language model", "Memory",
                                           "Backups", "Areas"]
    values = {r.label: r.value for r in _rows(sections)}
    assert values["overall"] == "healthy" and values["process"] == "pid 4242"
    assert values["up for"] == "2 h 2 min" and values["requests in flight"] == "2"
    assert values["bridge connections"].startswith("3 ")
    assert values["model phi3:3.8b"] == "ollama · for BRICK · loaded · 2,048 MiB"
    assert values["L1 (FAISS, in memory)"] == "1,200" and values["l1_capacity (setting)"] == "50,000"
    assert values["index"] == "rebuilding" and values["index detail"] == "L2 archive: 40 %"
    assert values["newest good backup"].endswith("(2 min ago)")
    assert values["backups"].startswith("idle · newest backup 2 min ago · runs 3")
    assert "ipc:///b" in values["this client"]


def test_what_is_wrong_is_said_and_coloured():
    bad = _full_status(database="ZEO unreachable", model_stage="failed",
                       model_state="the embedded model could not be loaded: disk full",
                       status_text="ready — database unreachable",
                       areas={"vsa": P.AreaStatus(state="failed", detail="KeyError: 'x'")})
    said = problems(bad)
    assert "the database does not answer: ZEO unreachable" in said
    assert "the embedded model could not be loaded: disk full" in said
    assert "area vsa failed: KeyError: 'x'" in said
    rows = {r.label: r for r in _rows(status_sections(bad, now=NOW))}
    assert rows["overall"].level == "error" and "ZEO unreachable" in rows["overall"].value
    assert rows["database"].level == "error" and rows["stage"].level == "error"
    assert rows["vsa"].level == "error"
    assert problems(_full_status()) == []


def test_a_status_from_an_older_service_still_reads():
    minimal = P.SystemStatusUpdate(status_text="starting")
    values = {r.label: r.value for r in _rows(status_sections(minimal, now=NOW))}
    assert values["database"] == "not reported" and values["models"] == "none reported"
    assert values["newest good backup"] == "never" and values["areas"] == "none reported"
    assert duration(59) == "59 s" and duration(3 * 86400 + 7200) == "3 days 2 h"
