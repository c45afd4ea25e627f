"""The VSA area (:mod:`telos.area` protocol): ``image.vsa``, hourly mnemonic curation, codebook
counts for the status board."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from telos.area import Area, AreaStats
from telos.progress import StatusCallback


class VSAArea(Area):
    name = "vsa"
    maintain_every = 3600.0

    def awaken(self, image: Any) -> None:
        from telos.vsa import genesis
        genesis.awaken(image)

    def attach(self, image: Any) -> Any:
        from telos.vsa.facade import VSA
        return VSA(image)

    def maintain(self, image: Any, status: StatusCallback) -> None:
        image.area(self.name).curate(status=status)

    def stats(self, image: Any) -> AreaStats:
        s = image.area(self.name).stats()
        return AreaStats(detail=f"{s['dimension']}-d FHRR, seed {s['seed']}",
                         counts={k: s[k] for k in ("symbols", "records", "entries")})

    def snapshot(self, image: Any, dest: Path) -> dict | None:
        return None            # the cleanup index is rebuilt from the codebook in the database

    def close(self, facade: Any) -> None:
        """Nothing held per session (the cleanup index is per process, closed with the store)."""


AREA = VSAArea()
