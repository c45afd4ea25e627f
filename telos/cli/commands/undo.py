"""``undo ID [--note TEXT]``: revert one thought (refused when a later thought depends on it)."""

from __future__ import annotations

from telos.cli.attach import add_local_flag
from telos.cli.past import with_image_or_service


def run(args) -> int:
    def do(api):
        ack = api.undo(args.thought_id, note=args.note or "")
        print(f"{ack.detail}; the undo is thought {ack.thought_id}")
        return 0
    return with_image_or_service(args, do)


def register(sub) -> None:
    p = sub.add_parser("undo", help="revert one thought (itself a thought)",
                       description="Revert thought ID (from `thoughts`). Refused, with the image "
                       "unchanged, when a later thought changed the same objects: undo those "
                       "first, newest first.")
    p.add_argument("thought_id", metavar="ID")
    p.add_argument("--note", help="the undo thought's note")
    add_local_flag(p)
    p.set_defaults(func=run)
