"""telos/vsa/area.py on a real image: the status line reports the codebook; nothing to snapshot
(the cleanup index is rebuilt from the codebook)."""

from __future__ import annotations

from telos.vsa.area import AREA


def test_the_area_reports_the_codebook(image):
    with image.thought("symbols"):
        image.vsa.symbol("Paris")
        image.vsa.record("france", {"capital": "Paris"})
    st = AREA.stats(image)
    cb = image.prototypes["Codebook"]
    assert st.detail == f"{cb.dimension}-d FHRR, seed {cb.seed}"
    assert st.counts == {"symbols": 2, "records": 1, "entries": 3}
    assert AREA.name == "vsa" and AREA.maintain_every == 3600.0


def test_nothing_is_snapshotted(image, tmp_path):
    dest = tmp_path / "snapshot"
    dest.mkdir()
    assert AREA.snapshot(image, dest) is None and list(dest.iterdir()) == []
