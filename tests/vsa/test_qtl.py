"""QueryTranslationLayer: parsing, and compositional queries on a synthetic knowledge base."""

import pytest

from telos.errors import QueryError, UnknownSymbolError
from telos.vsa.cleanup import TorchhdCleanup
from telos.vsa.qtl import Filler, Named, QueryTranslationLayer, Where, parse
from telos.vsa.space import MemorySpace

from telos.vsa.synthetic import synthetic_kb


def test_parse_forms():
    assert parse("currency of the country whose capital is Paris") == \
        Filler("currency", Where((("capital", "Paris"),), "country"))
    assert parse("What is the capital of France?") == Filler("capital", Named("France"))
    assert parse("currency of the country of Lyon") == \
        Filler("currency", Named(Filler("country", Named("Lyon"))))
    assert parse('language of the record whose capital is (capital of "New France") and kind is country') == \
        Filler("language", Where((("capital", Filler("capital", Named("New France"))),
                                  ("kind", "country")), "record"))
    assert parse("Paris") == "Paris"


@pytest.mark.parametrize("bad", ["", "   ", "currency of", "currency of the country whose capital",
                                 "(capital of France", "capital of France )", "x whose is y"])
def test_parse_errors(bad):
    with pytest.raises(QueryError):
        parse(bad)


def _kb_space(dim, **kw):
    space = MemorySpace(dim, seed=11, **kw)
    kb = synthetic_kb()
    for key, fields in kb.items():
        space.add_record(key, fields)
    return space, kb


@pytest.fixture(scope="module")
def big():
    return _kb_space(10_000)


def test_two_hop_accuracy_at_d10000(big):
    space, kb = big
    qtl = QueryTranslationLayer(space)
    countries = {f["name"]: f for f in kb.values() if f["kind"] == "country"}
    cities = [f for f in kb.values() if f["kind"] == "city"]
    assert len(kb) >= 100 and all(len(f) >= 3 for f in countries.values())
    right = total = 0
    for f in countries.values():     # probe -> cleanup -> unbind -> cleanup
        right += qtl.ask(f"currency of the country whose capital is {f['capital']}").value == f["currency"]
        total += 1
    for c in cities:                  # unbind -> cleanup -> probe -> cleanup -> unbind -> cleanup
        right += qtl.ask(f"language of the country of {c['name']}").value == countries[c["country"]]["language"]
        total += 1
    assert total >= 250
    assert right / total >= 0.99, f"accuracy {right}/{total}"


def test_answer_trace_and_errors(big):
    space, kb = big
    qtl = QueryTranslationLayer(space)
    ans = qtl.ask("capital of the country whose capital is Capital7")
    assert ans.value == "Capital7" and ans.kind == "symbol" and ans.score > 0.3
    assert [s.op for s in ans.steps] == ["probe", "cleanup", "unbind", "cleanup"]
    assert "country7" in ans.explain()
    assert qtl.record("the country whose capital is Capital9").value == "country9"
    with pytest.raises(UnknownSymbolError, match="Atlantis"):
        qtl.ask("capital of Atlantis")
    with pytest.raises(QueryError, match="unknown symbol"):
        qtl.ask("Atlantis")
    # a symbol that exists but fits no record: nothing passes the threshold
    space.symbol("Nowhere")
    with pytest.raises(QueryError, match="similar enough"):
        qtl.ask("currency of the record whose capital is Nowhere")
    # with the kind constraint, every country shares the kind binding: an answer, but a weak one
    weak = qtl.ask("currency of the country whose capital is Nowhere")
    assert weak.steps[1].score < 0.6 * ans.steps[1].score


def test_same_answers_through_torchhd_cleanup():
    space, kb = _kb_space(4096, index_factory=TorchhdCleanup)
    qtl = QueryTranslationLayer(space)
    for i in range(0, 120, 7):
        f = kb[f"country{i}"]
        assert qtl.ask(f"language of the country whose capital is {f['capital']}").value == f["language"]
