"""``thoughts [-n N] [--object NAME] [--author TEXT] [--json]``: recent thoughts, newest first."""

from __future__ import annotations

import json
import sys

from telos.cli.attach import add_local_flag
from telos.cli.past import line, with_image_or_service


def run(args) -> int:
    def show(api):
        found = api.thoughts(args.n, name=args.object, author=args.author)
        if args.json:
            print(json.dumps([v.model_dump() for v in found], indent=1))
        else:
            for v in found:
                print(line(v))
            if not found:
                print("no thoughts match", file=sys.stderr)
        return 0
    return with_image_or_service(args, show)


def register(sub) -> None:
    p = sub.add_parser("thoughts", help="recent thoughts (the image's timeline)",
                       description="Recent committed thoughts, newest first: id, time, author "
                       "(a person, or the kernel / a persona / a job), note.")
    p.add_argument("-n", type=int, default=20, help="how many (default 20)")
    p.add_argument("--object", metavar="NAME", help="only thoughts that changed this prototype")
    p.add_argument("--author", help="only thoughts whose author contains this")
    p.add_argument("--json", action="store_true", help="print JSON")
    add_local_flag(p)
    p.set_defaults(func=run)
