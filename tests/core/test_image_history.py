"""telos/image_history.py: tid conversions, ThoughtInfo, and the image's past — read-only views
at a point in time, an object's revisions, undo of one thought."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt

import pytest
from persistent.list import PersistentList
from persistent.mapping import PersistentMapping
from persistent.timestamp import TimeStamp
from ZODB.utils import p64, u64

from telos import ReadOnlyImageError, UndoError, UvmObject
from telos.errors import ImageError
from telos.image_history import (
    ThoughtInfo, _plain, _text, _undo_tid, tid_from, tid_hex, tid_time,
)


def _tid(year, month, day, hour=0, minute=0, second=0.0) -> bytes:
    return TimeStamp(year, month, day, hour, minute, second).raw()


# -- tids ---------------------------------------------------------------------------------------

def test_tid_hex_and_back():
    tid = _tid(2026, 3, 4, 5, 6, 7.5)
    text = tid_hex(tid)
    assert len(text) == 16 and int(text, 16) == u64(tid)
    assert tid_from(text) == tid


def test_tid_from_keeps_an_8_byte_tid():
    tid = p64(12345)
    assert tid_from(tid) is tid


def test_tid_from_a_thought_info_uses_its_id():
    tid = _tid(2026, 1, 2)
    info = ThoughtInfo(id=tid_hex(tid), time=tid_time(tid), user="u", note="n")
    assert tid_from(info) == tid


def test_tid_time_is_utc_and_matches_the_timestamp():
    tid = _tid(2026, 3, 4, 5, 6, 7.25)
    when = tid_time(tid)
    assert when.tzinfo is not None and when.utcoffset() == dt.timedelta(0)
    assert (when.year, when.month, when.day, when.hour, when.minute, when.second) == \
        (2026, 3, 4, 5, 6, 7)
    assert abs(when.microsecond - 250000) < 10


def test_a_datetime_maps_to_the_last_tid_within_its_microsecond():
    when = dt.datetime(2026, 3, 4, 5, 6, 7, 123456, tzinfo=dt.timezone.utc)
    tid = tid_from(when)
    assert tid_time(tid) <= when + dt.timedelta(microseconds=1)
    assert tid_from(when + dt.timedelta(microseconds=1)) > tid
    # a tid taken from a thought's own time includes that thought
    thought = _tid(2026, 3, 4, 5, 6, 7.5)
    assert tid_from(tid_time(thought)) >= thought


def test_a_naive_or_other_zone_datetime_is_converted_to_utc():
    utc = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.timezone.utc)
    plus2 = utc.astimezone(dt.timezone(dt.timedelta(hours=2)))
    assert tid_from(plus2) == tid_from(utc)


def test_tids_order_like_time():
    earlier = tid_from(dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
    later = tid_from(dt.datetime(2026, 1, 1, 0, 0, 1, tzinfo=dt.timezone.utc))
    assert earlier < later


@pytest.mark.parametrize("value", [b"short", "abc", 12, None, "0" * 15])
def test_tid_from_names_what_is_not_a_point_in_time(value):
    with pytest.raises(ImageError, match="not a point in time"):
        tid_from(value)


def test_thought_info_is_frozen_and_hides_the_undo_id_from_repr():
    info = ThoughtInfo(id="00" * 8, time=tid_time(p64(1)), user="u", note="n",
                       undo_id=b"secret-undo-id")
    assert "secret-undo-id" not in repr(info)
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.note = "other"


def test_undo_tid_reads_raw_and_base64_undo_ids():
    tid = _tid(2026, 2, 3)
    assert _undo_tid({"id": tid}) == tid
    encoded = base64.encodebytes(tid + b"extra")
    assert _undo_tid({"id": encoded}) == tid
    assert _undo_tid({"id": encoded.decode()}) == tid


def test_text_decodes_bytes_leniently():
    assert _text(b"caf\xc3\xa9") == "café"
    assert _text(b"\xff") == "\ufffd"
    assert _text("already") == "already"


def test_plain_turns_persistent_values_into_plain_ones():
    named, anonymous = UvmObject("Named"), UvmObject()
    value = PersistentMapping({"xs": PersistentList([1, (PersistentList([2]),)]),
                               "who": named, "anon": anonymous})
    plain = _plain(value)
    assert plain == {"xs": [1, ([2],)], "who": "<Named>",
                     "anon": f"<{anonymous._id[:8]}>"}
    assert type(plain) is dict and type(plain["xs"]) is list


# -- the past of a real image (moved from test_image.py) -----------------------------------------

@pytest.mark.usefixtures("storage")   # FileStorage, and RelStorage under -m relstorage
def test_at_gives_a_read_only_past(image):
    with image.thought("v1"):
        thing = image.register("Thing", UvmObject(v=1))
    t1 = image.last_thought
    with image.thought("v2"):
        thing.v = 2
        image.register("Later", UvmObject())
    past = image.at(t1)
    assert past.prototypes["Thing"].v == 1 and "Later" not in past.prototypes
    with pytest.raises(ReadOnlyImageError):
        past.prototypes["Thing"].v = 5
    with pytest.raises(ReadOnlyImageError):
        with past.thought("nope"):
            pass
    assert thing.v == 2
    latest = image.thoughts(1)[0]
    assert image.at(latest.time).prototypes["Thing"].v == 2


@pytest.mark.usefixtures("storage")   # FileStorage, and RelStorage under -m relstorage
def test_history_lists_past_states_with_their_thoughts(image):
    with image.thought("create"):
        thing = image.register("Thing", UvmObject(v=1))
    for v in (2, 3):
        with image.thought(f"set {v}"):
            thing.v = v
    revs = image.history(thing)
    assert [r.state["v"] for r in revs] == [3, 2, 1]
    assert [r.note for r in revs] == ["set 3", "set 2", "create"]


@pytest.mark.usefixtures("storage")   # FileStorage, and RelStorage under -m relstorage
def test_undo_reverts_one_thought(image):
    with image.thought("create"):
        a = image.register("A", UvmObject(v=1))
        b = image.register("B", UvmObject(v=1))
    with image.thought("change a"):
        a.v = 2
    change_a = image.last_thought
    with image.thought("change b"):
        b.v = 2
    image.undo(change_a)
    assert (a.v, b.v) == (1, 2)


@pytest.mark.usefixtures("storage")   # FileStorage, and RelStorage under -m relstorage
def test_undo_refused_when_a_later_thought_depends_on_it(image):
    with image.thought("create"):
        a = image.register("A", UvmObject(v=1))
    with image.thought("first"):
        a.v = 2
    first = image.last_thought
    with image.thought("second"):
        a.v = 3
    with pytest.raises(UndoError) as err:
        image.undo(first)
    assert "later thought" in str(err.value)
    assert a.v == 3



def test_history_of_an_unsaved_object_is_empty(image):
    assert image.history(UvmObject()) == []


def test_undo_of_a_thought_not_in_the_log_names_it(image):
    missing = "00" * 7 + "01"
    with pytest.raises(UndoError, match=f"thought {missing} is not in the undo log") as err:
        image.undo(missing)
    assert err.value.thought_id == missing


def test_at_a_thought_info_sees_no_later_prototype(image):
    before = image.thoughts(1)[0]
    with image.thought("later"):
        image.register("Late", UvmObject())
    assert "Late" not in image.at(before).prototypes
    assert "Late" in image.prototypes
