"""``history NAME [-n N] [--json]``: an object's past states, each with the slots it changed."""

from __future__ import annotations

import json

from telos.cli.attach import add_local_flag
from telos.cli.past import line, with_image_or_service


def run(args) -> int:
    from telos.service.history_handlers import compare, slot_table

    def show(api):
        revs = api.history(args.name, limit=args.n + 1)   # one more: what the oldest changed
        if args.json:
            print(json.dumps([r.model_dump() for r in revs[: args.n]], indent=1))
            return 0
        for i, rv in enumerate(revs[: args.n]):
            print(line(rv.thought))
            older = slot_table(revs[i + 1].object) if i + 1 < len(revs) else {}
            for c in compare(older, slot_table(rv.object)):
                if c.kind == "data" and c.change == "changed":
                    print(f"    {c.slot}: {c.before} -> {c.after}")
                elif c.kind == "data" and c.change == "added":
                    print(f"    {c.slot} = {c.after}")
                else:
                    print(f"    {c.slot}: {c.kind} {c.change}")
        return 0
    return with_image_or_service(args, show)


def register(sub) -> None:
    p = sub.add_parser("history", help="an object's past states, thought by thought",
                       description="The thoughts that changed prototype NAME, newest first, each "
                       "with the slots it changed.")
    p.add_argument("name")
    p.add_argument("-n", type=int, default=20, help="how many revisions (default 20)")
    p.add_argument("--json", action="store_true", help="print JSON (each revision's full view)")
    add_local_flag(p)
    p.set_defaults(func=run)
