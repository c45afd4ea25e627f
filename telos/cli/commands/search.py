"""``search QUERY [-k N] [--json]``: memory search (by default hybrid: L1 + L2 vectors and the
lexical index, fused); each hit shows the tiers that found it."""

from __future__ import annotations

import json

from telos.cli.attach import add_local_flag, open_for_cli, service_client


def run(args) -> int:
    query = " ".join(args.query)
    client = service_client(args)
    if client is not None:                       # the service runs: ask it over the bridge
        with client:
            hits = client.search(query, k=args.k).hits
        if args.json:
            print(json.dumps([h.model_dump() for h in hits], indent=1))
        else:
            for h in hits:
                print(f"{h.score:7.4f}  {'+'.join(h.tiers or [h.tier]):<12}  #{h.record_id}  "
                      f"{h.text[:100]}")
        return 0
    image = open_for_cli()
    try:
        hits = image.memory.search(query, k=args.k)
        if args.json:
            print(json.dumps([h.as_dict() for h in hits], indent=1))
        else:
            for h in hits:
                print(f"{h.distance:7.4f}  {'+'.join(h.tiers or (h.tier,)):<12}  #{h.id}  "
                      f"{h.text[:100]}")
    finally:
        image.close()
    return 0


def register(sub) -> None:
    p = sub.add_parser("search", help="search fractal memory",
                       description="Memories best matching QUERY: meanings (L1 FAISS + L2 DiskANN) and "
                       "words (Tantivy; \"exact phrases\" in quotes) fused by reciprocal rank "
                       "(the image setting memory_search_mode chooses).")
    p.add_argument("query", nargs="+")
    p.add_argument("-k", type=int, default=10, help="number of hits (default 10)")
    p.add_argument("--json", action="store_true", help="print JSON")
    add_local_flag(p)
    p.set_defaults(func=run)
