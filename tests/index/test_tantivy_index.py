"""TantivyIndex: the lexical TextIndex (upserts, removals, phrases, source filter, files)."""

from __future__ import annotations

import numpy as np
import pytest

from telos.index import Index, TantivyIndex, TextIndex, VectorIndex, VectorIndexError

TEXTS = {1: "Return the path joined with os.path.join", 2: "Open a file for reading and writing",
         3: "join the paths of a directory tree", 4: "raise ValueError when the flag is unknown"}


@pytest.fixture(params=["ram", "disk"])
def index(request, tmp_path):
    ix = TantivyIndex(None if request.param == "ram" else tmp_path / "tv")
    ix.add(list(TEXTS), list(TEXTS.values()), sources=["a", "b", "a", None])
    yield ix
    ix.close()


def test_it_is_an_index_of_the_one_family():
    assert issubclass(TantivyIndex, TextIndex) and issubclass(TextIndex, Index)
    assert issubclass(VectorIndex, Index) and not issubclass(TantivyIndex, VectorIndex)


def test_search_ranks_by_words_smaller_distance_first(index):
    hits = index.search("ValueError flag", 10)
    assert hits[0].id == 4 and hits == sorted(hits, key=lambda h: (h.distance, h.id))
    assert index.count == len(index) == 4 and 3 in index and 9 not in index
    assert index.ids().tolist() == [1, 2, 3, 4] and index.ids().dtype == np.int64


def test_phrase_in_quotes_source_filter_and_k(index):
    assert {h.id for h in index.search("joined path", 10)} >= {1, 3}
    assert [h.id for h in index.search('"path joined"', 10)] == [1]
    assert [h.id for h in index.search("join", 10, source="a")] in ([1, 3], [3, 1])
    assert [h.id for h in index.search("join", 10, source="b")] == []
    assert len(index.search("the", 1)) == 1 and index.search("the", 0) == []


def test_query_syntax_is_words_and_phrases_only(index):
    for q in ('foo("', "a:b:", "((", '"', "   ", "*"):
        index.search(q, 5)
    # "- flag" is not "must not contain flag", "text:x" is not a field query, AND is a word
    assert index.search("raise ValueError - flag is unknown", 5)[0].id == 4
    assert index.search("unknown AND text:flag", 5)[0].id == 4


def test_upsert_and_remove(index):
    index.add([2], ["upserted words only"])
    assert [h.id for h in index.search("upserted", 5)] == [2]
    assert index.search("reading", 5) == [] and index.count == 4
    assert index.remove([2, 2, 99]) == 1 and index.count == 3
    assert index.search("upserted", 5) == []


def test_save_load_and_damage(tmp_path):
    ix = TantivyIndex(tmp_path / "a")
    ix.add(list(TEXTS), list(TEXTS.values()))
    ix.remove([2])
    ix.save(tmp_path / "b")
    ix.close()
    back = TantivyIndex.load(tmp_path / "b")
    assert back.ids().tolist() == [1, 3, 4] and back.search("ValueError", 3)[0].id == 4
    back.close()
    (tmp_path / "b" / "meta.json").write_text("garbage")
    with pytest.raises(VectorIndexError):
        TantivyIndex.load(tmp_path / "b")
    with pytest.raises(VectorIndexError):
        TantivyIndex.load(tmp_path / "nothing")
