"""``search QUERY [-k N] [--mode M] [--source S] [--since T] [--until T] [--as-of T] [--json]``:
memory search (by default hybrid: L1 + L2 vectors and the lexical index, fused); each hit shows
the tiers that found it."""

from __future__ import annotations

import datetime as _dt
import json

from telos.cli.attach import add_local_flag, open_for_cli, service_client
from telos.errors import ConfigError


def _time(text: str | None) -> float | None:
    """A --since/--until/--as-of time: unix seconds or an ISO date/time (local time)."""
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return _dt.datetime.fromisoformat(text).timestamp()
    except ValueError:
        raise ConfigError(f"{text!r} is not a time: give unix seconds or an ISO date such as "
                          "2026-12-03 or 2026-12-03T14:30") from None


def _as_of(text: str | None):
    """--as-of: a thought id (16 hex digits, from `thoughts`) or a time."""
    if text is None or (len(text) == 16 and all(c in "0123456789abcdef" for c in text)):
        return text
    return _time(text)


def run(args) -> int:
    query = " ".join(args.query)
    filters = {"mode": args.mode, "source": args.source, "since": _time(args.since),
               "until": _time(args.until), "as_of": _as_of(args.as_of)}
    client = service_client(args)
    if client is not None:                       # the service runs: ask it over the bridge
        with client:
            hits = client.search(query, k=args.k, **filters).hits
        if args.json:
            print(json.dumps([h.model_dump() for h in hits], indent=1))
        else:
            for h in hits:
                print(f"{h.score:7.4f}  {'+'.join(h.tiers or [h.tier]):<12}  #{h.record_id}  "
                      f"{h.text[:100]}")
        return 0
    image = open_for_cli()
    try:
        as_of = filters.pop("as_of")
        if isinstance(as_of, float):
            as_of = _dt.datetime.fromtimestamp(as_of, _dt.timezone.utc)
        hits = image.memory.search(query, k=args.k, as_of=as_of, **filters)
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
    p.add_argument("--mode", choices=("hybrid", "vector", "lexical"),
                   help="hybrid (the default setting), vector (meanings) or lexical (words)")
    p.add_argument("--source", help="only memories remembered with this source (a string, or "
                   "an object key oid:<hex>)")
    p.add_argument("--since", metavar="TIME", help="only memories remembered at or after TIME "
                   "(unix seconds or ISO date/time)")
    p.add_argument("--until", metavar="TIME", help="only memories remembered at or before TIME")
    p.add_argument("--as-of", metavar="THOUGHT|TIME", help="what the image remembered then: "
                   "a thought id from `thoughts`, or a time (forgotten memories included)")
    p.add_argument("--json", action="store_true", help="print JSON")
    add_local_flag(p)
    p.set_defaults(func=run)
