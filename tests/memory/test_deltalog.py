"""telos/memory/deltalog.py: records round-trip; a torn, garbled or foreign tail is cut off with a
warning and never hides the records before it; the writer leaves no half record behind."""

from __future__ import annotations

import os
import struct
import zlib

import numpy as np
import pytest

from telos.memory import deltalog
from telos.memory.deltalog import MAGIC, Delta, DeltaLog, read_log


def _delta(token=b"t" * 16, ids=(1, 2), dim=3, dels=(9,)):
    ids = np.array(ids, dtype=np.int64)
    vecs = np.arange(len(ids) * dim, dtype=np.float32).reshape(len(ids), dim)
    return Delta(token, ids, vecs, np.array(dels, dtype=np.int64))


def _equal(a: Delta, b: Delta) -> bool:
    return (a.token == b.token and np.array_equal(a.add_ids, b.add_ids)
            and np.array_equal(a.add_vecs, b.add_vecs) and np.array_equal(a.del_ids, b.del_ids))


def test_a_record_round_trips():
    d = _delta()
    blob = d.encode()
    assert blob[:4] == MAGIC
    back = Delta.decode(blob[12:])
    assert _equal(back, d)
    assert back.add_ids.dtype == np.int64 and back.add_vecs.dtype == np.float32


def test_a_delete_only_record_has_no_vectors():
    d = Delta(b"d" * 16, np.zeros(0, np.int64), np.zeros((0, 4), np.float32),
              np.array([5, 6], np.int64))
    back = Delta.decode(d.encode()[12:])
    assert back.add_vecs.shape == (0, 0) and back.del_ids.tolist() == [5, 6]


def test_the_header_holds_length_and_crc():
    blob = _delta().encode()
    magic, length, crc = struct.unpack_from("<4sII", blob)
    assert length == len(blob) - 12 and crc == zlib.crc32(blob[12:])


def test_a_payload_whose_counts_lie_is_refused():
    payload = _delta().encode()[12:]
    with pytest.raises(ValueError, match="does not match its counts"):
        Delta.decode(payload + b"\0" * 8)


def test_a_missing_log_reads_as_empty(tmp_path):
    assert read_log(tmp_path / "none.log") == ({}, 0)


def test_records_are_read_by_token(tmp_path):
    log = DeltaLog(tmp_path / "d.log")
    a, b = _delta(b"a" * 16), _delta(b"b" * 16, ids=(3,))
    log.append(a)
    log.append(b)
    log.close()
    records, good = read_log(tmp_path / "d.log")
    assert set(records) == {b"a" * 16, b"b" * 16}
    assert _equal(records[b"b" * 16], b)
    assert good == (tmp_path / "d.log").stat().st_size


@pytest.mark.parametrize("damage, reason", [
    (lambda blob: blob[:-3], "truncated record"),
    (lambda blob: blob[:5], "truncated header"),
    (lambda blob: b"XXXX" + blob[4:], "bad magic"),
    (lambda blob: blob[:20] + bytes([blob[20] ^ 1]) + blob[21:], "checksum mismatch"),
])
def test_a_damaged_tail_is_ignored_with_a_warning(tmp_path, caplog, damage, reason):
    path = tmp_path / "d.log"
    good = _delta(b"g" * 16).encode()
    path.write_bytes(good + damage(_delta(b"h" * 16).encode()))
    with caplog.at_level("WARNING"):
        records, length = read_log(path)
    assert list(records) == [b"g" * 16] and length == len(good)
    assert reason in caplog.text


def test_an_undecodable_record_with_a_good_crc_stops_the_read(tmp_path, caplog):
    payload = _delta().encode()[12:] + b"\0" * 8          # counts no longer match
    bad = struct.pack("<4sII", MAGIC, len(payload), zlib.crc32(payload)) + payload
    path = tmp_path / "d.log"
    path.write_bytes(bad)
    with caplog.at_level("WARNING"):
        assert read_log(path) == ({}, 0)
    assert "undecodable record" in caplog.text


def test_opening_the_writer_cuts_a_torn_tail(tmp_path):
    path = tmp_path / "d.log"
    good = _delta(b"g" * 16).encode()
    path.write_bytes(good + _delta(b"h" * 16).encode()[:10])
    log = DeltaLog(path)
    assert log.size() == len(good)
    log.append(_delta(b"i" * 16))
    log.close()
    assert set(read_log(path)[0]) == {b"g" * 16, b"i" * 16}


def test_a_failed_append_leaves_no_half_record(tmp_path, monkeypatch):
    path = tmp_path / "d.log"
    log = DeltaLog(path)
    log.append(_delta(b"a" * 16))
    size = log.size()
    real_write = os.write
    calls = []

    def failing_write(fd, data):
        calls.append(len(data))
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real_write(fd, data)
    monkeypatch.setattr(deltalog.os, "write", failing_write)
    with pytest.raises(OSError):
        log.append(_delta(b"b" * 16))
    monkeypatch.setattr(deltalog.os, "write", real_write)
    assert log.size() == size
    log.close()
    assert list(read_log(path)[0]) == [b"a" * 16]


def test_sync_appends_fdatasync(tmp_path, monkeypatch):
    synced = []
    monkeypatch.setattr(deltalog.os, "fdatasync", lambda fd: synced.append(fd))
    log = DeltaLog(tmp_path / "d.log", sync=True)
    log.append(_delta())
    plain = DeltaLog(tmp_path / "e.log")
    plain.append(_delta())
    assert len(synced) == 1
    log.close()
    plain.close()


def test_close_is_idempotent(tmp_path):
    log = DeltaLog(tmp_path / "d.log")
    log.close()
    log.close()
