"""Check invariant M1 on an image: the indexes answer for exactly the committed records."""

import numpy as np


def check_m1(mem, sample: int = 20) -> dict:
    eng = mem.engine
    mem.image.refresh()
    bank = mem.bank
    truth = {i: rec.vector for i, rec in bank.contexts.items()}
    l1 = eng.l1.ids()
    cut = eng.l2.max_id
    l2 = set(eng.l2._live.ids.tolist()) if eng.l2._live is not None else set()
    # L1 holds exactly the live records above the archive's watermark
    assert l1 == {i for i in truth if i > cut}, (sorted(l1 ^ {i for i in truth if i > cut}))[:10]
    # the archive covers every live record at or below its watermark
    assert {i for i in truth if i <= cut} <= l2
    for i in l1:   # and L1 holds the committed vector, not some other one
        np.testing.assert_allclose(eng.l1._index.reconstruct(i), truth[i], atol=1e-6)
    # the lexical index answers for exactly the same records as the vector tiers
    lexical = eng.lexical.ids()
    assert lexical == set(truth), sorted(lexical ^ set(truth))[:10]
    ids = sorted(truth)[-sample:]
    for i in ids:  # and finds each by its own words
        hits = mem.search(bank.contexts[i].text, k=20, mode="lexical")
        assert any(h.id == i for h in hits), (i, [h.id for h in hits])
        assert all(h.id in truth for h in hits)
    for i in ids:  # layered search finds each record by its own vector
        hits = mem.search(truth[i], k=10)
        assert any(h.id == i and h.distance < 1e-3 for h in hits), (i, [(h.id, h.distance) for h in hits])
        assert all(h.id in truth for h in hits)
    return {"records": len(truth), "l1": len(l1), "l2": len(l2)}
