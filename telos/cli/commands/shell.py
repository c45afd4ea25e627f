"""``shell``: a Python shell on the live image (through ZEO when the service runs)."""

from __future__ import annotations

import sys

from telos import config
from telos.cli.attach import open_for_cli


def run(args) -> int:
    from telos import shell
    image = open_for_cli()
    try:
        if args.c is not None:
            return shell.run_code(image, args.c)
        if not sys.stdin.isatty() and not args.force_interactive:
            return shell.run_code(image, sys.stdin.read())
        return shell.interact(image, history=config.telos_home() / "shell_history")
    finally:
        image.close()


def register(sub) -> None:
    p = sub.add_parser(
        "shell", help="interactive Python shell attached to the live image",
        description="A Python shell with image, root, prototypes, transaction, commit(), abort(), "
                    "UvmObject and mirror bound. Attaches through ZEO when the service runs "
                    "(or TELOS_ZEO is set), else opens the image file directly. Changes are "
                    "kept only by commit().")
    p.add_argument("-c", metavar="CODE", help="run CODE non-interactively (exit 1 + traceback on error)")
    p.add_argument("-i", "--force-interactive", action="store_true",
                   help="interactive even when stdin is not a terminal")
    p.set_defaults(func=run, log_name="shell")
