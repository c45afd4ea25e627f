"""``vsa``: hypervector knowledge from the command line.

    vsa ask "currency of the country whose capital is Paris" [--explain]
    vsa record france name=France capital=Paris currency=Euro
    vsa load facts.json            # {"key": {"role": "filler", ...}, ...}
    vsa similar Paris Lyon
    vsa stats | vsa check | vsa rebuild
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from telos.cli.attach import open_for_cli


def _fields(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        role, sep, filler = pair.partition("=")
        if not sep or not role or not filler:
            raise SystemExit(f"vsa record: expected role=filler, got {pair!r}")
        out[role] = filler
    return out


def run(args) -> int:
    image = open_for_cli()
    try:
        vsa = image.vsa
        action = args.action
        if action == "ask":
            answer = vsa.ask(" ".join(args.query))
            print(answer.explain() if args.explain else answer.value)
        elif action == "record":
            with image.thought(f"vsa record {args.key}", user="cli"):
                vsa.record(args.key, _fields(args.fields))
            print(f"recorded {args.key}")
        elif action == "load":
            try:
                data = json.loads(Path(args.file).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                print(f"vsa load: cannot read {args.file}: {exc}", file=sys.stderr)
                return 2
            if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
                print("vsa load: expected a JSON object {key: {role: filler}}", file=sys.stderr)
                return 2
            from telos.progress import progress
            with image.thought(f"vsa load {Path(args.file).name}", user="cli"):
                for key, fields in progress(data.items(), total=len(data), desc="records"):
                    vsa.record(str(key), {str(r): str(f) for r, f in fields.items()})
            print(f"loaded {len(data)} records")
        elif action == "similar":
            a = vsa.symbol(args.a, create=False)
            b = vsa.symbol(args.b, create=False)
            print(f"{a.similarity(b):.4f}")
        elif action == "stats":
            print(json.dumps(vsa.stats(), indent=2))
        elif action == "check":
            report = vsa.check_index()
            print(json.dumps(report, indent=2))
            return 0 if report["consistent"] else 1
        elif action == "rebuild":
            print(f"rebuilt cleanup index: {vsa.rebuild_index()} vectors")
        return 0
    finally:
        image.close()


def register(sub) -> None:
    p = sub.add_parser("vsa", help="hypervector records and compositional queries",
                       description="Structured records as FHRR hypervectors; queries answered by "
                                   "unbind + cleanup (QueryTranslationLayer).")
    acts = p.add_subparsers(dest="action", required=True)
    a = acts.add_parser("ask", help='e.g. "currency of the country whose capital is Paris"')
    a.add_argument("query", nargs="+")
    a.add_argument("--explain", action="store_true", help="show each unbind/cleanup step")
    r = acts.add_parser("record", help="store a record: KEY role=filler ...")
    r.add_argument("key")
    r.add_argument("fields", nargs="+")
    lo = acts.add_parser("load", help="store records from a JSON file {key: {role: filler}}")
    lo.add_argument("file")
    s = acts.add_parser("similar", help="similarity of two known symbols")
    s.add_argument("a")
    s.add_argument("b")
    acts.add_parser("stats", help="codebook size and dimension")
    acts.add_parser("check", help="compare the cleanup index with the image (exit 1 if not)")
    acts.add_parser("rebuild", help="rebuild the cleanup index from the image")
    p.set_defaults(func=run, log_name="vsa")
