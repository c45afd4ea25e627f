"""telos/backup/area.py on a real image: the status board's line about the newest backup, read
from the BackupManager's slots alone (its genesis: test_genesis.py)."""

from __future__ import annotations

import datetime as dt

from telos.backup.area import AREA


def _manager(image):
    return image.prototypes["BackupManager"]


def test_stats_before_any_backup(image):
    st = AREA.stats(image)
    assert st.detail == "no backup has been made yet" and st.last is None
    assert st.counts == {"runs": 0}


def _made_backup(image, minutes_ago, runs=2):
    when = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=minutes_ago)
    with image.thought("a backup was made"):
        _manager(image).last_backup = when.isoformat()
        _manager(image).history = [{"set": f"s{i}"} for i in range(runs)]
    return when


def test_stats_name_the_age_of_the_newest_backup(image):
    when = _made_backup(image, minutes_ago=30)
    st = AREA.stats(image)
    assert st.counts == {"runs": 2} and st.last == when.timestamp()
    assert st.detail.startswith("newest backup ") and st.detail.endswith(" min ago")
    assert 29 <= int(st.detail.split()[2]) <= 31


def test_stats_warn_past_the_policys_max_age(image):
    _made_backup(image, minutes_ago=5 * 60)
    st = AREA.stats(image)
    assert st.detail.startswith("the newest backup is 5.0 h old")
    assert "(policy allows 3.0 h)" in st.detail


def test_the_area_snapshots_nothing_and_names_itself(image, tmp_path):
    assert AREA.name == "backups" and AREA.maintain_every == 60.0
    dest = tmp_path / "snapshot"
    dest.mkdir()
    assert AREA.snapshot(image, dest) is None and list(dest.iterdir()) == []
    assert type(AREA.attach(image)).__name__ == "Backups"
