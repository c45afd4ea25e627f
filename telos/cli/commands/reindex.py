"""``reindex``: rebuild both memory tiers from ZODB (L2 in a child process, then L1)."""

from __future__ import annotations

from telos.cli.attach import open_for_cli


def run(args) -> int:
    image = open_for_cli()
    try:
        result = image.memory.reindex()
        print(f"reindexed: L1 {result['l1']} vectors, L2 {result['l2']} vectors, "
              f"lexical {result['lexical']} records")
    finally:
        image.close()
    return 0


def register(sub) -> None:
    p = sub.add_parser("reindex", help="rebuild the memory indexes from the image",
                       description="Rebuild the DiskANN archive and the FAISS L1 index from ZODB.")
    p.set_defaults(func=run)
