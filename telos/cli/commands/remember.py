"""``remember TEXT | --file F``: store memories (one thought per batch, progress on a terminal)."""

from __future__ import annotations

import sys
from pathlib import Path

from telos.cli.attach import add_local_flag, open_for_cli, service_client


def run(args) -> int:
    if args.file:
        try:
            texts = [line.strip() for line in Path(args.file).read_text().splitlines() if line.strip()]
        except OSError as exc:
            print(f"cannot read {args.file}: {exc}", file=sys.stderr)
            return 2
    elif args.text:
        texts = [" ".join(args.text)]
    else:
        print("give TEXT or --file F", file=sys.stderr)
        return 2
    client = service_client(args)
    if client is not None:                       # the service runs: remember through it
        with client:
            ids = [client.remember(text, source="cli").record_id for text in texts]
        print(f"remembered {len(ids)} memories through the service (ids {ids[0]}..{ids[-1]})")
        return 0
    image = open_for_cli()
    try:
        ids = image.memory.remember_many(texts)
        print(f"remembered {len(ids)} memories (ids {ids[0]}..{ids[-1]})" if ids else "nothing to remember")
    finally:
        image.close()
    return 0


def register(sub) -> None:
    p = sub.add_parser("remember", help="store text in fractal memory",
                       description="Embed TEXT (or every non-empty line of --file) and store it.")
    p.add_argument("text", nargs="*", help="the text to remember")
    p.add_argument("--file", help="a text file: one memory per non-empty line")
    add_local_flag(p)
    p.set_defaults(func=run)
