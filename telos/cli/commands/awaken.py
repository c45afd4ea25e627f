"""``awaken``: open (and if needed create) the image, awaken the genesis prototypes."""

from __future__ import annotations

from telos.cli.attach import open_for_cli


def run(args) -> int:
    image = open_for_cli()
    try:
        protos = sorted(image.prototypes)
        where = f"ZEO {image.store.zeo}" if image.store.is_zeo else (
            str(image.store.path) if image.store.path else image.store.spec.describe())
        print(f"image awake at {where}: {len(protos)} prototypes ({', '.join(protos)})")
    finally:
        image.close()
    return 0


def register(sub) -> None:
    p = sub.add_parser("awaken", help="create/awaken the image (idempotent)",
                       description="Open the image (TELOS_HOME/telos.fs, or TELOS_ZEO) and create "
                                   "any missing genesis prototypes.")
    p.set_defaults(func=run)
